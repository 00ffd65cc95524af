// /accounts: accounts (companies) by score, searchable by id or name, with
// paging. The search and the order live in the URL.
import { get } from '../api'
import { useAsync } from '../hooks'
import type { Account, Settings } from '../types'
import AccountTable, { accountDimensions } from './accounts/AccountTable'
import ErrorBanner from './contacts/ErrorBanner'
import LoadMore from './contacts/LoadMore'
import { useQueryParams, useTypedParam } from './contacts/queryParams'
import { useCursorList } from './contacts/useCursorList'
import './contacts/contacts.css'

const PAGE = 50

export default function AccountList() {
  const [params, setParam] = useQueryParams()
  const sort = params.get('sort') === 'score' ? 'score' : '-score'
  const urlQ = params.get('q') ?? ''
  const [q, setQ] = useTypedParam('q', urlQ, setParam)

  const settings = useAsync(() => get<Settings>('/api/v1/settings'), [])
  const query = new URLSearchParams()
  if (urlQ) query.set('q', urlQ)
  query.set('sort', sort)
  query.set('limit', String(PAGE))
  const qs = query.toString()
  const list = useCursorList<Account>(
    async (cursor) => {
      const r = await get<{ accounts: Account[]; next_cursor: string }>(`/api/v1/accounts?${qs}&cursor=${encodeURIComponent(cursor)}`)
      return { items: r.accounts ?? [], next: r.next_cursor ?? '' }
    },
    [qs],
  )
  const dims = accountDimensions(settings.data?.scores?.map((s) => s.name) ?? [], list.items)

  return (
    <div className="page">
      <div className="page-head">
        <h1>Accounts</h1>
      </div>
      <div className="filters">
        <div>
          <label htmlFor="account-search">Search</label>
          <input
            id="account-search"
            type="search"
            data-testid="account-search"
            placeholder="name or id"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
      </div>
      <ErrorBanner error={list.error} title="Could not load the accounts" />
      <div data-testid="account-table">
        <AccountTable
          accounts={list.items}
          dimensions={dims}
          scoreHeader={
            <button
              type="button"
              className="sort-toggle"
              data-testid="account-sort"
              aria-label={sort === '-score' ? 'Score, highest first; sort lowest first' : 'Score, lowest first; sort highest first'}
              onClick={() => setParam('sort', sort === '-score' ? 'score' : '')}
            >
              Score {sort === '-score' ? '↓' : '↑'}
            </button>
          }
          empty={
            list.loading
              ? 'Loading…'
              : urlQ
                ? 'No account matches this search.'
                : 'No accounts yet: send events with an account_id, or Segment group calls.'
          }
        />
      </div>
      <LoadMore list={list} noun="accounts" />
    </div>
  )
}
