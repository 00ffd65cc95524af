// Test helper: replaces global fetch with canned answers by "METHOD path".
// Unknown routes answer 404 in the API's error shape.
import { vi } from 'vitest'

export interface Call { method: string; path: string; body: unknown }
type Answer = { status?: number; body?: unknown }
type Handler = Answer | ((call: Call) => Answer)

export function stubFetch(routes: Record<string, Handler>) {
  const calls: Call[] = []
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = String(input)
    const method = (init?.method ?? 'GET').toUpperCase()
    const call: Call = { method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined }
    calls.push(call)
    const h = routes[`${method} ${path}`]
    const a: Answer = h === undefined
      ? { status: 404, body: { error: { code: 'not_found', message: `no route ${method} ${path}` } } }
      : typeof h === 'function' ? h(call) : h
    // 204 and 304 carry no body at all (Response refuses even '').
    const empty = a.status === 204 || a.status === 304
    return new Response(empty ? null : a.body === undefined ? '' : JSON.stringify(a.body), {
      status: a.status ?? 200,
      headers: { 'Content-Type': 'application/json' },
    })
  })
  vi.stubGlobal('fetch', fn)
  return { fn, calls }
}
