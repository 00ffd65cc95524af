import { connectionProblem, toFlowEdge } from './connect'
import { toCanvasEdges, toCanvasNodes } from './convert'
import { pricingFlow, specs } from './fixtures'
import { mapIssues } from './issues'
import { indexSpecs } from './model'

const idx = indexSpecs(specs)

describe('toCanvasNodes', () => {
  it('draws every node at its position with its spec, summary and view state', () => {
    const doc = pricingFlow()
    const issues = mapIssues(doc, [{ path: 'nodes[2].config.points', message: 'must be an integer' }])
    const nodes = toCanvasNodes(doc, {
      specs: idx,
      selectedNodes: new Set(['c1']),
      measured: { t1: { width: 220, height: 70 } },
      issues,
      stats: { a1: { entered: 5, completed: 4, failed: 1 } },
    })
    expect(nodes.map((n) => [n.id, n.type, n.position, n.selected])).toEqual([
      ['t1', 'flow', { x: 0, y: 0 }, false],
      ['c1', 'flow', { x: 300, y: 0 }, true],
      ['a1', 'flow', { x: 600, y: -80 }, false],
      ['a2', 'flow', { x: 600, y: 80 }, false],
    ])
    expect(nodes[0].measured).toEqual({ width: 220, height: 70 })
    expect(nodes[0].data.summary).toBe('URL contains /pricing')
    expect(nodes[1].data.summary).toBe('attributes.job_title in CEO, CMO')
    expect(nodes[2].data.errors).toEqual(['points: must be an integer'])
    expect(nodes[2].data.stats).toEqual({ entered: 5, completed: 4, failed: 1 })
    expect(nodes[2].data.spec?.title).toBe('Adjust score')
    // The node data carries the document node itself, untouched.
    expect(nodes[3].data.node).toBe(doc.nodes[3])
  })

  it('flags a node of a type the server does not know', () => {
    const doc = pricingFlow()
    doc.nodes.push({ id: 'x1', type: 'action.teleport', config: {} })
    const nodes = toCanvasNodes(doc, { specs: idx })
    expect(nodes[4].data.errors).toEqual(['unknown node type action.teleport'])
    expect(nodes[4].position).toEqual({ x: 0, y: 0 })
  })
})

describe('toCanvasEdges', () => {
  it('uses branches as source handles and round-trips to the same document edges', () => {
    const doc = pricingFlow()
    const edges = toCanvasEdges(doc, { selectedEdges: new Set(['c1->a2:no']) })
    expect(edges.map((e) => [e.id, e.source, e.target, e.sourceHandle, e.selected])).toEqual([
      ['t1->c1', 't1', 'c1', null, false],
      ['c1->a1:yes', 'c1', 'a1', 'yes', false],
      ['c1->a2:no', 'c1', 'a2', 'no', true],
    ])
    const back = edges.map((e) => toFlowEdge({ source: e.source, target: e.target, sourceHandle: e.sourceHandle }))
    expect(back).toEqual(doc.edges)
  })

  it('gives duplicate edges distinct ids and marks edges with errors', () => {
    const doc = pricingFlow()
    doc.edges.push({ from: 't1', to: 'c1' })
    const issues = mapIssues(doc, [{ path: 'edges[3]', message: 'duplicate edge from "t1" to "c1"' }])
    const edges = toCanvasEdges(doc, { issues })
    expect(edges.map((e) => e.id)).toEqual(['t1->c1', 'c1->a1:yes', 'c1->a2:no', 't1->c1#2'])
    expect(edges[3].className).toBe('edge-error')
    expect(edges[0].className).toBeUndefined()
  })

  it('a drawn edge is one the connection rules then refuse to duplicate', () => {
    const doc = pricingFlow()
    for (const e of toCanvasEdges(doc)) {
      expect(connectionProblem(doc, idx, { source: e.source, target: e.target, sourceHandle: e.sourceHandle })).toMatch(/already/)
    }
  })
})
