// The flow's version history, in the editor's side column: every saved
// version, newest first, and what changed between any two of them.
import { useEffect, useMemo, useState } from 'react'
import { enc, get } from '../../api'
import type { Flow, FlowNode } from '../../types'
import { formatAgo, formatTime } from '../../pages/contacts/format'
import type { SpecIndex } from './model'
import { changeCount, diffVersions, formatDiffValue, formatEdge, type ValueChange, type VersionDiff } from './versionDiff'

export interface StoredVersion {
  version: number
  created_at?: string
  flow: Flow
}

export interface VersionHistoryProps {
  flowId: string
  // The version the editor holds; a save reloads the list.
  current?: number
  // Compare this version with the one before it when the list arrives.
  initial?: number
  specs: SpecIndex
  onClose: () => void
}

export default function VersionHistory({ flowId, current, initial, specs, onClose }: VersionHistoryProps) {
  const [versions, setVersions] = useState<StoredVersion[]>()
  const [error, setError] = useState<string>()
  // The two versions compared: from (older) and to (newer).
  const [pair, setPair] = useState<{ from: number; to: number }>()

  useEffect(() => {
    let stale = false
    get<{ versions: StoredVersion[] }>(`/api/v1/flows/${enc(flowId)}/versions`).then(
      (r) => {
        if (stale) return
        const list = [...(r.versions ?? [])].sort((a, b) => b.version - a.version)
        setVersions(list)
        setError(undefined)
        setPair((p) => p ?? previousPair(list, initial ?? list[0]?.version))
      },
      (e: Error) => !stale && setError(`Could not load the versions: ${e.message}`),
    )
    return () => {
      stale = true
    }
  }, [flowId, current, initial])

  const byVersion = useMemo(() => new Map((versions ?? []).map((v) => [v.version, v])), [versions])
  const from = pair && byVersion.get(Math.min(pair.from, pair.to))
  const to = pair && byVersion.get(Math.max(pair.from, pair.to))
  const diff = useMemo(() => (from && to ? diffVersions(from.flow, to.flow) : undefined), [from, to])

  return (
    <aside className="side-panel version-history" data-testid="version-history" aria-label="Version history">
      <div className="row">
        <h2>Version history</h2>
        <span className="spacer" />
        <button type="button" className="link" data-testid="history-close" onClick={onClose}>
          Close
        </button>
      </div>
      {error && <div className="banner error">{error}</div>}
      {!versions && !error && <p className="muted">Loading…</p>}
      {versions && versions.length === 0 && <p className="muted">No saved versions yet.</p>}
      {versions && versions.length > 0 && (
        <>
          <ol className="version-list" data-testid="version-list">
            {versions.map((v) => (
              <li key={v.version} className={pair && (v.version === pair.to || v.version === pair.from) ? 'picked' : ''}>
                <span className="mono">v{v.version}</span>
                <span className="muted small" title={formatTime(v.created_at)}>
                  {formatAgo(v.created_at)}
                </span>
                <span className="spacer" />
                {byVersion.size > 1 && v.version !== versions[versions.length - 1].version && (
                  <button type="button" className="link" data-testid={`changes-${v.version}`} onClick={() => setPair(previousPair(versions, v.version))}>
                    What changed
                  </button>
                )}
              </li>
            ))}
          </ol>
          {versions.length > 1 && pair && (
            <div className="row version-compare">
              <VersionSelect label="Compare" aria="Older version" testId="compare-from" versions={versions} value={pair.from} onChange={(from) => setPair({ ...pair, from })} />
              <VersionSelect label="with" aria="Newer version" testId="compare-to" versions={versions} value={pair.to} onChange={(to) => setPair({ ...pair, to })} />
            </div>
          )}
          {from && to && diff && (from.version === to.version ? (
            <p className="muted">Pick two different versions to compare.</p>
          ) : (
            <DiffView diff={diff} from={from.version} to={to.version} specs={specs} />
          ))}
        </>
      )}
    </aside>
  )
}

