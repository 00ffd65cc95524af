import { pricingFlow, specs } from './fixtures'
import { apiBody, copyId, documentOf, editable, indexSpecs, kindOf, nextNodeId, slugify, triggerTitles } from './model'

describe('nextNodeId', () => {
  it.each([
    ['trigger.event', [], 't1'],
    ['action.add_tag', ['a1', 'a2', 't1'], 'a3'],
    ['action.add_tag', ['a7', 'a2'], 'a8'],
    ['condition.if', ['t1', 'a1'], 'c1'],
    ['delay.wait', ['d1'], 'd2'],
    ['mystery.thing', ['n1'], 'n2'],
    ['action.add_tag', ['a01', 'a1x'], 'a2'],
  ])('%s with %j → %s', (type, taken, want) => expect(nextNodeId(type, taken)).toBe(want))
})

describe('slugify', () => {
  it.each([
    ['Pricing page interest', 'pricing-page-interest'],
    ['  Hot leads: CEO / CMO!  ', 'hot-leads-ceo-cmo'],
    ['Café déjà vu', 'cafe-deja-vu'],
    ['---', ''],
    ['a'.repeat(80), 'a'.repeat(64)],
  ])('%s → %s', (name, want) => expect(slugify(name)).toBe(want))
})

describe('copyId', () => {
  it('finds a free copy id', () => {
    expect(copyId('fit-age', ['fit-age'])).toBe('fit-age-copy')
    expect(copyId('fit-age', ['fit-age', 'fit-age-copy', 'fit-age-copy-2'])).toBe('fit-age-copy-3')
  })
})

describe('documents', () => {
  const served = { ...pricingFlow(), version: 3, created_at: 'x', updated_at: 'y', runs_24h: 5, failed_24h: 1 }

  it('documentOf strips server fields but keeps the version', () => {
    const d = documentOf(served)
    expect(d).not.toHaveProperty('created_at')
    expect(d).not.toHaveProperty('runs_24h')
    expect(d).toEqual({ ...pricingFlow(), version: 3 })
  })

  it('apiBody and editable drop the version too', () => {
    expect(apiBody(served)).toEqual(pricingFlow())
    expect(editable({ id: 'x', name: 'X', enabled: false } as never)).toEqual({ id: 'x', name: 'X', enabled: false, nodes: [], edges: [], entry: { mode: 'every_time' } })
  })

  it('triggerTitles names trigger types once each', () => {
    const f = pricingFlow()
    f.nodes.push({ id: 't2', type: 'trigger.page_visited' }, { id: 't3', type: 'trigger.unknown' })
    expect(triggerTitles(f, indexSpecs(specs))).toEqual(['Page visited', 'trigger.unknown'])
  })

  it('kindOf reads the kind from the type', () => {
    expect(kindOf('delay.wait')).toBe('delay')
    expect(kindOf('weird')).toBeUndefined()
  })
})
