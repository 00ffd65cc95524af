import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setMe } from '../access'
import type { ApiKey } from '../types'
import KeysPage from './KeysPage'
import { stubFetch } from './fetchStub'

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString()

function fixture(): ApiKey[] {
  return [
    { id: 'builtin-admin', name: 'admin (--admin-key)', scope: 'admin', created_at: minutesAgo(60 * 24 * 3), last_used_at: minutesAgo(1), builtin: true },
    { id: 'k1', name: 'metabase', scope: 'read', created_at: minutesAgo(60 * 5), last_used_at: null, builtin: false },
  ]
}

const secret = 'sfk_7f3a9c1e5b2d8046a1c3e5f7092b4d6e'

function setup() {
  let keys = fixture()
  const stub = stubFetch({
    'GET /api/v1/keys': () => ({ body: { keys } }),
    'POST /api/v1/keys': (c) => {
      const b = c.body as { name: string; scope: ApiKey['scope'] }
      keys = [...keys, { id: 'k2', name: b.name, scope: b.scope, created_at: new Date().toISOString(), last_used_at: null }]
      return { status: 201, body: { id: 'k2', name: b.name, scope: b.scope, key: secret, created_at: new Date().toISOString() } }
    },
    'DELETE /api/v1/keys/k1': () => {
      keys = keys.filter((k) => k.id !== 'k1')
      return { status: 204 }
    },
  })
  const user = userEvent.setup()
  render(
    <MemoryRouter initialEntries={['/settings/keys']}>
      <KeysPage />
    </MemoryRouter>,
  )
  return { stub, user }
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setMe(undefined)
})

describe('KeysPage', () => {
  it('lists keys with scope, relative times and the built-in badge, never a secret', async () => {
    setup()
    const row = await screen.findByTestId('key-row-metabase')
    expect(within(row).getByText('read')).toBeInTheDocument()
    expect(within(row).getByText('5 hours ago')).toBeInTheDocument()
    expect(within(row).getByTestId('key-last-used')).toHaveTextContent('never')
    expect(within(row).getByRole('button', { name: 'Revoke' })).toBeInTheDocument()

    const builtin = screen.getByTestId('key-row-admin (--admin-key)')
    expect(within(builtin).getByText('built-in')).toBeInTheDocument()
    expect(within(builtin).getByTestId('key-last-used')).toHaveTextContent('1 minute ago')
    // Built-ins are changed by their flag, not here.
    expect(within(builtin).queryByRole('button', { name: 'Revoke' })).toBeNull()
  })

  it('shows a new key’s secret once, with a copy button', async () => {
    const { stub, user } = setup()
    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    await screen.findByTestId('key-row-metabase')

    await user.type(screen.getByLabelText('Name'), 'sales dashboard')
    await user.selectOptions(screen.getByLabelText('Scope'), 'read')
    await user.click(screen.getByTestId('create-key'))

    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByTestId('new-key-secret')).toHaveValue(secret)
    expect(within(dialog).getByTestId('secret-once')).toHaveTextContent("you won't see it again")
    expect(stub.calls.find((c) => c.method === 'POST')?.body).toEqual({ name: 'sales dashboard', scope: 'read' })

    await user.click(within(dialog).getByTestId('copy-key'))
    expect(writeText).toHaveBeenCalledWith(secret)
    expect(await within(dialog).findByText('Copied.')).toBeInTheDocument()

    // The new key is listed; once the dialog is closed the secret is gone from the page.
    expect(await screen.findByTestId('key-row-sales dashboard')).toBeInTheDocument()
    await user.click(within(dialog).getByTestId('secret-done'))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(document.body.innerHTML).not.toContain(secret)
  })

  it('says so when the clipboard refuses, leaving the key selected', async () => {
    const { user } = setup()
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn(async () => Promise.reject(new Error('denied'))) }, configurable: true })
    await screen.findByTestId('key-row-metabase')
    await user.type(screen.getByLabelText('Name'), 'zapier')
    await user.click(screen.getByTestId('create-key'))
    const dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByTestId('copy-key'))
    expect(await within(dialog).findByText(/Could not copy/)).toBeInTheDocument()
  })

  it('asks for a name before creating', async () => {
    const { stub, user } = setup()
    await screen.findByTestId('key-row-metabase')
    await user.click(screen.getByTestId('create-key'))
    expect(await screen.findByRole('alert')).toHaveTextContent('Give the key a name')
    expect(stub.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
  })

  it('revokes only after confirmation', async () => {
    const { stub, user } = setup()
    const row = await screen.findByTestId('key-row-metabase')
    await user.click(within(row).getByRole('button', { name: 'Revoke' }))
    const dialog = screen.getByRole('dialog')
    expect(dialog).toHaveTextContent('“metabase” (read) stops working at once')

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(stub.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0)
    expect(screen.getByTestId('key-row-metabase')).toBeInTheDocument()

    await user.click(within(screen.getByTestId('key-row-metabase')).getByRole('button', { name: 'Revoke' }))
    await user.click(screen.getByTestId('confirm-revoke'))
    expect(stub.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/keys/k1'])
    await vi.waitFor(() => expect(screen.queryByTestId('key-row-metabase')).toBeNull())
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('is closed to a read key, without asking the server', async () => {
    setMe({ name: 'bi', scope: 'read', open: false })
    const { stub } = setup()
    expect(screen.getByText('Only an admin key can see and manage keys.')).toBeInTheDocument()
    expect(screen.queryByTestId('create-key')).toBeNull()
    expect(stub.calls).toHaveLength(0)
  })

  it('says when the server runs open, where keys do not apply yet', async () => {
    setMe({ name: '', scope: 'admin', open: true })
    setup()
    expect(await screen.findByTestId('keys-open-server')).toHaveTextContent('take effect once it runs with --admin-key')
  })
})
