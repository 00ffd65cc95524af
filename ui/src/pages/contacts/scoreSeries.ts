import type { LedgerEntry } from '../../types'

export interface ScorePoint {
  t: number // ms since epoch
  at: string
  total: number
}

// scoreSeries turns the score ledger into the total score over time, oldest
// first. Each entry carries the dimension's value after the change, so the
// total at a moment is the sum of every dimension's latest value; summing
// "value" rather than adding up deltas stays right when a change was clipped
// at a dimension's min or max, and when the history is cut short.
// Entries at the same instant (several flows on one event) make one point.
//
// from (the contact's creation) adds a starting point at 0 and until (now)
// carries the last total to the present, so a single change still draws a
// line rather than a dot.
export function scoreSeries(history: LedgerEntry[], opts: { from?: string; until?: number } = {}): ScorePoint[] {
  // The API lists newest first; reversing keeps same-instant entries in the
  // order they were applied once sorted (the sort is stable).
  const ordered = history
    .map((e) => ({ e, t: Date.parse(e.at) }))
    .filter((x) => !Number.isNaN(x.t))
    .reverse()
    .sort((a, b) => a.t - b.t)
  const latest = new Map<string, number>()
  const points: ScorePoint[] = []
  for (const { e, t } of ordered) {
    latest.set(e.score, e.value)
    let total = 0
    for (const v of latest.values()) total += v
    const last = points.at(-1)
    if (last && last.t === t) last.total = total
    else points.push({ t, at: e.at, total })
  }
  if (points.length === 0) return points
  const start = opts.from ? Date.parse(opts.from) : NaN
  if (!Number.isNaN(start) && start < points[0].t) points.unshift({ t: start, at: opts.from!, total: 0 })
  const last = points[points.length - 1]
  if (opts.until !== undefined && opts.until > last.t) points.push({ t: opts.until, at: new Date(opts.until).toISOString(), total: last.total })
  return points
}
