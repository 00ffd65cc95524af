// The API client: one fetch wrapper that adds the admin key (kept in
// sessionStorage, so it lasts for the browser session only) and turns error
// bodies (CONTRACT §6) into ApiError.
import type { FieldError } from './types'

const keyStorage = 'scoreflow.adminKey'

export class ApiError extends Error {
  status: number
  code: string
  details: FieldError[]
  constructor(status: number, code: string, message: string, details: FieldError[] = []) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}

export function adminKey(): string {
  try {
    return sessionStorage.getItem(keyStorage) ?? ''
  } catch {
    return ''
  }
}

export function setAdminKey(key: string) {
  sessionStorage.setItem(keyStorage, key)
  authListeners.forEach((l) => l(false))
}

type AuthListener = (needed: boolean) => void
const authListeners = new Set<AuthListener>()

// onAuthNeeded subscribes to "the server answered 401": the app then shows
// the admin key prompt.
export function onAuthNeeded(l: AuthListener): () => void {
  authListeners.add(l)
  return () => authListeners.delete(l)
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  const key = adminKey()
  if (key) headers.Authorization = `Bearer ${key}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let data: any = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined
    }
  }
  if (!res.ok) {
    if (res.status === 401) authListeners.forEach((l) => l(true))
    const e = data?.error
    throw new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? res.statusText ?? 'request failed', e?.details ?? [])
  }
  return data as T
}

export const get = <T>(path: string) => api<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body)
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body)
export const del = <T>(path: string) => api<T>('DELETE', path)

export const enc = encodeURIComponent
