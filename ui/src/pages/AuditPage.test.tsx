import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setMe } from '../access'
import type { AuditEntry } from '../types'
import AuditPage, { auditPageSize, targetLink } from './AuditPage'
import { stubFetch } from './fetchStub'

const page1: AuditEntry[] = [
  { id: 5, at: '2026-12-01T10:05:00Z', key: 'ops', action: 'flow.update', target: 'pricing-interest', version: 4 },
  { id: 4, at: '2026-12-01T10:04:00Z', key: 'ops', action: 'flow.delete', target: 'old-flow', version: 2 },
  { id: 3, at: '2026-12-01T10:03:00Z', key: 'admin', action: 'segment.create', target: 'enterprise', version: null },
]
const page2: AuditEntry[] = [
  { id: 2, at: '2026-12-01T10:02:00Z', key: 'admin', action: 'key.create', target: 'metabase' },
  { id: 1, at: '2026-12-01T10:01:00Z', key: 'admin', action: 'settings.update', target: '' },
]

function setup() {
  const stub = stubFetch({
    [`GET /api/v1/audit?limit=${auditPageSize}`]: { body: { entries: page1, next_cursor: 'c3' } },
    [`GET /api/v1/audit?limit=${auditPageSize}&cursor=c3`]: { body: { entries: page2, next_cursor: '' } },
    'GET /api/v1/flows': { body: { flows: [{ id: 'pricing-interest', name: 'Pricing' }] } },
    'GET /api/v1/segments': { body: { segments: [{ id: 'enterprise', name: 'Enterprise' }] } },
  })
  render(
    <MemoryRouter>
      <AuditPage />
    </MemoryRouter>,
  )
  return { stub, user: userEvent.setup() }
}

const rows = () => screen.getAllByTestId('audit-row')

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setMe(undefined)
})

describe('AuditPage', () => {
  it('shows entries newest first and pages on with the cursor', async () => {
    const { stub, user } = setup()
    await screen.findByText('flow.update')
    expect(rows().map((r) => within(r).getAllByRole('cell')[2].textContent)).toEqual(['flow.update', 'flow.delete', 'segment.create'])
    expect(within(rows()[0]).getAllByRole('cell')[1]).toHaveTextContent('ops')
    expect(within(rows()[0]).getAllByRole('cell')[4]).toHaveTextContent('4')

    await user.click(screen.getByTestId('load-more'))
    await screen.findByText('key.create')
    expect(rows()).toHaveLength(5)
    expect(stub.calls.filter((c) => c.path.startsWith('/api/v1/audit')).map((c) => c.path)).toEqual([
      `/api/v1/audit?limit=${auditPageSize}`,
      `/api/v1/audit?limit=${auditPageSize}&cursor=c3`,
    ])
    // The last page has no cursor: nothing more to load.
    expect(screen.queryByTestId('load-more')).toBeNull()
    expect(screen.getByText('All 5 changes shown.')).toBeInTheDocument()
  })

  it('links targets that still exist', async () => {
    setup()
    const live = await screen.findByRole('link', { name: 'pricing-interest' })
    expect(live).toHaveAttribute('href', '/flows/pricing-interest?history=4')
    expect(screen.getByRole('link', { name: 'enterprise' })).toHaveAttribute('href', '/segments/enterprise')
    // A deleted flow is named, not linked.
    expect(screen.getByText('old-flow').closest('a')).toBeNull()
  })

  it('is closed to a read key', () => {
    setMe({ name: 'bi', scope: 'read', open: false })
    const { stub } = setup()
    expect(screen.getByText('Only an admin key can read the audit log.')).toBeInTheDocument()
    expect(stub.calls).toHaveLength(0)
  })
})

describe('targetLink', () => {
  const live = { flows: new Set(['f']), segments: new Set(['s']) }
  it.each([
    [{ action: 'flow.create', target: 'f', version: 1 }, '/flows/f?history=1'],
    [{ action: 'flow.update', target: 'gone', version: 3 }, undefined],
    [{ action: 'segment.update', target: 's' }, '/segments/s'],
    [{ action: 'segment.delete', target: 'x' }, undefined],
    [{ action: 'contact.merge', target: 'c 1' }, '/contacts/c%201'],
    [{ action: 'key.revoke', target: 'metabase' }, '/settings/keys'],
    [{ action: 'settings.update', target: 'settings' }, '/settings'],
    [{ action: 'lab.apply', target: 'exp-1' }, undefined],
  ])('%o → %s', (e, want) => {
    expect(targetLink({ at: '', key: 'k', ...e }, live)).toBe(want)
  })
})
