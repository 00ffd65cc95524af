import { canRedo, canUndo, createHistory, record, redo, undo } from './history'

describe('history', () => {
  it('undoes and redoes in order', () => {
    let h = createHistory('a')
    h = record(h, 'b', { now: 1 })
    h = record(h, 'c', { now: 2 })
    expect(h.present).toBe('c')
    h = undo(h)
    expect(h.present).toBe('b')
    h = undo(h)
    expect(h.present).toBe('a')
    expect(canUndo(h)).toBe(false)
    expect(undo(h)).toBe(h)
    h = redo(h)
    expect(h.present).toBe('b')
    h = redo(h)
    expect(h.present).toBe('c')
    expect(canRedo(h)).toBe(false)
    expect(redo(h)).toBe(h)
  })

  it('drops the redo steps on a new change', () => {
    let h = record(record(createHistory(1), 2, { now: 1 }), 3, { now: 2 })
    h = undo(h)
    h = record(h, 4, { now: 3 })
    expect(h.present).toBe(4)
    expect(canRedo(h)).toBe(false)
    expect(undo(h).present).toBe(2)
  })

  it('ignores a change to the same document', () => {
    const h = createHistory({ a: 1 })
    expect(record(h, h.present)).toBe(h)
  })

  it('merges changes with the same key within the window', () => {
    let h = createHistory('')
    h = record(h, 'a', { key: 'name', now: 1000 })
    h = record(h, 'ab', { key: 'name', now: 1500 })
    h = record(h, 'abc', { key: 'name', now: 2400 })
    expect(h.past).toEqual([''])
    // Too late: a new step.
    h = record(h, 'abcd', { key: 'name', now: 4000 })
    expect(h.past).toEqual(['', 'abc'])
    // Another key: a new step.
    h = record(h, 'x', { key: 'other', now: 4001 })
    expect(h.past).toEqual(['', 'abc', 'abcd'])
    // No key never merges.
    h = record(h, 'y', { now: 4002 })
    h = record(h, 'z', { now: 4003 })
    expect(h.past).toEqual(['', 'abc', 'abcd', 'x', 'y'])
  })

  it('does not merge into a step after undo', () => {
    let h = createHistory('')
    h = record(h, 'a', { key: 'k', now: 1 })
    h = record(h, 'b', { key: 'k2', now: 2 })
    h = undo(h)
    h = record(h, 'c', { key: 'k', now: 3 })
    expect(h.past).toEqual(['', 'a'])
  })

  it('keeps at most limit steps', () => {
    let h = createHistory(0)
    for (let i = 1; i <= 10; i++) h = record(h, i, { limit: 3, now: i })
    expect(h.past).toEqual([7, 8, 9])
  })
})
