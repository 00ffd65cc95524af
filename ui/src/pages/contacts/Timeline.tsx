// The contact's events, newest first, with their properties as text.
import type { TimelineEvent } from '../../types'
import { formatTime, formatValue } from './format'

export default function Timeline({ events }: { events: TimelineEvent[] }) {
  if (events.length === 0) return <p className="muted" data-testid="timeline">No events yet.</p>
  return (
    <ol className="timeline" data-testid="timeline">
      {events.map((e) => (
        <li key={e.id} data-testid="timeline-event">
          <div className="row">
            <strong>{e.type}</strong>
            <span className="muted small" title={e.timestamp}>
              {formatTime(e.timestamp)}
            </span>
            <span className="spacer" />
            <span className="mono muted">{e.id}</span>
          </div>
          <Props label="" values={e.properties} />
          <Props label="traits" values={e.traits} />
        </li>
      ))}
    </ol>
  )
}

function Props({ label, values }: { label: string; values?: Record<string, unknown> }) {
  const entries = Object.entries(values ?? {})
  if (entries.length === 0) return null
  return (
    <div className="props mono">
      {label && <div className="muted">{label}</div>}
      {entries.map(([k, v]) => `${k}: ${formatValue(v)}`).join('\n')}
    </div>
  )
}
