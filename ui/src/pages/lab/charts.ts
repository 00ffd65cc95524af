// Pure transforms from a lab run's result to what the charts draw: live and
// draft side by side. Free of React for unit tests.
import type { Band, Bucket, Mover, ROCPoint } from './types'

export interface HistogramPoint { label: string; min: number; max: number; live: number; draft: number }

// histogramSeries puts the live and the draft histogram on the same buckets.
// When both runs bucketed alike the counts are taken as they are; otherwise
// both are re-binned onto `target` common buckets over the union of their
// ranges, spreading each source bucket's contacts evenly over its scores
// (so a count may be fractional: the chart shows a shape, the table the
// exact numbers).
export function histogramSeries(live: Bucket[], draft: Bucket[], target = 20): HistogramPoint[] {
  const same = live.length === draft.length && live.every((b, i) => b.min === draft[i].min && b.max === draft[i].max)
  if (same) return live.map((b, i) => ({ label: rangeLabel(b.min, b.max), min: b.min, max: b.max, live: b.contacts, draft: draft[i].contacts }))
  const all = [...live, ...draft].filter((b) => b.contacts > 0)
  if (all.length === 0) return []
  const lo = Math.min(...all.map((b) => b.min))
  const hi = Math.max(...all.map((b) => Math.max(b.max, b.min + 1)))
  const step = Math.max(1, Math.ceil((hi - lo) / target))
  const out: HistogramPoint[] = []
  for (let min = lo; min < hi; min += step) {
    const max = min + step
    out.push({ label: rangeLabel(min, max), min, max, live: 0, draft: 0 })
  }
  const spread = (src: Bucket[], key: 'live' | 'draft') => {
    for (const b of src) {
      if (b.contacts === 0) continue
      const bMax = Math.max(b.max, b.min + 1)
      for (const p of out) {
        const overlap = Math.min(bMax, p.max) - Math.max(b.min, p.min)
        if (overlap > 0) p[key] += (b.contacts * overlap) / (bMax - b.min)
      }
    }
  }
  spread(live, 'live')
  spread(draft, 'draft')
  for (const p of out) {
    p.live = round1(p.live)
    p.draft = round1(p.draft)
  }
  return out
}

// rangeLabel names scores min <= s < max (whole numbers: the last is max-1).
export function rangeLabel(min: number, max: number): string {
  const last = max - 1
  return last <= min ? String(min) : `${min}\u2013${last}`
}

export interface GradePoint { grade: string; label: string; live: number; draft: number }

// gradeSeries lists grades in the settings' order (lowest first), then any
// other grade either side reports, and contacts without a grade ("none") last.
export function gradeSeries(live: Record<string, number>, draft: Record<string, number>, order: string[] = []): GradePoint[] {
  const names = [...order]
  for (const g of [...Object.keys(live), ...Object.keys(draft)]) if (!names.includes(g) && g !== 'none') names.push(g)
  if ('none' in live || 'none' in draft) names.push('none')
  return names.map((grade) => ({
    grade,
    label: grade === 'none' || grade === '' ? '(no grade)' : grade,
    live: live[grade] ?? 0,
    draft: draft[grade] ?? 0,
  }))
}

export interface BandPoint {
  band: string
  label: string
  // Conversion rates in percent, null when the side has no such band or
  // nobody in it (a rate of nobody is not 0%).
  live: number | null
  draft: number | null
  liveContacts: number
  draftContacts: number
  liveConverted: number
  draftConverted: number
}

// bandSeries pairs the two sides' bands by name, in the live order, then
// bands only the draft has (a grade its settings add).
export function bandSeries(live: Band[] = [], draft: Band[] = [], labelOf: (band: string) => string = (b) => b): BandPoint[] {
  const names = live.map((b) => b.band)
  for (const b of draft) if (!names.includes(b.band)) names.push(b.band)
  const l = new Map(live.map((b) => [b.band, b]))
  const d = new Map(draft.map((b) => [b.band, b]))
  return names.map((band) => ({
    band,
    label: labelOf(band),
    live: rateOf(l.get(band)),
    draft: rateOf(d.get(band)),
    liveContacts: l.get(band)?.contacts ?? 0,
    draftContacts: d.get(band)?.contacts ?? 0,
    liveConverted: l.get(band)?.converted ?? 0,
    draftConverted: d.get(band)?.converted ?? 0,
  }))
}

// decileLabel: "10" is the top tenth of scores.
export const decileLabel = (band: string) => (band === '10' ? 'top 10%' : `D${band}`)

// rocLine orders a curve by false-positive rate and closes it at (0,0) and
// (1,1), so a chart draws it as one line whatever the server sent.
export function rocLine(points: ROCPoint[] | undefined): ROCPoint[] {
  if (!points || points.length === 0) return []
  const sorted = [...points].sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr)
  if (sorted[0].fpr !== 0 || sorted[0].tpr !== 0) sorted.unshift({ fpr: 0, tpr: 0 })
  const last = sorted[sorted.length - 1]
  if (last.fpr !== 1 || last.tpr !== 1) sorted.push({ fpr: 1, tpr: 1 })
  return sorted
}

export function formatAUC(auc: number | null | undefined): string {
  return auc === null || auc === undefined || !Number.isFinite(auc) ? '—' : auc.toFixed(3)
}

export function formatLift(lift: number | null | undefined): string {
  return lift === null || lift === undefined || !Number.isFinite(lift) ? '—' : `${lift.toFixed(2)}×`
}

// better says which side a metric favours: higher AUC and lift are better.
export function better(live: number | null | undefined, draft: number | null | undefined): 'draft' | 'live' | 'same' | undefined {
  if (live == null || draft == null || !Number.isFinite(live) || !Number.isFinite(draft)) return undefined
  const d = draft - live
  if (Math.abs(d) < 1e-9) return 'same'
  return d > 0 ? 'draft' : 'live'
}

export interface MoverRow extends Mover { delta: number; gradeChanged: boolean }

export function moverRows(movers: Mover[] = []): MoverRow[] {
  return movers.map((m) => ({ ...m, delta: m.draft_score - m.live_score, gradeChanged: m.live_grade !== m.draft_grade }))
}

// progressPercent turns a run's progress (0–1) into a whole percent.
export function progressPercent(progress: number | undefined): number {
  if (progress === undefined || !Number.isFinite(progress)) return 0
  return Math.round(Math.min(1, Math.max(0, progress)) * 100)
}

const rateOf = (b: Band | undefined) => (b && b.contacts > 0 ? round1(b.rate * 100) : null)
const round1 = (x: number) => Math.round(x * 10) / 10
