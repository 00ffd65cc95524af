import { cleanup, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Contact, LedgerEntry } from '../../types'
import ContactList from '../ContactList'
import ContactPage from '../ContactPage'
import SegmentEditor from '../SegmentEditor'
import { scoreSeries } from './scoreSeries'
import { slugify } from './slug'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const evil = '<img src=x onerror=alert(1)>'

const contact: Contact = {
  id: 'c-42',
  email: 'ivan@acme.test',
  attributes: { job_title: evil, company_size: 40 },
  scores: { engagement: 23, fit: 15 },
  score: 38,
  grade: 'warm',
  tags: ['trial', evil],
  deal_stage: 'mql',
  disqualified: null,
  segments: ['mql'],
  created_at: '2026-11-01T00:00:00Z',
  last_activity_at: '2026-11-03T00:00:00Z',
}

const entry = (at: string, score: string, delta: number, value: number, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  at, score, delta, value, flow: 'pricing-interest', flow_version: 3, node: 'a1', event_id: 'evt-1', ...extra,
})

// Newest first, as the API answers.
const history: LedgerEntry[] = [
  entry('2026-11-03T00:00:00Z', 'engagement', -7, 23, { flow: null, flow_version: null, node: null, event_id: null, reason: 'decay' }),
  entry('2026-11-02T00:00:00Z', 'engagement', 20, 30),
  entry('2026-11-01T12:00:00Z', 'fit', 15, 15, { flow: 'fit', node: 'a2' }),
  entry('2026-11-01T12:00:00Z', 'engagement', 10, 10),
]

// mockApi answers fetch from a table of path → body (or [status, body]).
function mockApi(routes: Record<string, unknown>) {
  const calls: { method: string; path: string; body?: unknown }[] = []
  vi.stubGlobal('fetch', async (path: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined })
    const key = Object.keys(routes).find((k) => `${method} ${path}`.startsWith(k))
    if (!key) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }), { status: 404 })
    const r = routes[key]
    const [status, body] = Array.isArray(r) && typeof r[0] === 'number' ? r : [200, r]
    return new Response(JSON.stringify(body), { status })
  })
  return calls
}

describe('scoreSeries', () => {
  it('sums the latest value of each dimension, oldest first, one point per instant', () => {
    expect(scoreSeries(history).map((p) => [p.at, p.total])).toEqual([
      ['2026-11-01T12:00:00Z', 25],
      ['2026-11-02T00:00:00Z', 45],
      ['2026-11-03T00:00:00Z', 38],
    ])
  })

  it('starts at 0 from creation and carries the total to now', () => {
    const now = Date.parse('2026-11-10T00:00:00Z')
    const pts = scoreSeries(history, { from: '2026-11-01T00:00:00Z', until: now })
    expect(pts[0]).toMatchObject({ total: 0, at: '2026-11-01T00:00:00Z' })
    expect(pts.at(-1)).toMatchObject({ total: 38, t: now })
  })

  it('is empty without history', () => {
    expect(scoreSeries([], { from: '2026-11-01T00:00:00Z', until: Date.now() })).toEqual([])
  })
})

describe('slugify', () => {
  it.each([
    ['Hot leads', 'hot-leads'],
    ['  Marketing qualified (MQL)!  ', 'marketing-qualified-mql'],
    ['Qualifié à Zürich', 'qualifie-a-zurich'],
    ['---', ''],
  ])('%j → %j', (name, id) => expect(slugify(name)).toBe(id))
})

describe('ContactPage', () => {
  it('explains every point and shows user data as text', async () => {
    mockApi({
      'GET /api/v1/contacts/c-42/history': { history },
      'GET /api/v1/contacts/c-42/timeline': { events: [{ id: 'evt-1', type: 'page_visited', contact_id: 'c-42', timestamp: '2026-11-02T00:00:00Z', properties: { url: evil } }] },
      'GET /api/v1/contacts/c-42': contact,
      'GET /api/v1/segments': { segments: [{ id: 'mql', name: 'Marketing qualified', where: {} }] },
    })
    const { container } = render(
      <MemoryRouter initialEntries={['/contacts/c-42']}>
        <Routes>
          <Route path="/contacts/:id" element={<ContactPage />} />
        </Routes>
      </MemoryRouter>,
    )
    expect(await screen.findByTestId('contact-score')).toHaveTextContent('38')
    expect(screen.getByTestId('contact-grade')).toHaveTextContent('warm')
    expect(screen.getByTestId('contact-grade')).toHaveClass('badge', 'warm')
    expect(screen.getByTestId('contact-email')).toHaveTextContent('ivan@acme.test')
    const rows = await screen.findAllByTestId('history-row')
    expect(rows).toHaveLength(4)
    expect(rows[0]).toHaveTextContent('−7')
    expect(rows[0]).toHaveTextContent('decay')
    expect(rows[1]).toHaveTextContent('+20')
    expect(rows[1]).toHaveTextContent('page_visited') // the event behind the points, by id
    const flow = within(rows[1]).getByRole('link')
    expect(flow).toHaveAttribute('href', '/flows/pricing-interest?node=a1')
    expect(flow).toHaveTextContent('pricing-interest v3')
    expect(screen.getByRole('link', { name: 'Marketing qualified' })).toHaveAttribute('href', '/segments/mql')
    expect(await screen.findByTestId('timeline')).toHaveTextContent(`url: ${evil}`)
    // The chart is its own chunk; it replaces its placeholder.
    expect(await screen.findByTestId('score-chart')).toHaveTextContent('Total score over time')
    expect(container.querySelector('.chart-placeholder')).toBeNull()
    // The hostile strings are on the page as characters, never as elements.
    expect(container.textContent).toContain(evil)
    expect(container.querySelector('img')).toBeNull()
  })

  it('says so when the contact does not exist', async () => {
    mockApi({})
    render(
      <MemoryRouter initialEntries={['/contacts/nobody']}>
        <Routes>
          <Route path="/contacts/:id" element={<ContactPage />} />
        </Routes>
      </MemoryRouter>,
    )
    expect(await screen.findByText(/There is no contact/)).toBeInTheDocument()
  })
})

