import { pricingFlow } from './fixtures'
import { autoLayout } from './layout'

describe('autoLayout', () => {
  it('lays out left to right, branches one above the other', () => {
    const f = pricingFlow()
    const p = autoLayout(f.nodes, f.edges)
    expect(p.t1.x).toBeLessThan(p.c1.x)
    expect(p.c1.x).toBeLessThan(p.a1.x)
    expect(p.a1.x).toBe(p.a2.x)
    expect(p.a1.y).not.toBe(p.a2.y)
  })

  it('uses measured sizes and ignores dangling edges', () => {
    const f = pricingFlow()
    f.edges.push({ from: 'a1', to: 'gone' })
    const p = autoLayout(f.nodes, f.edges, (id) => (id === 't1' ? { width: 400, height: 100 } : undefined))
    expect(Object.keys(p).sort()).toEqual(['a1', 'a2', 'c1', 't1'])
    // A wider first node pushes the next column further right.
    expect(p.c1.x - p.t1.x).toBeGreaterThanOrEqual(400)
  })
})
