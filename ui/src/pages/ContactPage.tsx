// /contacts/:id: one contact: its scores and grade, tags, deal stage,
// disqualification, segments and attributes; the score ledger explaining
// every point, as a table and a chart; and its events.
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router-dom'
import { ApiError, enc, get } from '../api'
import { useAsync } from '../hooks'
import type { Contact, LedgerEntry, Segment, TimelineEvent } from '../types'
import { Tags } from './contacts/ContactTable'
import ErrorBanner from './contacts/ErrorBanner'
import { formatTime, formatValue, gradeClass, segmentPath } from './contacts/format'
import { accountPath } from './accounts/format'
import HistoryTable from './contacts/HistoryTable'
import Timeline from './contacts/Timeline'
import MergeDialog from './identity/MergeDialog'
import { EditOnly } from '../access'
import './contacts/contacts.css'
import { ChartPlaceholder, scoreChart } from './dashboard/lazyCharts'

// The history endpoint's default page size.
const HISTORY_LIMIT = 1000

export default function ContactPage() {
  const { id = '' } = useParams()
  const base = `/api/v1/contacts/${enc(id)}`
  const contact = useAsync(() => get<Contact>(base), [base])
  const history = useAsync(() => get<{ history: LedgerEntry[] }>(`${base}/history`), [base])
  const timeline = useAsync(() => get<{ events: TimelineEvent[] }>(`${base}/timeline`), [base])
  // Only for the names of the contact's segments; ids do without.
  const segments = useAsync(() => get<{ segments: Segment[] }>('/api/v1/segments'), [])
  const chart = scoreChart.use()
  const ScoreChart = chart.mod?.default
  const [merging, setMerging] = useState(false)
  const navigate = useNavigate()

  if (contact.error) {
    const missing = contact.error instanceof ApiError && contact.error.status === 404
    return (
      <div className="page">
        <h1>Contact</h1>
        {missing ? <p>There is no contact with the id “{id}”.</p> : <ErrorBanner error={contact.error} />}
        <Link to="/contacts">Back to the contacts</Link>
      </div>
    )
  }
  const c = contact.data
  if (!c) return <div className="page muted">Loading…</div>

  const ledger = history.data?.history ?? []
  const events = timeline.data?.events ?? []
  const eventsById = new Map(events.map((e) => [e.id, e]))
  const segmentName = new Map((segments.data?.segments ?? []).map((s) => [s.id, s.name]))
  const dims = Object.entries(c.scores ?? {})

  return (
    <div className="page">
      <div className="contact-head">
        <div>
          <h1>{c.email ? <span data-testid="contact-email">{c.email}</span> : c.id}</h1>
          <div className="mono muted" data-testid="contact-id">
            {c.id}
          </div>
          <div className="muted small">
            created {formatTime(c.created_at)} · last active {formatTime(c.last_activity_at)}
          </div>
        </div>
        <div className="stat">
          <span className="label">Score</span>
          <span className="big" data-testid="contact-score">
            {c.score}
          </span>
        </div>
        <div className="stat">
          <span className="label">Grade</span>
          <span>
            <span className={gradeClass(c.grade)} data-testid="contact-grade">
              {c.grade}
            </span>
          </span>
        </div>
        <EditOnly>
          <button type="button" data-testid="contact-merge" onClick={() => setMerging(true)}>
            Merge…
          </button>
        </EditOnly>
        {dims.map(([d, v]) => (
          <div className="stat" key={d} data-testid={`contact-dimension-${d}`}>
            <span className="label">{d}</span>
            <span className="big">{v}</span>
          </div>
        ))}
      </div>

      {merging && (
        <MergeDialog
          into={c.id}
          onClose={() => setMerging(false)}
          onMerged={() => {
            setMerging(false)
            // An old id in the address answers the survivor: show it by its own.
            if (c.id !== id) navigate(`/contacts/${enc(c.id)}`, { replace: true })
            contact.reload()
            history.reload()
            timeline.reload()
          }}
        />
      )}

      {c.disqualified && (
        <div className="banner error" data-testid="contact-disqualified">
          Disqualified {formatTime(c.disqualified.at)}: {c.disqualified.reason}
        </div>
      )}

      <div className="grid cols-2">
        <div className="card">
          <h3>Profile</h3>
          <table className="kv">
            <tbody>
              <tr>
                <th>Account</th>
                <td data-testid="contact-account">
                  {c.account_id ? <Link to={accountPath(c.account_id)}>{c.account_id}</Link> : <span className="muted">—</span>}
                </td>
              </tr>
              <tr>
                <th>Deal stage</th>
                <td data-testid="contact-deal-stage">{c.deal_stage}</td>
              </tr>
              <tr>
                <th>Tags</th>
                <td>
                  <Tags tags={c.tags} />
                </td>
              </tr>
              <tr>
                <th>Segments</th>
                <td data-testid="contact-segments">
                  {c.segments?.length ? (
                    <span className="chips">
                      {c.segments.map((s) => (
                        <Link key={s} className="chip" to={segmentPath(s)}>
                          {segmentName.get(s) || s}
                        </Link>
                      ))}
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
              {c.merged_from?.length ? (
                <tr>
                  <th>Merged from</th>
                  <td data-testid="contact-merged-from">
                    <span className="chips">
                      {c.merged_from.map((m) => (
                        <span key={m} className="chip mono">
                          {m}
                        </span>
                      ))}
                    </span>
                  </td>
                </tr>
              ) : null}
              <tr>
                <th>Disqualified</th>
                <td>{c.disqualified ? `${c.disqualified.reason} (${formatTime(c.disqualified.at)})` : 'no'}</td>
              </tr>
            </tbody>
          </table>
        </div>
        <div className="card">
          <h3>Attributes</h3>
          <Attributes values={c.attributes} />
        </div>
      </div>

      <div className="section">
        <ErrorBanner error={history.error} title="Could not load the score history" />
        {/* The API answers at most 1000 entries by default; a full page may
            not reach back to creation, so no 0 point is assumed then. */}
        {ScoreChart ? (
          <ScoreChart history={ledger} from={ledger.length < HISTORY_LIMIT ? c.created_at : undefined} />
        ) : (
          <ChartPlaceholder title="Total score over time" heading="h3" failed={chart.failed} />
        )}
      </div>

      <div className="section">
        <h2>Score history</h2>
        {history.loading && !history.data ? <p className="muted">Loading…</p> : <HistoryTable history={ledger} events={eventsById} />}
      </div>

      <div className="section">
        <h2>Events</h2>
        <ErrorBanner error={timeline.error} title="Could not load the events" />
        {timeline.loading && !timeline.data ? <p className="muted">Loading…</p> : <Timeline events={events} />}
      </div>
    </div>
  )
}

function Attributes({ values }: { values: Record<string, unknown> | undefined }) {
  const entries = Object.entries(values ?? {}).sort(([a], [b]) => a.localeCompare(b))
  if (entries.length === 0) return <p className="muted">No attributes.</p>
  return (
    <table className="kv" data-testid="contact-attributes">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{formatValue(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