describe('ContactList', () => {
  it('sends the filters of the URL and pages with the cursor', async () => {
    const calls = mockApi({
      'GET /api/v1/settings': { scores: [{ name: 'engagement' }, { name: 'fit' }], grades: [{ name: 'cold', min: null }, { name: 'hot', min: 50 }], pipeline: [] },
      'GET /api/v1/segments': { segments: [] },
      'GET /api/v1/contacts?grade=hot&sort=-score&limit=50&cursor=abc': { contacts: [{ ...contact, id: 'c-43', email: 'x@acme.test' }], next_cursor: '' },
      'GET /api/v1/contacts?grade=hot&sort=-score&limit=50&cursor=': { contacts: [contact], next_cursor: 'abc' },
    })
    const user = userEvent.setup()
    render(
      <MemoryRouter initialEntries={['/contacts?grade=hot']}>
        <ContactList />
      </MemoryRouter>,
    )
    expect(await screen.findByTestId('contact-row-c-42')).toHaveTextContent('ivan@acme.test')
    expect(screen.getByTestId('contact-row-c-42')).toHaveTextContent(evil) // a tag, as text
    await user.click(screen.getByTestId('load-more'))
    expect(await screen.findByTestId('contact-row-c-43')).toBeInTheDocument()
    expect(screen.getByTestId('contact-row-c-42')).toBeInTheDocument()
    expect(calls.filter((c) => c.path.startsWith('/api/v1/contacts')).map((c) => c.path)).toEqual([
      '/api/v1/contacts?grade=hot&sort=-score&limit=50&cursor=',
      '/api/v1/contacts?grade=hot&sort=-score&limit=50&cursor=abc',
    ])
  })
})

describe('SegmentEditor', () => {
  it('counts live while editing, then creates the segment', async () => {
    const calls = mockApi({
      'GET /api/v1/catalog': { event_types: [], tags: [], fields: [], scores: ['fit'], stages: [], segments: [] },
      'GET /api/v1/settings': { scores: [], grades: [], pipeline: [] },
      'POST /api/v1/segments/preview': { count: 12, sample: [contact] },
      'POST /api/v1/segments': [201, { id: 'hot-leads', name: 'Hot leads', where: {} }],
    })
    const user = userEvent.setup()
    render(
      <MemoryRouter initialEntries={['/segments/new']}>
        <Routes>
          <Route path="/segments/new" element={<SegmentEditor />} />
          <Route path="/segments/:id" element={<p>saved page</p>} />
        </Routes>
      </MemoryRouter>,
    )
    await user.type(screen.getByTestId('segment-name'), 'Hot leads')
    expect(screen.getByTestId('segment-id')).toHaveValue('hot-leads')
    expect(screen.getByTestId('segment-count')).toHaveTextContent('—')
    await user.click(screen.getByTestId('filter-add-condition'))
    await user.clear(screen.getByTestId('filter-value'))
    await user.type(screen.getByTestId('filter-value'), '50')
    await waitFor(() => expect(screen.getByTestId('segment-count')).toHaveTextContent('12'))
    const previews = calls.filter((c) => c.path === '/api/v1/segments/preview')
    // Debounced: one request for the settled filter, none per keystroke.
    expect(previews).toHaveLength(1)
    expect(previews[0].body).toEqual({ where: { field: 'score', op: 'gte', value: 50 } })
    await user.click(screen.getByTestId('segment-save'))
    expect(await screen.findByText('saved page')).toBeInTheDocument()
    expect(calls.find((c) => c.method === 'POST' && c.path === '/api/v1/segments')?.body).toEqual({
      id: 'hot-leads', name: 'Hot leads', where: { field: 'score', op: 'gte', value: 50 },
    })
  })

  it('shows the message and details of a refused save', async () => {
    mockApi({
      'GET /api/v1/segments/a': { id: 'a', name: 'A', where: { field: 'segments', op: 'contains', value: 'b' } },
      'GET /api/v1/segments/a/contacts': { contacts: [], next_cursor: '' },
      'PUT /api/v1/segments/a': [400, { error: { code: 'invalid_segment', message: 'segments a and b refer to each other', details: [{ path: 'where', message: 'cycle a → b → a' }] } }],
      'POST /api/v1/segments/preview': { count: 0, sample: [] },
    })
    const user = userEvent.setup()
    render(
      <MemoryRouter initialEntries={['/segments/a']}>
        <Routes>
          <Route path="/segments/:id" element={<SegmentEditor />} />
        </Routes>
      </MemoryRouter>,
    )
    await user.click(await screen.findByTestId('segment-save'))
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('segments a and b refer to each other')
    expect(alert).toHaveTextContent('cycle a → b → a')
  })
})
