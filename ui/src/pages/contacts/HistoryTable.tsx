// The score ledger as a table that explains every point: when, which
// dimension, by how much, the value after, and why (the flow, version and
// node that gave it for an event, or decay).
import { Link } from 'react-router-dom'
import type { LedgerEntry, TimelineEvent } from '../../types'
import { formatTime, signed } from './format'

interface Props {
  history: LedgerEntry[]
  // The contact's events by id, to name the event behind a change.
  events: Map<string, TimelineEvent>
}

export default function HistoryTable({ history, events }: Props) {
  if (history.length === 0) return <p className="muted" data-testid="history-table">No score changes yet.</p>
  return (
    <table data-testid="history-table">
      <thead>
        <tr>
          <th>When</th>
          <th>Dimension</th>
          <th className="num">Change</th>
          <th className="num">Value after</th>
          <th>Flow</th>
          <th>Node</th>
          <th>Cause</th>
        </tr>
      </thead>
      <tbody>
        {history.map((h, i) => (
          <tr key={i} data-testid="history-row">
            <td title={h.at}>{formatTime(h.at)}</td>
            <td>{h.score}</td>
            <td className={'num delta ' + (h.delta > 0 ? 'pos' : h.delta < 0 ? 'neg' : '')}>{signed(h.delta)}</td>
            <td className="num">{h.value}</td>
            <td>
              {h.flow ? (
                <Link to={flowLink(h.flow, h.node)}>
                  {h.flow}
                  {h.flow_version != null && <span className="muted"> v{h.flow_version}</span>}
                </Link>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td className="mono">{h.node ?? ''}</td>
            <td>
              <Cause entry={h} events={events} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Cause({ entry, events }: { entry: LedgerEntry; events: Map<string, TimelineEvent> }) {
  if (entry.event_id) {
    const ev = events.get(entry.event_id)
    return (
      <span>
        {ev && <strong>{ev.type} </strong>}
        <span className="mono muted" title="event id">
          {entry.event_id}
        </span>
      </span>
    )
  }
  if (entry.reason) return <span className="badge">{entry.reason}</span>
  return <span className="muted">—</span>
}

export const flowLink = (flow: string, node?: string | null) =>
  `/flows/${encodeURIComponent(flow)}` + (node ? `?node=${encodeURIComponent(node)}` : '')
