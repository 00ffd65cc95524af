// A flow that was never laid out (a suggested draft, one posted through the
// API) opens laid out, not as one row of boxes.
import type { Flow, FlowNode } from '../../types'
import { defaultNodeSize, needsLayout } from './model'
import { withPositions } from './ops'
import { pricingFlow } from './fixtures'

// twelveNodes: two triggers, a condition, a wait and eight actions, with no
// positions at all, as the lab's suggest or a script would post them.
function twelveNodes(position?: (i: number) => FlowNode['position']): Flow {
  const nodes: FlowNode[] = [
    { id: 't1', type: 'trigger.page_visited', config: { url: '/pricing' } },
    { id: 't2', type: 'trigger.event', config: { name: 'Booked call' } },
    { id: 'c1', type: 'condition.if', config: { where: { field: 'score', op: 'gte', value: 10 } } },
    { id: 'd1', type: 'delay.wait', config: { for: '1d' } },
  ]
  for (let i = 1; i <= 8; i++) nodes.push({ id: `a${i}`, type: 'action.adjust_score', config: { score: 'engagement', points: i } })
  if (position) nodes.forEach((n, i) => (n.position = position(i)))
  return {
    id: 'suggested',
    name: 'Suggested',
    enabled: true,
    entry: { mode: 'every_time' },
    nodes,
    edges: [
      { from: 't1', to: 'c1' },
      { from: 't2', to: 'c1' },
      { from: 'c1', to: 'a1', branch: 'yes' },
      { from: 'c1', to: 'd1', branch: 'no' },
      { from: 'a1', to: 'a2' },
      { from: 'a1', to: 'a3' },
      { from: 'd1', to: 'a4' },
      { from: 'a4', to: 'a5' },
      { from: 'a4', to: 'a6' },
      { from: 'a6', to: 'a7' },
      { from: 'a6', to: 'a8' },
    ],
  }
}

function overlaps(a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.abs(a.x - b.x) < defaultNodeSize.width && Math.abs(a.y - b.y) < defaultNodeSize.height
}

function expectLaidOut(doc: Flow) {
  const ps = doc.nodes.map((n) => n.position!)
  expect(ps.every((p) => p && Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true)
  expect(new Set(ps.map((p) => `${p.x},${p.y}`)).size).toBe(doc.nodes.length)
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      expect(overlaps(ps[i], ps[j]), `${doc.nodes[i].id} overlaps ${doc.nodes[j].id}`).toBe(false)
    }
  }
  // Laid out left to right along the edges, not in one row.
  const at = Object.fromEntries(doc.nodes.map((n) => [n.id, n.position!]))
  for (const e of doc.edges) expect(at[e.from].x).toBeLessThan(at[e.to].x)
  expect(new Set(ps.map((p) => p.y)).size).toBeGreaterThan(1)
  const width = Math.max(...ps.map((p) => p.x)) - Math.min(...ps.map((p) => p.x))
  expect(width).toBeLessThan(12 * 280)
}

describe('opening a flow without positions', () => {
  it('lays out a 12-node flow that has no positions: distinct, non-overlapping', () => {
    const doc = twelveNodes()
    expect(needsLayout(doc.nodes)).toBe(true)
    expectLaidOut(withPositions(doc))
  })

  it('lays out a flow whose nodes all sit at 0,0', () => {
    const doc = twelveNodes(() => ({ x: 0, y: 0 }))
    expect(needsLayout(doc.nodes)).toBe(true)
    expectLaidOut(withPositions(doc))
  })

  it('keeps a flow drawn by hand as it is', () => {
    const doc = pricingFlow()
    expect(needsLayout(doc.nodes)).toBe(false)
    expect(withPositions(doc)).toBe(doc)
    // One node at 0,0 is a position like any other.
    expect(needsLayout(twelveNodes((i) => ({ x: i * 300, y: 0 })).nodes)).toBe(false)
  })

  it('keeps the layout when only a few nodes lack a position', () => {
    const doc = twelveNodes((i) => (i < 9 ? { x: i * 300, y: i * 10 } : undefined))
    expect(needsLayout(doc.nodes)).toBe(false)
    const out = withPositions(doc)
    expect(out.nodes.slice(0, 9).map((n) => n.position)).toEqual(doc.nodes.slice(0, 9).map((n) => n.position))
    expect(out.nodes.slice(9).every((n) => n.position)).toBe(true)
  })

  it('does nothing to an empty or single-node flow', () => {
    expect(needsLayout([])).toBe(false)
    expect(needsLayout([{ id: 't1', type: 'trigger.event' }])).toBe(false)
  })
})
