import type { Flow } from '../../types'
import {
  canvasPath, defaultSetup, dropAdded, fromSuggestion, isEmpty, loadDraft, loadSetup, runRequest, saveSetup,
  setEnabled, stashForCanvas, stashedForCanvas, testOnLab, timeWindow, toggleRemove, upsertFlow, emptyDraft,
} from './draft'

const flow = (id: string, points = 5): Flow => ({
  id, name: id, enabled: true, entry: { mode: 'every_time' },
  nodes: [
    { id: 't1', type: 'trigger.event', config: { name: 'Booked call' } },
    { id: 'a1', type: 'action.adjust_score', config: { score: 'engagement', points } },
  ],
  edges: [{ from: 't1', to: 'a1' }],
})

afterEach(() => sessionStorage.clear())

describe('the draft', () => {
  it('adds, replaces and drops flows, and removes live ones', () => {
    let d = upsertFlow(emptyDraft(), flow('a'))
    d = upsertFlow(d, flow('b'))
    d = upsertFlow(d, flow('a', 9))
    expect(d.add.map((f) => [f.id, f.nodes[1].config?.points])).toEqual([['a', 9], ['b', 5]])
    d = toggleRemove(d, 'live-1')
    expect(d.remove).toEqual(['live-1'])
    // Adding a flow back un-removes it.
    expect(upsertFlow(d, flow('live-1')).remove).toEqual([])
    expect(toggleRemove(d, 'live-1').remove).toEqual([])
    d = setEnabled(d, 'b', false)
    expect(d.add[1].enabled).toBe(false)
    d = dropAdded(dropAdded(d, 'a'), 'b')
    expect(isEmpty(d)).toBe(false)
    expect(isEmpty(toggleRemove(d, 'live-1'))).toBe(true)
  })

  it('"Test this change" puts the flow into the stored draft, which survives a reload', () => {
    testOnLab(flow('pricing'))
    testOnLab(flow('pricing', 12))
    expect(loadDraft().add.map((f) => f.nodes[1].config?.points)).toEqual([12])
    expect(canvasPath).toBe('/flows/new?from=lab')
    stashForCanvas(flow('suggest-x'))
    expect(stashedForCanvas()?.id).toBe('suggest-x')
  })

  it('tolerates a broken stored draft', () => {
    sessionStorage.setItem('scoreflow.lab.draft', '{not json')
    expect(loadDraft()).toEqual({ add: [], remove: [] })
    sessionStorage.setItem('scoreflow.lab.draft', '{"add": 3}')
    expect(loadDraft()).toEqual({ add: [], remove: [] })
  })

  it('takes a suggested model as it is', () => {
    expect(fromSuggestion({ add: [flow('suggest-1')] })).toEqual({ add: [flow('suggest-1')], remove: [] })
  })
})

describe('the run request', () => {
  const now = new Date('2026-12-01T12:00:00Z')

  it('defaults the window to the 90 days before now', () => {
    expect(timeWindow({ from: '', to: '' }, now)).toEqual({ from: '2026-09-02T12:00:00.000Z', to: '2026-12-01T12:00:00.000Z' })
    expect(timeWindow({ from: '2026-12-02T00:00', to: '2026-12-01T00:00' }, now)).toEqual({ error: 'The window must start before it ends.' })
  })

  it('builds an event outcome or a filter outcome', () => {
    const d = upsertFlow(emptyDraft(), flow('x'))
    const ev = runRequest(d, { ...defaultSetup(), event: 'Deal won' }, now)
    expect(ev).toEqual({
      model: { base: 'live', add: [flow('x')], remove: [] },
      outcome: { event: 'Deal won', horizon: '90d' },
      from: '2026-09-02T12:00:00.000Z',
      to: '2026-12-01T12:00:00.000Z',
    })
    const where = runRequest(d, { ...defaultSetup(), kind: 'where', horizon: '30d' }, now)
    expect(where).toMatchObject({ outcome: { where: { field: 'deal_stage', op: 'eq', value: 'won' }, horizon: '30d' } })
  })

  it('says what is missing', () => {
    expect(runRequest(emptyDraft(), defaultSetup(), now)).toEqual({ error: 'Pick the event that means a contact converted.' })
    expect(runRequest(emptyDraft(), { ...defaultSetup(), event: 'x', horizon: 'soon' }, now)).toMatchObject({ error: expect.stringMatching(/duration/) })
    expect(runRequest(emptyDraft(), { ...defaultSetup(), kind: 'where', where: undefined }, now)).toMatchObject({ error: expect.stringMatching(/filter/) })
  })

  it('keeps the setup across a reload', () => {
    saveSetup({ ...defaultSetup(), event: 'Deal won', score: 'fit' })
    expect(loadSetup()).toMatchObject({ event: 'Deal won', score: 'fit', horizon: '90d' })
  })
})
