import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import ScoringMatrix from './ScoringMatrix'
import { stubFetch } from './fetchStub'
import { matrixRules } from './scoring/fixtures'

function renderMatrix() {
  return render(
    <MemoryRouter>
      <ScoringMatrix />
    </MemoryRouter>,
  )
}

// Vitest runs without globals here, so Testing Library cannot clean up by itself.
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('ScoringMatrix', () => {
  it('shows one row per rule, grouped by dimension and sorted by points', async () => {
    stubFetch({ 'GET /api/v1/scoring-matrix': { body: { rules: matrixRules } } })
    renderMatrix()
    const rows = await screen.findAllByTestId('matrix-row')
    expect(rows.map((r) => r.dataset.node)).toEqual(['a1', 'a5', 'a2', 'a3', 'a9', 'a7'])
    expect(rows[0]).toHaveAttribute('data-flow', 'pricing-interest')

    // Criterion, dimension, signed points and flow of a row; it links to its node.
    const cells = within(rows[2]).getAllByRole('cell')
    expect(cells[0]).toHaveTextContent('Visited a page containing /pricing, unless job title is CEO or CMO')
    expect(cells[1]).toHaveTextContent('engagement')
    expect(cells[2]).toHaveTextContent('+3')
    expect(cells[2]).toHaveClass('pos')
    expect(cells[3]).toHaveTextContent('Pricing page interest')
    expect(within(rows[2]).getByRole('link', { name: 'Visited a page containing /pricing' })).toHaveAttribute(
      'href',
      '/flows/pricing-interest?node=a2',
    )

    expect(within(rows[3]).getAllByRole('cell')[2]).toHaveTextContent('\u221220')
    expect(within(rows[3]).getAllByRole('cell')[2]).toHaveClass('neg')
    expect(rows[1]).toHaveTextContent('Clicked any email, at most 3 per 30d')
    expect(rows[4]).toHaveTextContent('Signed up for trial, if company size at least 25, after 30d, first time only')

    const groups = screen.getAllByTestId('matrix-group')
    expect(groups.map((g) => g.dataset.dimension)).toEqual(['engagement', 'fit'])
    expect(groups[0]).toHaveTextContent('total of positive points +18')
    expect(groups[1]).toHaveTextContent('+25')
  })

  it('filters by text and dimension', async () => {
    stubFetch({ 'GET /api/v1/scoring-matrix': { body: { rules: matrixRules } } })
    const user = userEvent.setup()
    renderMatrix()
    await screen.findAllByTestId('matrix-row')

    await user.type(screen.getByLabelText('Search criteria and flows'), 'pricing')
    expect(screen.getAllByTestId('matrix-row').map((r) => r.dataset.node)).toEqual(['a1', 'a2'])
    expect(screen.getByText('2 of 6 rules')).toBeInTheDocument()

    await user.clear(screen.getByLabelText('Search criteria and flows'))
    await user.selectOptions(screen.getByLabelText('Dimension'), 'fit')
    expect(screen.getAllByTestId('matrix-row').map((r) => r.dataset.node)).toEqual(['a9', 'a7'])

    await user.type(screen.getByLabelText('Search criteria and flows'), 'nothing like this')
    expect(screen.queryAllByTestId('matrix-row')).toHaveLength(0)
    expect(screen.getByText('No rule matches the filter.')).toBeInTheDocument()
  })

  it('renders user strings as text, never as HTML', async () => {
    const evil = '<img src=x onerror=alert(1)>'
    stubFetch({
      'GET /api/v1/scoring-matrix': { body: { rules: [{ ...matrixRules[0], trigger_text: evil, flow_name: evil }] } },
    })
    const { container } = renderMatrix()
    const [row] = await screen.findAllByTestId('matrix-row')
    expect(row).toHaveTextContent(evil)
    expect(container.querySelector('img')).toBeNull()
  })

  it('says what to do when there are no rules', async () => {
    stubFetch({ 'GET /api/v1/scoring-matrix': { body: { rules: [] } } })
    renderMatrix()
    expect(await screen.findByText(/No scoring rules yet/)).toBeInTheDocument()
    expect(screen.queryByTestId('matrix-table')).toBeNull()
  })

  it('shows the API error', async () => {
    stubFetch({})
    renderMatrix()
    expect(await screen.findByText(/Could not load the scoring rules: no route GET/)).toBeInTheDocument()
  })
})
