import { cleanup, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Account, Contact } from '../../types'
import AccountList from '../AccountList'
import AccountPage from '../AccountPage'
import ContactPage from '../ContactPage'
import { fromSettings, toSettings } from '../settings/draft'
import { stubFetch } from '../fetchStub'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const evil = '<img src=x onerror=alert(1)>'

const acme: Account = {
  id: 'acme',
  name: 'Acme Inc',
  attributes: { plan: 'pro', note: evil },
  scores: { engagement: 40, fit: 30 },
  score: 70,
  grade: 'hot',
  contacts: 2,
}

const member = (id: string, score: number): Contact => ({
  id, email: `${id}@acme.test`, attributes: {}, scores: { engagement: score }, score, grade: 'warm', tags: [], deal_stage: 'new',
  disqualified: null, segments: [], created_at: '2026-11-01T00:00:00Z', account_id: 'acme',
})

const settings = { scores: [{ name: 'engagement' }, { name: 'fit' }], grades: [], pipeline: [], account_scores: { fit: 'max' } }

describe('AccountList', () => {
  it('lists accounts by score, searches, sorts and pages with the cursor', async () => {
    const { calls } = stubFetch({
      'GET /api/v1/settings': { body: settings },
      'GET /api/v1/accounts?sort=-score&limit=50&cursor=': { body: { accounts: [acme], next_cursor: 'n1' } },
      'GET /api/v1/accounts?sort=-score&limit=50&cursor=n1': { body: { accounts: [{ ...acme, id: 'globex', name: '', score: 5, grade: 'cold' }], next_cursor: '' } },
      'GET /api/v1/accounts?q=glo&sort=-score&limit=50&cursor=': { body: { accounts: [], next_cursor: '' } },
      'GET /api/v1/accounts?sort=score&limit=50&cursor=': { body: { accounts: [acme], next_cursor: '' } },
    })
    const user = userEvent.setup()
    render(
      <MemoryRouter initialEntries={['/accounts']}>
        <AccountList />
      </MemoryRouter>,
    )
    const row = await screen.findByTestId('account-row-acme')
    expect(row).toHaveTextContent('Acme Inc')
    expect(row).toHaveTextContent('70')
    expect(row).toHaveTextContent('hot')
    expect(within(row).getByRole('link')).toHaveAttribute('href', '/accounts/acme')
    await user.click(screen.getByTestId('load-more'))
    expect(await screen.findByTestId('account-row-globex')).toHaveTextContent('globex')
    await user.click(screen.getByTestId('account-sort'))
    await waitFor(() => expect(calls.some((c) => c.path === '/api/v1/accounts?sort=score&limit=50&cursor=')).toBe(true))
    await user.click(screen.getByTestId('account-sort'))
    await user.type(screen.getByTestId('account-search'), 'glo')
    expect(await screen.findByText('No account matches this search.')).toBeInTheDocument()
    expect(calls.some((c) => c.path === '/api/v1/accounts?q=glo&sort=-score&limit=50&cursor=')).toBe(true)
  })
})

describe('AccountPage', () => {
  const routes = {
    'GET /api/v1/accounts/acme': { body: acme },
    'GET /api/v1/accounts/acme/history': { body: { history: [{ at: '2026-11-01T00:00:00Z', score: 20 }, { at: '2026-11-02T00:00:00Z', score: 70 }] } },
    'GET /api/v1/accounts/acme/contacts?limit=50&cursor=': { body: { contacts: [member('ana', 40), member('bo', 30)], next_cursor: '' } },
    'GET /api/v1/settings': { body: settings },
  }

  it('shows the scores, attributes as text, members linking to contacts and the chart', async () => {
    stubFetch(routes)
    const { container } = render(
      <MemoryRouter initialEntries={['/accounts/acme']}>
        <Routes>
          <Route path="/accounts/:id" element={<AccountPage />} />
        </Routes>
      </MemoryRouter>,
    )
    expect(await screen.findByTestId('account-name')).toHaveTextContent('Acme Inc')
    expect(screen.getByTestId('account-score')).toHaveTextContent('70')
    expect(screen.getByTestId('account-grade')).toHaveClass('badge', 'hot')
    expect(screen.getByTestId('account-members')).toHaveTextContent('2 contacts')
    expect(await screen.findByTestId('account-dimension-fit')).toHaveTextContent('(max)')
    expect(screen.getByTestId('account-dimension-engagement')).toHaveTextContent('(sum)')
    expect(screen.getByTestId('account-attributes')).toHaveTextContent('plan')
    const contacts = await screen.findByTestId('contact-row-ana')
    expect(within(contacts).getByRole('link')).toHaveAttribute('href', '/contacts/ana')
    expect(screen.getByTestId('contact-row-bo')).toBeInTheDocument()
    expect(await screen.findByTestId('account-chart')).toHaveTextContent('Account score over time')
    expect(container.textContent).toContain(evil)
    expect(container.querySelector('img')).toBeNull()
  })

  it('says so when the account does not exist', async () => {
    stubFetch({})
    render(
      <MemoryRouter initialEntries={['/accounts/nope']}>
        <Routes>
          <Route path="/accounts/:id" element={<AccountPage />} />
        </Routes>
      </MemoryRouter>,
    )
    expect(await screen.findByText(/There is no account/)).toBeInTheDocument()
  })
})

