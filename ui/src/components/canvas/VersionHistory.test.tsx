import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { stubFetch } from '../../pages/fetchStub'
import type { Flow } from '../../types'
import { pricingFlow, specs } from './fixtures'
import { indexSpecs } from './model'
import VersionHistory from './VersionHistory'

function versions() {
  const v1 = pricingFlow()
  const v2: Flow = { ...pricingFlow(), name: 'Pricing interest' }
  v2.nodes = v2.nodes.map((n) => (n.id === 'a1' ? { ...n, config: { score: 'engagement', points: 15 } } : n))
  const v3: Flow = { ...v2, nodes: [...v2.nodes, { id: 'a3', type: 'action.adjust_score', config: { score: 'fit', points: 1 } }], edges: [...v2.edges, { from: 'a1', to: 'a3' }] }
  return [
    { version: 3, created_at: '2026-12-01T10:03:00Z', flow: v3 },
    { version: 2, created_at: '2026-12-01T10:02:00Z', flow: v2 },
    { version: 1, created_at: '2026-12-01T10:01:00Z', flow: v1 },
  ]
}

function setup(initial?: number) {
  stubFetch({ 'GET /api/v1/flows/pricing-interest/versions': { body: { versions: versions() } } })
  const onClose = vi.fn()
  render(<VersionHistory flowId="pricing-interest" current={3} initial={initial} specs={indexSpecs(specs)} onClose={onClose} />)
  return { user: userEvent.setup(), onClose }
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('VersionHistory', () => {
  it('lists the versions and compares the newest with the one before', async () => {
    setup()
    const list = await screen.findByTestId('version-list')
    expect(within(list).getAllByRole('listitem').map((li) => li.querySelector('.mono')?.textContent)).toEqual(['v3', 'v2', 'v1'])
    const diff = screen.getByTestId('version-diff')
    expect(diff).toHaveTextContent('v2 → v3: 2 changes')
    expect(within(diff).getByTestId('diff-added')).toHaveTextContent('a3 Adjust score')
    expect(within(diff).getByTestId('diff-edges')).toHaveTextContent('+ a1 → a3')
  })

  it('shows old → new per config key and setting for an earlier pair', async () => {
    const { user } = setup()
    await screen.findByTestId('version-list')
    await user.click(screen.getByTestId('changes-2'))
    const diff = screen.getByTestId('version-diff')
    expect(diff).toHaveTextContent('v1 → v2: 2 changes')
    expect(within(diff).getByTestId('diff-settings')).toHaveTextContent('namePricing page interest → Pricing interest')
    expect(within(diff).getByTestId('diff-node-a1')).toHaveTextContent('points10 → 15')
    expect(within(diff).queryByTestId('diff-added')).toBeNull()
  })

  it('compares any two versions, in either order', async () => {
    const { user } = setup()
    await screen.findByTestId('version-list')
    await user.selectOptions(screen.getByTestId('compare-from'), '3')
    await user.selectOptions(screen.getByTestId('compare-to'), '1')
    expect(screen.getByTestId('version-diff')).toHaveTextContent('v1 → v3: 4 changes')
    await user.selectOptions(screen.getByTestId('compare-to'), '3')
    expect(screen.queryByTestId('version-diff')).toBeNull()
    expect(screen.getByText('Pick two different versions to compare.')).toBeInTheDocument()
  })

  it('opens on the version it was asked for (?history=)', async () => {
    setup(2)
    expect(await screen.findByTestId('version-diff')).toHaveTextContent('v1 → v2')
  })

  it('closes', async () => {
    const { user, onClose } = setup()
    await user.click(screen.getByTestId('history-close'))
    expect(onClose).toHaveBeenCalledOnce()
  })
})
