import { copySelection, pasteClip, setClipboard, takeClipboard } from './clipboard'
import { pricingFlow } from './fixtures'

describe('copy and paste', () => {
  it('copies the selected nodes and only the edges between them', () => {
    const clip = copySelection(pricingFlow(), ['c1', 'a1'])!
    expect(clip.nodes.map((n) => n.id)).toEqual(['c1', 'a1'])
    expect(clip.edges).toEqual([{ from: 'c1', to: 'a1', branch: 'yes' }])
  })

  it('copies nothing from an empty selection', () => {
    expect(copySelection(pricingFlow(), [])).toBeNull()
    expect(copySelection(pricingFlow(), ['nope'])).toBeNull()
  })

  it('pastes under new ids with remapped edges and shifted positions', () => {
    const doc = pricingFlow()
    const clip = copySelection(doc, ['t1', 'c1', 'a2'])!
    const { doc: out, ids } = pasteClip(doc, clip, { x: 40, y: 40 })
    expect(ids).toEqual(['t2', 'c2', 'a3'])
    expect(out.nodes.slice(4)).toEqual([
      { id: 't2', type: 'trigger.page_visited', config: { url: '/pricing', match: 'contains' }, position: { x: 40, y: 40 } },
      { id: 'c2', type: 'condition.if', config: doc.nodes[1].config, position: { x: 340, y: 40 } },
      { id: 'a3', type: 'action.adjust_score', config: { score: 'engagement', points: 3 }, position: { x: 640, y: 120 } },
    ])
    expect(out.edges.slice(3)).toEqual([
      { from: 't2', to: 'c2' },
      { from: 'c2', to: 'a3', branch: 'no' },
    ])
    // The original document is untouched, and configs are not shared.
    expect(doc.nodes).toHaveLength(4)
    expect(out.nodes[5].config).not.toBe(doc.nodes[1].config)
  })

  it('pastes twice without id clashes', () => {
    const doc = pricingFlow()
    const clip = copySelection(doc, ['a1'])!
    const once = pasteClip(doc, clip, { x: 40, y: 40 })
    const twice = pasteClip(once.doc, clip, { x: 80, y: 80 })
    expect(twice.ids).toEqual(['a4'])
    expect(new Set(twice.doc.nodes.map((n) => n.id)).size).toBe(6)
  })

  it('counts pastes of one clip so each lands further away', () => {
    setClipboard(copySelection(pricingFlow(), ['a1']))
    expect(takeClipboard()?.count).toBe(1)
    expect(takeClipboard()?.count).toBe(2)
    setClipboard(null)
    expect(takeClipboard()).toBeNull()
  })
})
