// Settings → Cluster (/settings/cluster): the replicas of this Scoreflow,
// the partitions each applies and, when the server reports it, the backlog
// of every partition. Read from GET /api/v1/cluster (admin) every few
// seconds, so a replica joining, leaving or dying shows without a reload.
import { useEffect, useState } from 'react'
import { useAccess } from '../access'
import { get } from '../api'
import { useAsync } from '../hooks'
import type { ClusterInfo, ClusterReplica } from '../types'
import ErrorBanner from './contacts/ErrorBanner'
import { SettingsTabs } from './settings/SettingsTabs'
import './contacts/contacts.css'
import './settings/settings.css'

// How often the page asks again.
export const clusterRefreshMs = 3000

export default function ClusterPage() {
  const { canAdmin } = useAccess()
  return (
    <div className="page">
      <h1>Settings</h1>
      <SettingsTabs />
      {canAdmin ? <Cluster /> : <p className="muted">Only an admin key can see the cluster.</p>}
    </div>
  )
}

function Cluster() {
  const info = useAsync(() => get<ClusterInfo>('/api/v1/cluster'), [])
  const { reload } = info
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now())
      reload()
    }, clusterRefreshMs)
    return () => clearInterval(t)
  }, [reload])
  const data = info.data
  return (
    <>
      {/* A failed refresh keeps the last answer on screen, marked as old. */}
      <ErrorBanner error={info.error} title="Could not read the cluster" />
      {!data && info.loading && <p className="muted">Loading…</p>}
      {data && <ClusterView info={data} now={now} />}
    </>
  )
}

export function ClusterView({ info, now }: { info: ClusterInfo; now: number }) {
  const replicas = [...info.replicas].sort((a, b) => a.id.localeCompare(b.id))
  const owned = new Set(replicas.flatMap((r) => r.partitions))
  const unowned = info.partitions - [...owned].filter((p) => p >= 0 && p < info.partitions).length
  const lag = info.lag ? [...info.lag].sort((a, b) => a.partition - b.partition) : undefined
  return (
    <>
      <section className="card settings-section" data-testid="cluster-summary">
        <h2>Cluster</h2>
        <p>
          <strong data-testid="cluster-partitions">{info.partitions}</strong> partitions,{' '}
          <strong data-testid="cluster-replica-count">{replicas.length}</strong> {replicas.length === 1 ? 'replica' : 'replicas'}
          {unowned > 0 && ' '}
          {unowned > 0 && (
            <span className="badge warm" data-testid="cluster-unowned">
              {unowned} {unowned === 1 ? 'partition has' : 'partitions have'} no owner right now
            </span>
          )}
        </p>
      </section>
      <section className="card settings-section">
        <h2>Replicas</h2>
        <table data-testid="cluster-replicas">
          <thead>
            <tr>
              <th>Replica</th>
              <th>HTTP address</th>
              <th>Partitions</th>
              <th>Seen</th>
            </tr>
          </thead>
          <tbody>
            {replicas.map((r) => (
              <ReplicaRow key={r.id} replica={r} now={now} />
            ))}
          </tbody>
        </table>
      </section>
      {lag && (
        <section className="card settings-section">
          <h2>Lag per partition</h2>
          <table data-testid="cluster-lag">
            <thead>
              <tr>
                <th>Partition</th>
                <th>Owner</th>
                <th>Pending events</th>
              </tr>
            </thead>
            <tbody>
              {lag.map((l) => (
                <tr key={l.partition} data-testid={`lag-row-${l.partition}`}>
                  <td>{l.partition}</td>
                  <td>{l.owner || <span className="muted">none</span>}</td>
                  <td>{l.pending}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  )
}

function ReplicaRow({ replica, now }: { replica: ClusterReplica; now: number }) {
  const parts = [...replica.partitions].sort((a, b) => a - b)
  return (
    <tr data-testid={`replica-row-${replica.id}`}>
      <td>
        <code>{replica.id}</code>
      </td>
      <td>{replica.http || <span className="muted">no HTTP listener</span>}</td>
      <td data-testid="replica-partitions">
        {parts.length ? `${compactRanges(parts)} (${parts.length})` : <span className="muted">none</span>}
      </td>
      <td data-testid="replica-seen">{seenAgo(replica.seen_at, now)}</td>
    </tr>
  )
}

// seenAgo says how long ago a replica last wrote its heartbeat, in seconds.
export function seenAgo(iso: string, now: number): string {
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return iso
  const secs = Math.max(0, Math.round((now - t) / 1000))
  return `${secs} s ago`
}

// compactRanges writes sorted partition numbers as runs: 0–3, 8, 10–11.
export function compactRanges(sorted: number[]): string {
  const out: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    out.push(j > i ? `${sorted[i]}–${sorted[j]}` : `${sorted[i]}`)
    i = j + 1
  }
  return out.join(', ')
}
