// /audit: every change (flows, segments, settings, keys, merges, imports,
// lab applies), newest first, with the name of the key that made it;
// "Load more" pages back through the cursor. Targets link to what they
// name while it still exists.
import { Link } from 'react-router-dom'
import { useAccess } from '../access'
import { enc, get } from '../api'
import { useAsync } from '../hooks'
import type { AuditEntry, Flow, Segment } from '../types'
import ErrorBanner from './contacts/ErrorBanner'
import { contactPath, formatAgo, formatTime, segmentPath } from './contacts/format'
import LoadMore from './contacts/LoadMore'
import { useCursorList } from './contacts/useCursorList'
import './contacts/contacts.css'

export const auditPageSize = 50

export default function AuditPage() {
  const { canAdmin } = useAccess()
  return (
    <div className="page">
      <h1>Audit log</h1>
      {canAdmin ? <AuditLog /> : <p className="muted">Only an admin key can read the audit log.</p>}
    </div>
  )
}

// What still exists, so only live targets become links.
interface Live {
  flows: Set<string>
  segments: Set<string>
}

async function loadLive(): Promise<Live> {
  const [flows, segments] = await Promise.all([
    get<{ flows: Flow[] }>('/api/v1/flows').catch(() => ({ flows: [] as Flow[] })),
    get<{ segments: Segment[] }>('/api/v1/segments').catch(() => ({ segments: [] as Segment[] })),
  ])
  return { flows: new Set((flows.flows ?? []).map((f) => f.id)), segments: new Set((segments.segments ?? []).map((s) => s.id)) }
}

// targetLink is where an entry's target lives in the UI, if anywhere.
export function targetLink(e: AuditEntry, live: Live | undefined): string | undefined {
  const kind = e.action.split('.')[0]
  if (!e.target) return undefined
  switch (kind) {
    case 'flow':
      return live?.flows.has(e.target) ? `/flows/${enc(e.target)}${e.version ? `?history=${e.version}` : ''}` : undefined
    case 'segment':
      return live?.segments.has(e.target) ? segmentPath(e.target) : undefined
    case 'contact':
      return contactPath(e.target)
    case 'settings':
      return '/settings'
    case 'key':
      return '/settings/keys'
    default:
      return undefined
  }
}

function AuditLog() {
  const list = useCursorList<AuditEntry>(async (cursor) => {
    const q = `limit=${auditPageSize}${cursor ? `&cursor=${enc(cursor)}` : ''}`
    const r = await get<{ entries: AuditEntry[]; next_cursor?: string | null }>(`/api/v1/audit?${q}`)
    return { items: r.entries ?? [], next: r.next_cursor ?? '' }
  }, [])
  const live = useAsync(loadLive, [])

  return (
    <>
      <ErrorBanner error={list.error} title="Could not load the audit log" />
      {list.items.length === 0 && !list.loading && !list.error ? (
        <p className="muted">Nothing changed yet.</p>
      ) : (
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Key</th>
              <th>Action</th>
              <th>Target</th>
              <th className="num">Version</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((e, i) => {
              const to = targetLink(e, live.data)
              return (
                <tr key={e.id ?? i} data-testid="audit-row">
                  <td>
                    {formatTime(e.at)}
                    <div className="muted small">{formatAgo(e.at)}</div>
                  </td>
                  <td>{e.key}</td>
                  <td className="mono">{e.action}</td>
                  <td className="mono">{to ? <Link to={to}>{e.target}</Link> : e.target || <span className="muted">—</span>}</td>
                  <td className="num">{e.version ?? ''}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <LoadMore list={list} noun="changes" />
    </>
  )
}
