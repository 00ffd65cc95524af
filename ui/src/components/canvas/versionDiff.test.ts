import type { Flow } from '../../types'
import { pricingFlow } from './fixtures'
import { canonical, changeCount, diffVersions, formatDiffValue, formatEntry } from './versionDiff'

const empty = { settings: [], nodesAdded: [], nodesRemoved: [], nodesChanged: [], edgesAdded: [], edgesRemoved: [], nodesMoved: [] }

function edit(f: (doc: Flow) => void): Flow {
  const doc = pricingFlow()
  f(doc)
  return doc
}

describe('diffVersions', () => {
  it('finds nothing between equal versions, whatever the key order', () => {
    const a = pricingFlow()
    const b = edit((d) => {
      d.nodes[0].config = { match: 'contains', url: '/pricing' }
    })
    expect(diffVersions(a, b)).toEqual(empty)
    expect(changeCount(diffVersions(a, b))).toBe(0)
  })

  it('lists steps added and removed with the links that went with them', () => {
    const b = edit((d) => {
      d.nodes = d.nodes.filter((n) => n.id !== 'a2')
      d.edges = d.edges.filter((e) => e.to !== 'a2')
      d.nodes.push({ id: 'a3', type: 'action.add_tag', config: { tag: 'pricing' } })
      d.edges.push({ from: 'a1', to: 'a3' })
    })
    const diff = diffVersions(pricingFlow(), b)
    expect(diff.nodesAdded.map((n) => n.id)).toEqual(['a3'])
    expect(diff.nodesRemoved.map((n) => n.id)).toEqual(['a2'])
    expect(diff.edgesAdded).toEqual([{ from: 'a1', to: 'a3' }])
    expect(diff.edgesRemoved).toEqual([{ from: 'c1', to: 'a2', branch: 'no' }])
    expect(diff.nodesChanged).toEqual([])
    expect(changeCount(diff)).toBe(4)
  })

  it('names each changed config key with its old and new value', () => {
    const b = edit((d) => {
      d.nodes[2].config = { score: 'fit', points: 15 }
      d.nodes[0].config = { url: '/pricing' } // match removed
      d.nodes[1].config = { where: { field: 'attributes.job_title', op: 'in', value: ['CEO'] } }
    })
    const diff = diffVersions(pricingFlow(), b)
    expect(diff.nodesChanged).toEqual([
      { id: 't1', type: 'trigger.page_visited', config: [{ key: 'match', before: 'contains', after: undefined }] },
      {
        id: 'c1',
        type: 'condition.if',
        config: [
          {
            key: 'where',
            before: { field: 'attributes.job_title', op: 'in', value: ['CEO', 'CMO'] },
            after: { field: 'attributes.job_title', op: 'in', value: ['CEO'] },
          },
        ],
      },
      {
        id: 'a1',
        type: 'action.adjust_score',
        config: [
          { key: 'points', before: 10, after: 15 },
          { key: 'score', before: 'engagement', after: 'fit' },
        ],
      },
    ])
    expect(diff.nodesAdded).toEqual([])
    expect(diff.nodesMoved).toEqual([])
  })

  it('reports a reused id with another type as a change of type', () => {
    const b = edit((d) => {
      d.nodes[3] = { id: 'a2', type: 'action.add_tag', config: { tag: 'x' }, position: d.nodes[3].position }
    })
    const [c] = diffVersions(pricingFlow(), b).nodesChanged
    expect(c).toMatchObject({ id: 'a2', type: 'action.add_tag', typeBefore: 'action.adjust_score' })
    expect(c.config.map((x) => x.key)).toEqual(['points', 'score', 'tag'])
  })

  it('tells name, enabled and entry changes apart from moves', () => {
    const b = edit((d) => {
      d.name = 'Pricing interest v2'
      d.enabled = false
      d.entry = { mode: 'limited', max: 3, window: '30d' }
      d.nodes[0].position = { x: 50, y: 10 }
    })
    const diff = diffVersions(pricingFlow(), b)
    expect(diff.settings).toEqual([
      { key: 'name', before: 'Pricing page interest', after: 'Pricing interest v2' },
      { key: 'enabled', before: true, after: false },
      { key: 'entry', before: { mode: 'every_time' }, after: { mode: 'limited', max: 3, window: '30d' } },
    ])
    expect(diff.nodesMoved).toEqual(['t1'])
    expect(changeCount(diff)).toBe(3)
  })

  it('treats an absent description or include_disqualified as its default', () => {
    const a = edit((d) => {
      d.description = ''
      d.include_disqualified = false
    })
    expect(diffVersions(a, pricingFlow()).settings).toEqual([])
    const b = edit((d) => {
      d.description = 'Scores pricing visits'
    })
    expect(diffVersions(pricingFlow(), b).settings).toEqual([{ key: 'description', before: undefined, after: 'Scores pricing visits' }])
  })

  it('counts duplicate links', () => {
    const b = edit((d) => d.edges.push({ from: 't1', to: 'c1' }))
    expect(diffVersions(pricingFlow(), b).edgesAdded).toEqual([{ from: 't1', to: 'c1' }])
    expect(diffVersions(b, pricingFlow()).edgesRemoved).toEqual([{ from: 't1', to: 'c1' }])
  })

  it('sees a link whose branch changed as one removed and one added', () => {
    const b = edit((d) => {
      d.edges[1] = { from: 'c1', to: 'a1', branch: 'no' }
    })
    const diff = diffVersions(pricingFlow(), b)
    expect(diff.edgesRemoved).toEqual([{ from: 'c1', to: 'a1', branch: 'yes' }])
    expect(diff.edgesAdded).toEqual([{ from: 'c1', to: 'a1', branch: 'no' }])
  })
})

describe('formatting', () => {
  it('writes entry rules in words', () => {
    expect(formatEntry({ mode: 'every_time' })).toBe('every time')
    expect(formatEntry({ mode: 'once' })).toBe('once per contact')
    expect(formatEntry({ mode: 'limited', max: 2, window: '7d' })).toBe('at most 2 times per 7d')
  })

  it('shows values compactly', () => {
    expect(formatDiffValue('points', 10)).toBe('10')
    expect(formatDiffValue('score', 'fit')).toBe('fit')
    expect(formatDiffValue('match', undefined)).toBe('—')
    expect(formatDiffValue('entry', { mode: 'once' })).toBe('once per contact')
    expect(formatDiffValue('where', { op: 'in', value: ['CEO'] })).toBe('{"op":"in","value":["CEO"]}')
  })

  it('canonical sorts keys and drops undefined', () => {
    expect(canonical({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}')
  })
})
