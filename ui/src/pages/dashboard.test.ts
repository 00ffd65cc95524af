import { describe, expect, it } from 'vitest'
import { bucketLabel, curlExample, gradeBars, gradeColour, minuteSeries } from './dashboard/series'

describe('dashboard series', () => {
  it('orders grades as the settings do, with configured grades nobody has', () => {
    const bars = gradeBars([{ grade: 'hot', count: 2 }, { grade: 'x', count: 1 }], [
      { name: 'cold', min: null },
      { name: 'hot', min: 50 },
    ])
    expect(bars.map((b) => [b.grade, b.count])).toEqual([['cold', 0], ['hot', 2], ['x', 1]])
    expect(gradeBars([{ grade: '', count: 3 }], []).map((b) => b.label)).toEqual(['(no grade)'])
    expect(gradeBars([{ grade: 'b', count: 1 }, { grade: 'a', count: 2 }], undefined).map((b) => b.grade)).toEqual(['b', 'a'])
  })

  it('colours temperature grades and greys the rest', () => {
    expect(gradeColour('Cold')).toBe(gradeColour('cold'))
    expect(gradeColour('warm')).not.toBe(gradeColour('other'))
    expect(gradeColour('mql')).toBe(gradeColour('other'))
  })

  it('fills the minutes of the last hour the server left out', () => {
    const now = new Date('2026-11-23T11:00:30Z')
    const s = minuteSeries([{ minute: '2026-11-23T10:58:00Z', count: 4 }, { minute: '2026-11-23T10:01:00Z', count: 1 }], now)
    expect(s).toHaveLength(60)
    expect(s[0].minute).toBe('2026-11-23T10:01:00.000Z')
    expect(s[59].minute).toBe('2026-11-23T11:00:00.000Z')
    expect(s[57].count).toBe(4)
    expect(s[0].count).toBe(1)
    expect(s.reduce((n, p) => n + p.count, 0)).toBe(5)
  })

  it('follows a server clock ahead of ours', () => {
    const s = minuteSeries([{ minute: '2026-11-23T11:05:00Z', count: 2 }], new Date('2026-11-23T11:00:00Z'))
    expect(s[59]).toMatchObject({ minute: '2026-11-23T11:05:00.000Z', count: 2 })
  })

  it('labels buckets and writes a curl command without any key', () => {
    expect(bucketLabel({ from: 0, to: 5 })).toBe('0\u20134')
    expect(bucketLabel({ from: -10, to: 0 })).toBe('-10\u2013-1')
    expect(bucketLabel({ from: 5, to: 6 })).toBe('5')
    const cmd = curlExample('http://127.0.0.1:8080', true)
    expect(cmd).toContain('curl -X POST http://127.0.0.1:8080/api/v1/events')
    expect(cmd).toContain('$SCOREFLOW_WRITE_KEY')
    expect(curlExample('http://x', false)).not.toContain('Authorization')
  })
})
