import { bandSeries, better, decileLabel, formatAUC, formatLift, gradeSeries, histogramSeries, moverRows, progressPercent, rangeLabel, rocLine } from './charts'
import type { Band } from './types'

const band = (name: string, contacts: number, converted: number): Band => ({
  band: name, min: null, max: null, contacts, converted, rate: contacts ? converted / contacts : 0,
})

describe('histogramSeries', () => {
  it('pairs buckets as they are when both sides bucketed alike', () => {
    const live = [{ min: 0, max: 10, contacts: 5 }, { min: 10, max: 20, contacts: 1 }]
    const draft = [{ min: 0, max: 10, contacts: 2 }, { min: 10, max: 20, contacts: 4 }]
    expect(histogramSeries(live, draft)).toEqual([
      { label: '0–9', min: 0, max: 10, live: 5, draft: 2 },
      { label: '10–19', min: 10, max: 20, live: 1, draft: 4 },
    ])
  })

  it('re-bins different buckets onto common ones and keeps every contact', () => {
    const live = [{ min: 0, max: 10, contacts: 10 }]
    const draft = [{ min: 0, max: 20, contacts: 4 }, { min: 20, max: 40, contacts: 6 }]
    const s = histogramSeries(live, draft, 4)
    expect(s.map((p) => [p.min, p.max])).toEqual([[0, 10], [10, 20], [20, 30], [30, 40]])
    expect(s.map((p) => p.live)).toEqual([10, 0, 0, 0])
    expect(s.map((p) => p.draft)).toEqual([2, 2, 3, 3])
    const total = (k: 'live' | 'draft') => s.reduce((n, p) => n + p[k], 0)
    expect(total('live')).toBe(10)
    expect(total('draft')).toBe(10)
  })

  it('handles a one-score bucket and an empty result', () => {
    const s = histogramSeries([{ min: 5, max: 5, contacts: 3 }], [{ min: 0, max: 10, contacts: 10 }], 10)
    expect(s.reduce((n, p) => n + p.live, 0)).toBe(3)
    expect(s.find((p) => p.min <= 5 && 5 < p.max)!.live).toBe(3)
    expect(histogramSeries([], [{ min: 0, max: 1, contacts: 0 }])).toEqual([])
  })

  it('labels ranges by their last whole score', () => {
    expect(rangeLabel(0, 10)).toBe('0–9')
    expect(rangeLabel(7, 8)).toBe('7')
    expect(rangeLabel(-20, -10)).toBe('-20–-11')
  })
})

describe('gradeSeries', () => {
  it('follows the settings, then other grades, then no grade', () => {
    const s = gradeSeries({ cold: 5, hot: 1, none: 2, legacy: 1 }, { cold: 3, warm: 4, hot: 2 }, ['cold', 'warm', 'hot'])
    expect(s).toEqual([
      { grade: 'cold', label: 'cold', live: 5, draft: 3 },
      { grade: 'warm', label: 'warm', live: 0, draft: 4 },
      { grade: 'hot', label: 'hot', live: 1, draft: 2 },
      { grade: 'legacy', label: 'legacy', live: 1, draft: 0 },
      { grade: 'none', label: '(no grade)', live: 2, draft: 0 },
    ])
  })
})

describe('bandSeries', () => {
  it('pairs bands by name with rates in percent', () => {
    const s = bandSeries([band('cold', 8, 1), band('hot', 2, 1)], [band('cold', 6, 0), band('warm', 2, 1), band('hot', 2, 2)])
    expect(s.map((p) => [p.band, p.live, p.draft])).toEqual([
      ['cold', 12.5, 0],
      ['hot', 50, 100],
      ['warm', null, 50],
    ])
    expect(s[0]).toMatchObject({ liveContacts: 8, liveConverted: 1, draftContacts: 6, draftConverted: 0 })
    // A band with nobody in it has no rate.
    expect(bandSeries([band('hot', 0, 0)], [band('hot', 3, 1)]).map((p) => [p.live, p.draft])).toEqual([[null, 33.3]])
  })

  it('labels deciles, the top one plainly', () => {
    const s = bandSeries([band('1', 10, 0), band('10', 10, 5)], [band('1', 10, 1), band('10', 10, 9)], decileLabel)
    expect(s.map((p) => p.label)).toEqual(['D1', 'top 10%'])
    expect(s[1].draft).toBe(90)
    expect(bandSeries(undefined, undefined)).toEqual([])
  })
})

describe('rocLine', () => {
  it('sorts the points and closes the curve', () => {
    expect(rocLine([{ fpr: 0.5, tpr: 0.9 }, { fpr: 0.1, tpr: 0.4 }])).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0.1, tpr: 0.4 },
      { fpr: 0.5, tpr: 0.9 },
      { fpr: 1, tpr: 1 },
    ])
    const full = [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }]
    expect(rocLine(full)).toEqual(full)
    expect(rocLine(undefined)).toEqual([])
  })
})

describe('metrics', () => {
  it('formats AUC and lift, with a dash when undefined', () => {
    expect(formatAUC(0.73456)).toBe('0.735')
    expect(formatAUC(null)).toBe('—')
    expect(formatAUC(NaN)).toBe('—')
    expect(formatLift(2.5)).toBe('2.50×')
    expect(formatLift(null)).toBe('—')
  })

  it('says which side is better', () => {
    expect(better(0.6, 0.8)).toBe('draft')
    expect(better(0.8, 0.6)).toBe('live')
    expect(better(0.7, 0.7)).toBe('same')
    expect(better(null, 0.7)).toBeUndefined()
  })

  it('adds deltas to movers and clamps progress', () => {
    const rows = moverRows([{ contact: 'c1', live_score: 5, draft_score: 30, live_grade: 'cold', draft_grade: 'warm' }])
    expect(rows[0]).toMatchObject({ delta: 25, gradeChanged: true })
    expect(progressPercent(0.456)).toBe(46)
    expect(progressPercent(1.2)).toBe(100)
    expect(progressPercent(undefined)).toBe(0)
  })
})
