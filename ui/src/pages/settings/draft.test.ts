import { describe, expect, it } from 'vitest'
import type { Settings } from '../../types'
import { checkDraft, checkDuration, fromSettings, move, toSettings } from './draft'

describe('settings draft', () => {
  it('round-trips a document, keeping fields the form does not know', () => {
    const s = {
      scores: [{ name: 'fit', min: null, max: 100, label: 'Fit' }],
      grades: [{ name: 'cold', min: null }],
      pipeline: ['new'],
      future: { x: 1 },
    } as unknown as Settings
    expect(toSettings(fromSettings(s))).toEqual(s)
    expect(checkDraft(fromSettings(s))).toEqual([])
  })

  it('trims names and turns empty bounds into null', () => {
    const d = fromSettings({ scores: [{ name: 'a', min: 1, max: 2 }], grades: [], pipeline: [] })
    d.scores[0] = { ...d.scores[0], name: ' a ', min: ' ', max: '' }
    expect(toSettings(d).scores).toEqual([{ name: 'a', min: null, max: null }])
  })

  it('accepts the durations the API writes', () => {
    for (const ok of ['30d', '72h', '90m', '500ms', '1h30m0s']) expect(checkDuration(ok)).toBeUndefined()
    for (const bad of ['', '30', 'd', '1.5d', '30 d', '-1d', '0d']) expect(checkDuration(bad)).toBeDefined()
  })

  it('allows only the first grade to have no min, and distinct mins', () => {
    const d = fromSettings({
      scores: [],
      grades: [{ name: 'a', min: null }, { name: 'b', min: null }, { name: 'c', min: 5 }, { name: 'd', min: 5 }],
      pipeline: ['x', 'x'],
    })
    expect(checkDraft(d)).toEqual([
      { path: 'grades[1].min', message: 'is required: the score from which this grade applies' },
      { path: 'grades[3].min', message: 'two grades share this lower bound' },
      { path: 'pipeline[1]', message: 'duplicate stage "x"' },
    ])
  })

  it('moves items within bounds', () => {
    expect(move([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    expect(move([1, 2, 3], 2, -1)).toEqual([1, 3, 2])
    expect(move([1, 2, 3], 0, -1)).toEqual([1, 2, 3])
    expect(move([1, 2, 3], 2, 1)).toEqual([1, 2, 3])
  })
})
