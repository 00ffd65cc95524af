import { pricingFlow } from './fixtures'
import { addEdge, addNode, edgeIds, moveNodes, removeElements, setNodeConfig, withPositions } from './ops'

describe('document operations', () => {
  it('addNode picks the next id of its kind and rounds the position', () => {
    const { doc, id } = addNode(pricingFlow(), 'action.add_tag', { x: 10.4, y: 20.6 })
    expect(id).toBe('a3')
    expect(doc.nodes[4]).toEqual({ id: 'a3', type: 'action.add_tag', config: {}, position: { x: 10, y: 21 } })
  })

  it('removeElements removes nodes with their edges, and edges by id', () => {
    const doc = pricingFlow()
    expect(removeElements(doc, ['c1']).edges).toEqual([])
    const out = removeElements(doc, [], ['c1->a1:yes'])
    expect(out.nodes).toHaveLength(4)
    expect(out.edges).toEqual([{ from: 't1', to: 'c1' }, { from: 'c1', to: 'a2', branch: 'no' }])
    expect(removeElements(doc, [], [])).toBe(doc)
  })

  it('removes one of two duplicate edges by its id', () => {
    const doc = addEdge(pricingFlow(), { from: 't1', to: 'c1' })
    expect(edgeIds(doc.edges)[3]).toBe('t1->c1#2')
    expect(removeElements(doc, [], ['t1->c1#2']).edges).toEqual(pricingFlow().edges)
  })

  it('moveNodes changes only moved nodes and returns the same document when nothing moved', () => {
    const doc = pricingFlow()
    const out = moveNodes(doc, { a1: { x: 1.2, y: 2 } })
    expect(out.nodes[2].position).toEqual({ x: 1, y: 2 })
    expect(out.nodes[0]).toBe(doc.nodes[0])
    expect(moveNodes(doc, { a1: { x: 600, y: -80 } })).toBe(doc)
  })

  it('setNodeConfig replaces one config', () => {
    const out = setNodeConfig(pricingFlow(), 'a1', { score: 'fit', points: 1 })
    expect(out.nodes[2].config).toEqual({ score: 'fit', points: 1 })
  })

  it('withPositions places nodes that have none', () => {
    const doc = pricingFlow()
    delete doc.nodes[1].position
    expect(withPositions(doc).nodes[1].position).toEqual({ x: 280, y: 0 })
    const placed = pricingFlow()
    expect(withPositions(placed)).toBe(placed)
  })
})
