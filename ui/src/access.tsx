// What the current key may do, asked from GET /api/v1/me on start and after
// a new key is entered. Every component reads it with useAccess() (or the
// EditOnly / EditFieldset helpers) instead of checking scopes itself.
import { useMemo, useSyncExternalStore, type ReactNode } from 'react'
import { ApiError, get } from './api'

export type Scope = 'admin' | 'write' | 'read'

export interface Me {
  name: string
  scope: Scope
  // The server runs without keys.
  open: boolean
}

export interface Access {
  // undefined until the server has answered.
  me: Me | undefined
  // The key may change flows, segments, settings, contacts.
  canEdit: boolean
  // The key may manage keys and read the audit log.
  canAdmin: boolean
  // /me has answered (or failed) at least once: until then the app keeps
  // its pages hidden, so a read-only key never sees edit controls flash.
  settled: boolean
}

// A server older than the keys issue has no /me and only admin keys.
const olderServer: Me = { name: 'admin', scope: 'admin', open: false }

export function accessOf(me: Me | undefined, settled = true): Access {
  const scope = me?.scope ?? 'admin'
  return { me, canEdit: scope === 'admin', canAdmin: scope === 'admin', settled }
}

// loadMe asks who the key is. 404 (no such endpoint) means an older
// server: admin. A 403 means a key that may not read (a write key): it can
// change nothing here either.
export async function loadMe(): Promise<Me> {
  try {
    const me = await get<Partial<Me>>('/api/v1/me')
    const scope: Scope = me?.scope === 'read' || me?.scope === 'write' ? me.scope : 'admin'
    return { name: me?.name ?? '', scope, open: !!me?.open }
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return olderServer
    if (e instanceof ApiError && e.status === 403) return { name: '', scope: 'write', open: false }
    throw e
  }
}

// The answer of /me, kept here for every component: undefined until the
// server has answered, and when it failed for another reason (401: the key
// prompt is up). Then the UI assumes admin: the server refuses what the key
// may not do anyway, and an older server must keep working.
let current: { me: Me | undefined; settled: boolean } = { me: undefined, settled: false }
const listeners = new Set<() => void>()
let seq = 0

// setMe replaces what the UI knows about the key (tests set it directly).
export function setMe(me: Me | undefined) {
  current = { me, settled: true }
  listeners.forEach((l) => l())
}

// refreshAccess asks /me again: on start and after a new key was entered.
// Only the latest answer counts.
export async function refreshAccess(): Promise<void> {
  const n = ++seq
  let me: Me | undefined
  try {
    me = await loadMe()
  } catch {
    me = undefined
  }
  if (n === seq) setMe(me)
}

function subscribe(l: () => void) {
  listeners.add(l)
  return () => {
    listeners.delete(l)
  }
}

export function useAccess(): Access {
  const { me, settled } = useSyncExternalStore(subscribe, () => current)
  return useMemo(() => accessOf(me, settled), [me, settled])
}

// EditOnly renders its children only for a key that may change things.
export function EditOnly({ children }: { children: ReactNode }) {
  return useAccess().canEdit ? <>{children}</> : null
}

// EditFieldset disables every input inside it for a read-only key, so a
// form can still be read.
export function EditFieldset({ children, className }: { children: ReactNode; className?: string }) {
  const { canEdit } = useAccess()
  return (
    <fieldset className={`plain-fieldset${className ? ' ' + className : ''}`} disabled={!canEdit}>
      {children}
    </fieldset>
  )
}

// ReadOnlyNote is the one notice that this key changes nothing.
export function ReadOnlyNote() {
  const { canEdit, me } = useAccess()
  if (canEdit || !me) return null
  return (
    <div className="banner info read-only-note" role="status" data-testid="read-only-note">
      Read-only key: you can look but not change anything.
    </div>
  )
}
