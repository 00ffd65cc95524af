import { pricingFlow } from './fixtures'
import { mapIssues } from './issues'

describe('mapIssues', () => {
  const doc = pricingFlow()

  it('maps config paths to the node at that index and its field', () => {
    const got = mapIssues(doc, [
      { path: 'nodes[2].config.points', message: 'must be an integer' },
      { path: 'nodes[2].config.score', message: 'is required' },
    ])
    expect(got.nodes).toEqual({ a1: { fields: { points: 'must be an integer', score: 'is required' }, general: [] } })
    expect(got.flow).toEqual([])
  })

  it('keeps the inner path of a filter error on the filter field', () => {
    const got = mapIssues(doc, [
      { path: 'nodes[1].config.where.all[0].field', message: 'unknown field "zzz"' },
      { path: 'nodes[1].config.where.value', message: 'is required for op eq' },
    ])
    expect(got.nodes.c1.fields.where).toBe('all[0].field: unknown field "zzz"; value: is required for op eq')
  })

  it('puts node-level errors in general', () => {
    const got = mapIssues(doc, [
      { path: 'nodes[0].type', message: 'unknown node type "trigger.x"' },
      { path: 'nodes[3].config', message: 'bad config' },
      { path: 'nodes[3]', message: 'broken' },
    ])
    expect(got.nodes.t1.general).toEqual(['type: unknown node type "trigger.x"'])
    expect(got.nodes.a2.general).toEqual(['bad config', 'broken'])
  })

  it('lists edge and flow errors for the banner, and marks the edge', () => {
    const got = mapIssues(doc, [
      { path: 'edges[1].to', message: 'no node "q" in this flow' },
      { path: 'nodes', message: 'a flow needs at least one trigger node' },
      { path: 'edges', message: 'the flow has a cycle through node "a1"; flows must be acyclic' },
    ])
    expect(got.edges).toEqual({ 'c1->a1:yes': 'no node "q" in this flow' })
    expect(got.flow.map((f) => f.text)).toEqual([
      'Link c1 (yes) → a1: no node "q" in this flow',
      'A flow needs at least one trigger node',
      'The flow has a cycle through node "a1"; flows must be acyclic',
    ])
  })

  it('maps settings paths to settings fields and the banner', () => {
    const got = mapIssues(doc, [
      { path: 'name', message: 'is required' },
      { path: 'entry.window', message: 'is required for mode limited, such as "30d"' },
      { path: 'audience.any[1].op', message: 'unknown op' },
    ])
    expect(got.settings).toEqual({ name: 'is required', 'entry.window': 'is required for mode limited, such as "30d"', audience: 'any[1].op: unknown op' })
    expect(got.flow).toHaveLength(3)
  })

  it('treats an index past the end as a flow error', () => {
    const got = mapIssues(doc, [{ path: 'nodes[9].config.x', message: 'odd' }])
    expect(got.nodes).toEqual({})
    expect(got.flow[0].text).toBe('nodes[9].config.x: odd')
  })
})
