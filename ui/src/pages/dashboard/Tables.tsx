// The dashboard's two tables: busiest flows of the last 24 hours and the most
// recent disqualifications.
import { Link } from 'react-router-dom'
import type { Dashboard } from '../../types'
import { formatTime } from './series'

export function BusiestFlows({ flows }: { flows: Dashboard['busiest_flows'] }) {
  return (
    <section className="card" data-testid="busiest-flows" aria-labelledby="busiest-flows-title">
      <h2 id="busiest-flows-title">Busiest flows <span className="muted small">last 24 hours</span></h2>
      {flows.length === 0 ? (
        <p className="muted">
          No flow has run in the last 24 hours — flows run when an event matches their trigger. <Link to="/flows">See the flows</Link>.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Flow</th>
              <th className="num">Runs</th>
              <th className="num">Failed</th>
            </tr>
          </thead>
          <tbody>
            {flows.map((f) => (
              <tr key={f.id} data-flow={f.id}>
                <td>
                  <Link to={`/flows/${encodeURIComponent(f.id)}`}>{f.name || f.id}</Link>
                </td>
                <td className="num">{f.runs.toLocaleString()}</td>
                <td className={`num${f.failed > 0 ? ' neg' : ''}`}>{f.failed.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function RecentDisqualifications({ items }: { items: Dashboard['recent_disqualifications'] }) {
  return (
    <section className="card" data-testid="recent-disqualifications" aria-labelledby="recent-dq-title">
      <h2 id="recent-dq-title">Recent disqualifications</h2>
      {items.length === 0 ? (
        <p className="muted">No contact has been disqualified — a flow’s “Disqualify” action does that.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Contact</th>
              <th>Email</th>
              <th>Reason</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={`${d.id}\u0000${d.at}`} data-contact={d.id}>
                <td>
                  <Link to={`/contacts/${encodeURIComponent(d.id)}`}>{d.id}</Link>
                </td>
                <td>{d.email ?? ''}</td>
                <td>{d.reason}</td>
                <td title={d.at}>{formatTime(d.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