describe('ContactPage account', () => {
  it('links the contact to its account', async () => {
    stubFetch({
      'GET /api/v1/contacts/ana': { body: member('ana', 40) },
      'GET /api/v1/contacts/ana/history': { body: { history: [] } },
      'GET /api/v1/contacts/ana/timeline': { body: { events: [] } },
      'GET /api/v1/segments': { body: { segments: [] } },
    })
    render(
      <MemoryRouter initialEntries={['/contacts/ana']}>
        <Routes>
          <Route path="/contacts/:id" element={<ContactPage />} />
        </Routes>
      </MemoryRouter>,
    )
    const cell = await screen.findByTestId('contact-account')
    expect(within(cell).getByRole('link', { name: 'acme' })).toHaveAttribute('href', '/accounts/acme')
  })
})

describe('settings draft account modes', () => {
  it('reads and writes account_scores, keeping modes of unlisted dimensions', () => {
    const d = fromSettings({ scores: [{ name: 'fit' }, { name: 'engagement' }], grades: [], pipeline: [], account_scores: { fit: 'max', hidden: 'avg' } })
    expect(d.scores.map((s) => s.account)).toEqual(['max', 'sum'])
    d.scores[1] = { ...d.scores[1], account: 'avg' }
    d.scores[0] = { ...d.scores[0], account: 'sum' }
    expect(toSettings(d).account_scores).toEqual({ engagement: 'avg', hidden: 'avg' })
  })

  it('follows a renamed dimension', () => {
    const d = fromSettings({ scores: [{ name: 'fit' }], grades: [], pipeline: [], account_scores: { fit: 'max' } })
    d.scores[0] = { ...d.scores[0], name: 'firmographic' }
    expect(toSettings(d).account_scores).toEqual({ firmographic: 'max' })
  })
})

describe('filter builder account fields', () => {
  it('offers account scores per dimension and the attributes accounts hold', async () => {
    const { contactFieldGroups } = await import('../../components/filter/contactFields')
    const groups = contactFieldGroups({
      event_types: [], tags: [], fields: [], scores: ['fit'], stages: [], segments: [], account_attributes: ['plan'],
      contact_fields: [
        { name: 'score', type: 'number', doc: '', family: false, settable: false, optional: false },
        { name: 'account.score', type: 'number', doc: '', family: false, settable: false, optional: true, account: true },
        { name: 'account.score.', type: 'number', doc: '', family: true, settable: false, optional: true, account: true },
        { name: 'account.grade', type: 'text', doc: '', family: false, settable: false, optional: true, account: true },
        { name: 'account.attributes.', type: 'any', doc: '', family: true, settable: false, optional: true, account: true },
      ],
    })
    const values = Object.fromEntries(groups.map((g) => [g.label, g.options.map((o) => `${o.value}=${o.label}`)]))
    expect(values['Account score']).toEqual(['account.score=Total account score', 'account.score.fit=Account score: fit'])
    expect(values['Account attributes']).toEqual(['account.attributes.plan=plan'])
    expect(values['Contact']).toContain('account.grade=Account grade')
  })
})
