import { describe, expect, it } from 'vitest'
import { formatAgo } from './format'

const now = Date.parse('2026-12-01T12:00:00Z')
const ago = (secs: number) => new Date(now - secs * 1000).toISOString()

describe('formatAgo', () => {
  it.each([
    [null, 'never'],
    [ago(10), 'just now'],
    [ago(50), '1 minute ago'],
    [ago(5 * 60), '5 minutes ago'],
    [ago(3 * 3600), '3 hours ago'],
    [ago(86400), 'yesterday'],
    [ago(3 * 86400), '3 days ago'],
    [ago(14 * 86400), '2 weeks ago'],
    [ago(400 * 86400), 'last year'],
    ['not a time', 'not a time'],
  ])('%s → %s', (iso, want) => {
    expect(formatAgo(iso, now)).toBe(want)
  })
})
