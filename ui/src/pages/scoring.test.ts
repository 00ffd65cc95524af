import { describe, expect, it } from 'vitest'
import type { ScoringRule } from '../types'
import { buildRows, entryNote, filterRows, formatPoints, groupRows, nodeLink, toRow } from './scoring/rows'
import { matrixRules } from './scoring/fixtures'

const byNode = (rules: ScoringRule[], node: string) => rules.find((r) => r.node_id === node)!

describe('scoring sheet rows', () => {
  it('writes conditions as if/unless, delays and entry notes after the trigger', () => {
    const r = toRow(byNode(matrixRules, 'a2'))
    expect(r.criterion).toBe('Visited a page containing /pricing, unless job title is CEO or CMO')
    const pricingYes = toRow(byNode(matrixRules, 'a1'))
    expect(pricingYes.qualifiers.map((q) => q.kind)).toEqual(['if'])
    expect(pricingYes.criterion).toBe('Visited a page containing /pricing, if job title is CEO or CMO')

    const delayed = toRow(byNode(matrixRules, 'a9'))
    expect(delayed.criterion).toBe('Signed up for trial, if company size at least 25, after 30d, first time only')

    const limited = toRow(byNode(matrixRules, 'a5'))
    expect(limited.criterion).toBe('Clicked any email, at most 3 per 30d')
  })

  it('has entry notes for once and limited, none for every time', () => {
    expect(entryNote({ mode: 'every_time' })).toBeUndefined()
    expect(entryNote({ mode: 'once' })).toBe('first time only')
    expect(entryNote({ mode: 'limited', max: 3, window: '30d' })).toBe('at most 3 per 30d')
  })

  it('sorts by dimension, then points high to low', () => {
    const rows = buildRows(matrixRules)
    expect(rows.map((r) => `${r.dimension} ${r.points}`)).toEqual([
      'engagement 10',
      'engagement 5',
      'engagement 3',
      'engagement -20',
      'fit 15',
      'fit 10',
    ])
  })

  it('filters by words over criterion and flow name, and by dimension', () => {
    const rows = buildRows(matrixRules)
    expect(filterRows(rows, { text: 'PRICING cmo', dimension: '' }).map((r) => r.nodeId)).toEqual(['a1', 'a2'])
    // "Fit:" is in the flow name only.
    expect(filterRows(rows, { text: 'fit: trial', dimension: '' }).map((r) => r.nodeId)).toEqual(['a9'])
    expect(filterRows(rows, { text: '', dimension: 'fit' }).map((r) => r.nodeId)).toEqual(['a9', 'a7'])
    expect(filterRows(rows, { text: 'pricing', dimension: 'fit' })).toEqual([])
  })

  it('totals the positive points of each dimension', () => {
    const groups = groupRows(buildRows(matrixRules))
    expect(groups.map((g) => [g.dimension, g.maxPositive, g.rows.length])).toEqual([
      ['engagement', 18, 4],
      ['fit', 25, 2],
    ])
  })

  it('keeps keys unique when one node scores along two paths', () => {
    const twice = [matrixRules[0], { ...matrixRules[0] }]
    const keys = buildRows(twice).map((r) => r.key)
    expect(new Set(keys).size).toBe(2)
  })

  it('formats points with a sign and links to the node', () => {
    expect(formatPoints(10)).toBe('+10')
    expect(formatPoints(-20)).toBe('\u221220')
    expect(formatPoints(0)).toBe('0')
    expect(nodeLink(toRow({ ...matrixRules[0], flow_id: 'a b', node_id: 'n/1' }))).toBe('/flows/a%20b?node=n%2F1')
  })
})
