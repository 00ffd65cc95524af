// /accounts/:id: one account: its aggregated scores and grade, its
// attributes (from group calls), its contacts by score and its score over
// time.
import { Link, useParams } from 'react-router-dom'
import { ApiError, enc, get } from '../api'
import { useAsync } from '../hooks'
import type { Account, AccountPoint, Contact, Settings } from '../types'
import { accountChart } from './accounts/lazyChart'
import ContactTable from './contacts/ContactTable'
import ErrorBanner from './contacts/ErrorBanner'
import { formatValue, gradeClass } from './contacts/format'
import LoadMore from './contacts/LoadMore'
import { useCursorList } from './contacts/useCursorList'
import { ChartPlaceholder } from './dashboard/lazyCharts'
import './contacts/contacts.css'

export default function AccountPage() {
  const { id = '' } = useParams()
  const base = `/api/v1/accounts/${enc(id)}`
  const account = useAsync(() => get<Account>(base), [base])
  const history = useAsync(() => get<{ history: AccountPoint[] }>(`${base}/history`), [base])
  const settings = useAsync(() => get<Settings>('/api/v1/settings'), [])
  const members = useCursorList<Contact>(
    async (cursor) => {
      const r = await get<{ contacts: Contact[]; next_cursor: string }>(`${base}/contacts?limit=50&cursor=${encodeURIComponent(cursor)}`)
      return { items: r.contacts ?? [], next: r.next_cursor ?? '' }
    },
    [base],
  )
  const chart = accountChart.use()
  const Chart = chart.mod?.default

  if (account.error) {
    const missing = account.error instanceof ApiError && account.error.status === 404
    return (
      <div className="page">
        <h1>Account</h1>
        {missing ? <p>There is no account with the id “{id}”.</p> : <ErrorBanner error={account.error} />}
        <Link to="/accounts">Back to the accounts</Link>
      </div>
    )
  }
  const a = account.data
  if (!a) return <div className="page muted">Loading…</div>
  const modes = settings.data?.account_scores ?? {}
  const dims = Object.entries(a.scores ?? {}).sort(([x], [y]) => x.localeCompare(y))
  const attrs = Object.entries(a.attributes ?? {}).sort(([x], [y]) => x.localeCompare(y))

  return (
    <div className="page">
      <div className="contact-head">
        <div>
          <h1 data-testid="account-name">{a.name || a.id}</h1>
          <div className="mono muted" data-testid="account-id">
            {a.id}
          </div>
          <div className="muted small" data-testid="account-members">
            {a.contacts} {a.contacts === 1 ? 'contact' : 'contacts'}
          </div>
        </div>
        <div className="stat">
          <span className="label">Score</span>
          <span className="big" data-testid="account-score">
            {a.score}
          </span>
        </div>
        <div className="stat">
          <span className="label">Grade</span>
          <span>
            <span className={gradeClass(a.grade)} data-testid="account-grade">
              {a.grade}
            </span>
          </span>
        </div>
        {dims.map(([d, v]) => (
          <div className="stat" key={d} data-testid={`account-dimension-${d}`}>
            <span className="label">
              {d} <span className="muted small">({modes[d] ?? 'sum'})</span>
            </span>
            <span className="big">{v}</span>
          </div>
        ))}
      </div>

      <div className="grid cols-2">
        <div className="card">
          <h3>Attributes</h3>
          {attrs.length === 0 ? (
            <p className="muted">No attributes: group calls set them.</p>
          ) : (
            <table className="kv" data-testid="account-attributes">
              <tbody>
                {attrs.map(([k, v]) => (
                  <tr key={k}>
                    <th>{k}</th>
                    <td>{formatValue(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <ErrorBanner error={history.error} title="Could not load the score history" />
          {Chart ? (
            <Chart history={history.data?.history ?? []} />
          ) : (
            <ChartPlaceholder title="Account score over time" heading="h3" failed={chart.failed} />
          )}
        </div>
      </div>

      <div className="section">
        <h2>Contacts</h2>
        <ErrorBanner error={members.error} title="Could not load the contacts" />
        <div data-testid="account-contacts">
          <ContactTable contacts={members.items} compact empty={members.loading ? 'Loading…' : 'No contacts in this account.'} />
        </div>
        <LoadMore list={members} noun="contacts" />
      </div>
    </div>
  )
}
