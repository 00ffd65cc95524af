import { connectionProblem, reaches, toFlowEdge, type ConnectionLike } from './connect'
import { pricingFlow, specs } from './fixtures'
import { indexSpecs } from './model'

const idx = indexSpecs(specs)

// A pricing flow plus a free-standing wait d1 and tag action a3.
function graph() {
  const f = pricingFlow()
  f.nodes.push({ id: 'd1', type: 'delay.wait', config: { for: '1d' } }, { id: 'a3', type: 'action.add_tag', config: { tag: 'x' } })
  f.edges.push({ from: 'a1', to: 'd1' })
  return f
}

const conn = (source: string, target: string, sourceHandle: string | null = null): ConnectionLike => ({ source, target, sourceHandle, targetHandle: null })

describe('connectionProblem', () => {
  const cases: [string, ConnectionLike, RegExp | null][] = [
    ['action to action', conn('a2', 'a3'), null],
    ['trigger to wait', conn('t1', 'd1'), null],
    ['yes branch to a new node', conn('c1', 'a3', 'yes'), null],
    ['no branch to a node the yes branch reaches', conn('c1', 'a1', 'no'), null],
    ['a second edge from the same yes handle', conn('c1', 'd1', 'yes'), null],
    ['into a trigger', conn('a1', 't1'), /trigger/],
    ['self loop', conn('a1', 'a1'), /itself/],
    ['direct cycle', conn('d1', 'a1'), /loop/],
    ['longer cycle', conn('d1', 'c1'), /loop/],
    ['duplicate edge', conn('t1', 'c1'), /already/],
    ['duplicate branch edge', conn('c1', 'a1', 'yes'), /already/],
    ['condition without a branch', conn('c1', 'a3'), /branches/],
    ['condition with an unknown branch', conn('c1', 'a3', 'maybe'), /branches/],
    ['branch from a node without branches', conn('a2', 'a3', 'yes'), /no branches/],
    ['unknown node', conn('a2', 'zz'), /no such node/],
    ['half a connection', { source: 'a2', target: null }, /two nodes/],
  ]
  it.each(cases)('%s', (_, c, want) => {
    const got = connectionProblem(graph(), idx, c)
    if (want === null) expect(got).toBeNull()
    else expect(got).toMatch(want)
  })
})

describe('reaches', () => {
  const edges = [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
    { from: 'x', to: 'a' },
  ]
  it.each([
    ['a', 'c', true],
    ['x', 'c', true],
    ['c', 'a', false],
    ['b', 'x', false],
    ['a', 'a', true],
  ])('%s → %s: %s', (from, to, want) => expect(reaches(edges, from, to)).toBe(want))

  it('terminates on an existing cycle', () => {
    expect(reaches([{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }], 'a', 'z')).toBe(false)
  })
})

describe('toFlowEdge', () => {
  it('turns a branch handle into the edge branch', () => {
    expect(toFlowEdge(conn('c1', 'a1', 'yes'))).toEqual({ from: 'c1', to: 'a1', branch: 'yes' })
    expect(toFlowEdge(conn('t1', 'c1'))).toEqual({ from: 't1', to: 'c1' })
  })
})
