// Read-only mode: /me decides, once, for every page; a read key sees the
// pages with their edit controls hidden or disabled and one note.
import { cleanup, render, screen, waitFor, within } from '@testing-library/react'
import { MemoryRouter, Route, Routes } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadMe, refreshAccess, setMe, useAccess } from './access'
import App from './App'
import FlowList from './pages/FlowList'
import SegmentEditor from './pages/SegmentEditor'
import SegmentList from './pages/SegmentList'
import { stubFetch } from './pages/fetchStub'
import { pricingFlow } from './components/canvas/fixtures'

const readKey = { name: 'metabase', scope: 'read' as const, open: false }

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setMe(undefined)
})

describe('loadMe', () => {
  it.each([
    ['a read key', { status: 200, body: readKey }, readKey],
    ['an admin key', { status: 200, body: { name: 'ops', scope: 'admin', open: false } }, { name: 'ops', scope: 'admin', open: false }],
    ['an open server', { status: 200, body: { name: '', scope: 'admin', open: true } }, { name: '', scope: 'admin', open: true }],
    ['an older server without /me', { status: 404, body: { error: { code: 'not_found', message: 'no route' } } }, { name: 'admin', scope: 'admin', open: false }],
    ['a write key, refused', { status: 403, body: { error: { code: 'forbidden', message: 'ingest only' } } }, { name: '', scope: 'write', open: false }],
    ['an unknown scope', { status: 200, body: { name: 'x', scope: 'owner' } }, { name: 'x', scope: 'admin', open: false }],
  ])('%s', async (_, answer, want) => {
    stubFetch({ 'GET /api/v1/me': answer })
    expect(await loadMe()).toEqual(want)
  })

  it('passes other failures on', async () => {
    stubFetch({ 'GET /api/v1/me': { status: 500, body: { error: { code: 'internal', message: 'boom' } } } })
    await expect(loadMe()).rejects.toThrow('boom')
  })
})

function Probe() {
  const a = useAccess()
  return <span data-testid="probe">{`${a.settled}/${a.canEdit}/${a.me?.scope ?? '-'}`}</span>
}

describe('refreshAccess', () => {
  it('settles as admin when /me fails (401: the key prompt takes over)', async () => {
    stubFetch({ 'GET /api/v1/me': { status: 401, body: { error: { code: 'unauthorized', message: 'key' } } } })
    render(<Probe />)
    await refreshAccess()
    expect(screen.getByTestId('probe')).toHaveTextContent('true/true/-')
  })

  it('tells every component about a read key', async () => {
    stubFetch({ 'GET /api/v1/me': { body: readKey } })
    render(<Probe />)
    await refreshAccess()
    await waitFor(() => expect(screen.getByTestId('probe')).toHaveTextContent('true/false/read'))
  })
})

function renderApp(me: { status?: number; body: unknown }) {
  stubFetch({ 'GET /api/v1/me': me })
  return render(
    <MemoryRouter initialEntries={['/scoring']}>
      <App />
    </MemoryRouter>,
  )
}

describe('App', () => {
  it('hides Audit and shows one read-only note for a read key', async () => {
    renderApp({ body: readKey })
    expect(await screen.findByTestId('read-only-note')).toHaveTextContent('Read-only key: you can look but not change anything')
    expect(screen.getAllByTestId('read-only-note')).toHaveLength(1)
    const nav = screen.getByRole('navigation')
    expect(within(nav).queryByRole('link', { name: 'Audit' })).toBeNull()
    expect(within(nav).getByRole('link', { name: 'Flows' })).toBeInTheDocument()
    expect(screen.getByTestId('key-name')).toHaveTextContent('metabase · read')
    expect(screen.getByRole('main')).toBeVisible()
  })

  it('treats a server without /me as admin', async () => {
    renderApp({ status: 404, body: { error: { code: 'not_found', message: 'no route' } } })
    const nav = screen.getByRole('navigation')
    expect(await within(nav).findByRole('link', { name: 'Audit' })).toBeInTheDocument()
    expect(screen.queryByTestId('read-only-note')).toBeNull()
  })
})

const flows = [{ ...pricingFlow(), version: 3 }]

describe('read-only pages', () => {
  it('FlowList: no new, import, duplicate or delete; the switch is disabled; export stays', async () => {
    setMe(readKey)
    stubFetch({ 'GET /api/v1/flows': { body: { flows } }, 'GET /api/v1/node-types': { body: { node_types: [] } } })
    render(
      <MemoryRouter>
        <FlowList />
      </MemoryRouter>,
    )
    const row = await screen.findByTestId('flow-row-pricing-interest')
    expect(within(row).getByTestId('toggle-pricing-interest')).toBeDisabled()
    expect(within(row).getByTestId('export-pricing-interest')).toBeEnabled()
    for (const id of ['new-flow', 'import-flow', 'duplicate-pricing-interest', 'delete-pricing-interest']) {
      expect(screen.queryByTestId(id)).toBeNull()
    }
  })

  it('FlowList: an admin key keeps every control', async () => {
    stubFetch({ 'GET /api/v1/flows': { body: { flows } }, 'GET /api/v1/node-types': { body: { node_types: [] } } })
    render(
      <MemoryRouter>
        <FlowList />
      </MemoryRouter>,
    )
    await screen.findByTestId('flow-row-pricing-interest')
    expect(screen.getByTestId('toggle-pricing-interest')).toBeEnabled()
    for (const id of ['new-flow', 'import-flow', 'duplicate-pricing-interest', 'delete-pricing-interest']) {
      expect(screen.getByTestId(id)).toBeInTheDocument()
    }
  })

  it('SegmentList and SegmentEditor: no new, save or delete; the form is disabled', async () => {
    setMe(readKey)
    const segment = { id: 'enterprise', name: 'Enterprise', where: { field: 'attributes.employees', op: 'gte', value: 500 } }
    stubFetch({
      'GET /api/v1/segments': { body: { segments: [segment] } },
      'GET /api/v1/segments/enterprise': { body: segment },
      'GET /api/v1/segments/enterprise/contacts?limit=50&cursor=': { body: { contacts: [], next_cursor: '' } },
    })
    render(
      <MemoryRouter initialEntries={['/segments']}>
        <Routes>
          <Route path="/segments" element={<SegmentList />} />
        </Routes>
      </MemoryRouter>,
    )
    await screen.findByTestId('segment-row-enterprise')
    expect(screen.queryByTestId('segment-new')).toBeNull()
    expect(screen.queryByTestId('segment-delete')).toBeNull()
    cleanup()

    render(
      <MemoryRouter initialEntries={['/segments/enterprise']}>
        <Routes>
          <Route path="/segments/:id" element={<SegmentEditor />} />
        </Routes>
      </MemoryRouter>,
    )
    expect(await screen.findByTestId('segment-name')).toBeDisabled()
    expect(screen.getByTestId('segment-name')).toHaveValue('Enterprise')
    expect(screen.getByTestId('segment-description')).toBeDisabled()
    expect(screen.queryByTestId('segment-save')).toBeNull()
    expect(screen.queryByTestId('segment-delete')).toBeNull()
  })
})
