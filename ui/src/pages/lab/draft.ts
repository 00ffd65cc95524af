// The lab's draft and setup, kept in sessionStorage so they survive a reload
// of /lab and travel between the canvas and the lab ("Test this change",
// "Open on canvas"). Pure apart from the storage calls.
import type { Filter, Flow } from '../../types'
import type { DraftModel, Outcome, RunRequest } from './types'

// The changes to the live model. A flow in `add` with a live flow's id
// replaces that flow.
export interface Draft { add: Flow[]; remove: string[] }

export interface Setup {
  kind: 'event' | 'where'
  event: string
  where?: Filter
  horizon: string
  // datetime-local values; empty means "now" (to) and "90 days before to" (from).
  from: string
  to: string
  score: string
}

const draftKey = 'scoreflow.lab.draft'
const setupKey = 'scoreflow.lab.setup'
const runKey = 'scoreflow.lab.run'
const canvasKey = 'scoreflow.lab.canvas'

export const emptyDraft = (): Draft => ({ add: [], remove: [] })

export const defaultSetup = (): Setup => ({
  kind: 'event',
  event: '',
  where: { field: 'deal_stage', op: 'eq', value: 'won' },
  horizon: '90d',
  from: '',
  to: '',
  score: 'engagement',
})

function read<T>(key: string): T | undefined {
  try {
    const s = sessionStorage.getItem(key)
    return s ? (JSON.parse(s) as T) : undefined
  } catch {
    return undefined
  }
}

function write(key: string, v: unknown) {
  try {
    if (v === undefined) sessionStorage.removeItem(key)
    else sessionStorage.setItem(key, JSON.stringify(v))
  } catch {
    /* storage full or disabled: the lab still works, it just forgets on reload */
  }
}

export function loadDraft(): Draft {
  const d = read<Partial<Draft>>(draftKey)
  return { add: Array.isArray(d?.add) ? d.add : [], remove: Array.isArray(d?.remove) ? d.remove : [] }
}
export const saveDraft = (d: Draft) => write(draftKey, d)

export const loadSetup = (): Setup => ({ ...defaultSetup(), ...read<Partial<Setup>>(setupKey) })
export const saveSetup = (s: Setup) => write(setupKey, s)

// The run last started here: a reload shows it (and its progress) again.
export const loadRunId = () => read<string>(runKey)
export const saveRunId = (id: string | undefined) => write(runKey, id)

// upsertFlow puts a flow into the draft, replacing a draft flow of the same
// id, and un-removes its id (adding a flow back is not removing it).
export function upsertFlow(d: Draft, f: Flow): Draft {
  const i = d.add.findIndex((x) => x.id === f.id)
  const add = i < 0 ? [...d.add, f] : d.add.map((x, j) => (j === i ? f : x))
  return { add, remove: d.remove.filter((id) => id !== f.id) }
}

export function dropAdded(d: Draft, id: string): Draft {
  return { ...d, add: d.add.filter((f) => f.id !== id) }
}

// toggleRemove removes a live flow in the draft, or keeps it again.
export function toggleRemove(d: Draft, id: string): Draft {
  return d.remove.includes(id) ? { ...d, remove: d.remove.filter((x) => x !== id) } : { ...d, remove: [...d.remove, id] }
}

export function setEnabled(d: Draft, id: string, enabled: boolean): Draft {
  return { ...d, add: d.add.map((f) => (f.id === id ? { ...f, enabled } : f)) }
}

export const isEmpty = (d: Draft) => d.add.length === 0 && d.remove.length === 0

// fromSuggestion makes a suggested model the draft.
export function fromSuggestion(m: { add?: Flow[]; remove?: string[] }): Draft {
  return { add: m.add ?? [], remove: m.remove ?? [] }
}

export function draftModel(d: Draft): DraftModel {
  return { base: 'live', add: d.add, remove: d.remove }
}

const dayMs = 86_400_000

// window turns the setup's from/to into times: to defaults to now, from to
// 90 days before to.
export function timeWindow(s: Pick<Setup, 'from' | 'to'>, now: Date = new Date()): { from: string; to: string } | { error: string } {
  const to = s.to ? new Date(s.to) : now
  if (Number.isNaN(to.getTime())) return { error: 'The end of the window is not a time.' }
  const from = s.from ? new Date(s.from) : new Date(to.getTime() - 90 * dayMs)
  if (Number.isNaN(from.getTime())) return { error: 'The start of the window is not a time.' }
  if (from >= to) return { error: 'The window must start before it ends.' }
  return { from: from.toISOString(), to: to.toISOString() }
}

export function outcomeOf(s: Setup): Outcome | { error: string } {
  const horizon = s.horizon.trim()
  if (!/^\d+[mhd]$/.test(horizon)) return { error: 'The horizon is a duration such as 30d, 72h or 90m.' }
  if (s.kind === 'event') {
    if (!s.event.trim()) return { error: 'Pick the event that means a contact converted.' }
    return { event: s.event.trim(), horizon }
  }
  if (!s.where) return { error: 'Build the filter a converted contact matches.' }
  return { where: s.where, horizon }
}

// runRequest is the body of POST /api/v1/lab/runs, or what is wrong with the setup.
export function runRequest(d: Draft, s: Setup, now?: Date): RunRequest | { error: string } {
  const outcome = outcomeOf(s)
  if ('error' in outcome) return outcome
  const w = timeWindow(s, now)
  if ('error' in w) return w
  return { model: draftModel(d), outcome, ...w }
}

// The canvas hand-off. "Test this change" puts the edited flow into the
// draft; "Open on canvas" stashes a draft flow for /flows/new?from=lab.
export const labPath = '/lab'
export const canvasPath = '/flows/new?from=lab'

export function testOnLab(f: Flow) {
  saveDraft(upsertFlow(loadDraft(), f))
}

export const stashForCanvas = (f: Flow) => write(canvasKey, f)
export const stashedForCanvas = () => read<Flow>(canvasKey)