interface VersionSelectProps {
  label: string
  aria: string
  testId: string
  versions: StoredVersion[]
  value: number
  onChange: (version: number) => void
}

function VersionSelect({ label, aria, testId, versions, value, onChange }: VersionSelectProps) {
  return (
    <label className="inline-check">
      {label}
      <select aria-label={aria} data-testid={testId} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
          </option>
        ))}
      </select>
    </label>
  )
}

// previousPair is a version and the one saved before it.
function previousPair(list: StoredVersion[], version: number | undefined): { from: number; to: number } | undefined {
  if (version === undefined || list.length < 2) return undefined
  const i = list.findIndex((v) => v.version === version)
  if (i < 0) return previousPair(list, list[0].version)
  const older = list[i + 1] ?? list[i]
  const newer = list[i + 1] ? list[i] : list[i - 1]
  return { from: older.version, to: newer.version }
}

export function DiffView({ diff, from, to, specs }: { diff: VersionDiff; from: number; to: number; specs: SpecIndex }) {
  const title = (type: string) => specs.get(type)?.title ?? type
  const n = changeCount(diff)
  return (
    <div className="version-diff" data-testid="version-diff">
      <h3>
        v{from} → v{to}: {n === 0 ? 'no changes' : `${n} change${n === 1 ? '' : 's'}`}
        {diff.nodesMoved.length > 0 && <span className="muted small"> ({diff.nodesMoved.length} step{diff.nodesMoved.length === 1 ? '' : 's'} moved)</span>}
      </h3>
      {diff.settings.length > 0 && (
        <section>
          <h4>Flow settings</h4>
          <Changes changes={diff.settings} testId="diff-settings" />
        </section>
      )}
      <NodeList title="Steps added" testId="diff-added" sign="+" className="diff-add" nodes={diff.nodesAdded} label={title} />
      <NodeList title="Steps removed" testId="diff-removed" sign="−" className="diff-remove" nodes={diff.nodesRemoved} label={title} />
      {diff.nodesChanged.length > 0 && (
        <section data-testid="diff-changed">
          <h4>Steps changed</h4>
          {diff.nodesChanged.map((c) => (
            <div key={c.id} className="diff-node">
              <div>
                <span className="mono">{c.id}</span> {title(c.type)}
                {c.typeBefore && <span className="muted small"> (was {title(c.typeBefore)})</span>}
              </div>
              <Changes changes={c.config} testId={`diff-node-${c.id}`} />
            </div>
          ))}
        </section>
      )}
      {(diff.edgesAdded.length > 0 || diff.edgesRemoved.length > 0) && (
        <section data-testid="diff-edges">
          <h4>Links</h4>
          <ul>
            {diff.edgesAdded.map((e, i) => (
              <li key={`a${i}`} className="diff-add mono">
                + {formatEdge(e)}
              </li>
            ))}
            {diff.edgesRemoved.map((e, i) => (
              <li key={`r${i}`} className="diff-remove mono">
                − {formatEdge(e)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}

interface NodeListProps {
  title: string
  testId: string
  sign: string
  className: string
  nodes: FlowNode[]
  label: (type: string) => string
}

function NodeList({ title, testId, sign, className, nodes, label }: NodeListProps) {
  if (nodes.length === 0) return null
  return (
    <section data-testid={testId}>
      <h4>{title}</h4>
      <ul>
        {nodes.map((nd) => (
          <li key={nd.id} className={className}>
            {sign} <span className="mono">{nd.id}</span> {label(nd.type)}
          </li>
        ))}
      </ul>
    </section>
  )
}

function Changes({ changes, testId }: { changes: ValueChange[]; testId: string }) {
  return (
    <table className="diff-values" data-testid={testId}>
      <tbody>
        {changes.map((c) => (
          <tr key={c.key}>
            <th className="mono">{c.key}</th>
            <td>
              <span className="diff-old">{formatDiffValue(c.key, c.before)}</span> → <span className="diff-new">{formatDiffValue(c.key, c.after)}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
