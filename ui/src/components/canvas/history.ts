// Undo history over whole documents. Pure: the editor keeps one History in
// state and replaces it with what these functions return.

export interface History<T> {
  past: T[]
  present: T
  future: T[]
  // Key and time of the last recorded change, to merge a run of small edits
  // (typing in a field, one drag) into one undo step.
  key?: string
  at: number
}

export interface RecordOptions {
  // Changes with the same key within windowMs of each other merge.
  key?: string
  now?: number
  windowMs?: number
  // At most this many undo steps are kept.
  limit?: number
}

export const defaultLimit = 200

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], at: 0 }
}

// record makes next the present. The old present becomes an undo step,
// unless this change continues the previous one (same key, soon enough).
export function record<T>(h: History<T>, next: T, opts: RecordOptions = {}): History<T> {
  if (next === h.present) return h
  const now = opts.now ?? Date.now()
  const windowMs = opts.windowMs ?? 1000
  if (opts.key !== undefined && opts.key === h.key && now - h.at <= windowMs) {
    return { ...h, present: next, future: [], at: now }
  }
  const limit = opts.limit ?? defaultLimit
  const past = [...h.past, h.present]
  if (past.length > limit) past.splice(0, past.length - limit)
  return { past, present: next, future: [], key: opts.key, at: now }
}

export function undo<T>(h: History<T>): History<T> {
  if (h.past.length === 0) return h
  const present = h.past[h.past.length - 1]
  return { past: h.past.slice(0, -1), present, future: [h.present, ...h.future], at: 0 }
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h
  const [present, ...future] = h.future
  return { past: [...h.past, h.present], present, future, at: 0 }
}

export const canUndo = <T>(h: History<T>) => h.past.length > 0
export const canRedo = <T>(h: History<T>) => h.future.length > 0
