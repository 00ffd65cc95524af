// /flows: every flow with its state, version, triggers and recent runs, and
// the actions on flows: new, import, export, duplicate, enable, delete.
import { useMemo, useState, type ChangeEvent } from 'react'
import { Link } from 'react-router-dom'
import { EditOnly, useAccess } from '../access'
import { ApiError, del, enc, get, post, put } from '../api'
import { useAsync } from '../hooks'
import type { FieldError, Flow, NodeTypeSpec } from '../types'
import ConfirmDialog from '../components/canvas/ConfirmDialog'
import { apiBody, copyId, documentOf, indexSpecs, triggerTitles } from '../components/canvas/model'
import '../components/canvas/canvas.css'

interface Notice {
  kind: 'error' | 'info'
  text: string
  details?: FieldError[]
  // A flow to link to ("Imported X").
  flowId?: string
}

function problem(prefix: string, e: unknown): Notice {
  const err = e as Error
  return { kind: 'error', text: `${prefix}: ${err.message}`, details: err instanceof ApiError ? err.details : undefined }
}

// download saves a flow as <id>.json, without what the server adds.
function download(f: Flow) {
  const blob = new Blob([JSON.stringify(documentOf(f), null, 2) + '\n'], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = `${f.id}.json`
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

export default function FlowList() {
  const flows = useAsync(() => get<{ flows: Flow[] }>('/api/v1/flows').then((r) => r.flows ?? []), [])
  const types = useAsync(() => get<{ node_types: NodeTypeSpec[] }>('/api/v1/node-types').then((r) => r.node_types ?? []), [])
  const specs = useMemo(() => indexSpecs(types.data ?? []), [types.data])
  const [busy, setBusy] = useState<string>()
  const [notice, setNotice] = useState<Notice>()
  const [deleting, setDeleting] = useState<Flow>()
  const { canEdit } = useAccess()
  const [deleteError, setDeleteError] = useState<string>()
  const list = flows.data ?? []

  // run does one change at a time and reloads the list after it.
  const run = async (id: string, what: () => Promise<Notice | void>, failure: string) => {
    setBusy(id)
    setNotice(undefined)
    try {
      const n = await what()
      if (n) setNotice(n)
    } catch (e) {
      setNotice(problem(failure, e))
    } finally {
      setBusy(undefined)
      flows.reload()
    }
  }

  const toggle = (f: Flow) =>
    run(
      f.id,
      async () => {
        await put(`/api/v1/flows/${enc(f.id)}`, { ...documentOf(f), enabled: !f.enabled })
      },
      `Could not ${f.enabled ? 'disable' : 'enable'} “${f.name}”`,
    )

  const duplicate = (f: Flow) =>
    run(
      f.id,
      async () => {
        // Copies start disabled, so a copy never scores contacts twice.
        const copy: Flow = { ...apiBody(f), id: copyId(f.id, list.map((x) => x.id)), name: `Copy of ${f.name}`, enabled: false }
        const saved = await post<Flow>('/api/v1/flows', copy)
        return { kind: 'info', text: `Created “${saved.name}” (disabled).`, flowId: saved.id }
      },
      `Could not duplicate “${f.name}”`,
    )

  const confirmDelete = async () => {
    if (!deleting) return
    setBusy(deleting.id)
    setDeleteError(undefined)
    try {
      await del(`/api/v1/flows/${enc(deleting.id)}`)
      setNotice({ kind: 'info', text: `Deleted “${deleting.name}”.` })
      setDeleting(undefined)
      flows.reload()
    } catch (e) {
      setDeleteError((e as Error).message)
    } finally {
      setBusy(undefined)
    }
  }

  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0]
    // Clear the input so choosing the same file again (after fixing it) imports again.
    e.target.value = ''
    if (!file) return
    let doc: unknown
    try {
      doc = JSON.parse(await file.text())
    } catch (err) {
      setNotice({ kind: 'error', text: `${file.name} is not valid JSON: ${(err as Error).message}` })
      return
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      setNotice({ kind: 'error', text: `${file.name} does not hold a flow: expected one JSON object with id, name, nodes and edges.` })
      return
    }
    await run(
      'import',
      async () => {
        const saved = await post<Flow>('/api/v1/flows', apiBody(doc as Flow))
        return { kind: 'info', text: `Imported “${saved.name}”.`, flowId: saved.id }
      },
      `Could not import ${file.name}`,
    )
  }

  return (
    <div className="page flow-list">
      <div className="row page-head">
        <h1>Flows</h1>
        <span className="spacer" />
        <EditOnly>
          <label className="button file-button">
            Import JSON…
            <input
              type="file"
              accept=".json,application/json"
              data-testid="import-flow"
              className="visually-hidden"
              onChange={importFile}
              disabled={busy === 'import'}
            />
          </label>
          <Link to="/flows/new" className="button primary" data-testid="new-flow">
            New flow
          </Link>
        </EditOnly>
      </div>

      {notice && (
        <div className={`banner ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="flow-list-notice">
          {notice.text}
          {notice.flowId && (
            <>
              {' '}
              <Link to={`/flows/${enc(notice.flowId)}`}>Open it</Link>
            </>
          )}
          {notice.details && notice.details.length > 0 && (
            <ul className="details">
              {notice.details.map((d, i) => (
                <li key={i}>
                  {d.path && <span className="mono">{d.path}</span>}
                  {d.path && ': '}
                  {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      {flows.error && <div className="banner error">Could not load the flows: {flows.error.message}</div>}
      {flows.loading && !flows.data && <p className="muted">Loading…</p>}
      {flows.data && list.length === 0 && (
        <div className="card">
          <p>No flows yet. A flow reacts to what contacts do and adjusts their scores, tags and stages.</p>
          <EditOnly>
            <Link to="/flows/new" className="button primary">
              Create the first flow
            </Link>
          </EditOnly>
        </div>
      )}
      {list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Enabled</th>
              <th className="num">Version</th>
              <th>Triggers</th>
              <th className="num">Runs 24h</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((f) => (
              <tr key={f.id} data-testid={`flow-row-${f.id}`}>
                <td>
                  <Link to={`/flows/${enc(f.id)}`}>{f.name || f.id}</Link>
                  <div className="muted small mono">{f.id}</div>
                  {f.description && <div className="muted small">{f.description}</div>}
                </td>
                <td>
                  <label className="inline-check">
                    <input
                      type="checkbox"
                      role="switch"
                      data-testid={`toggle-${f.id}`}
                      aria-label={`Enabled: ${f.name}`}
                      checked={f.enabled}
                      disabled={busy === f.id || !canEdit}
                      onChange={() => void toggle(f)}
                    />
                    <span className={`badge ${f.enabled ? 'on' : 'off'}`}>{f.enabled ? 'On' : 'Off'}</span>
                  </label>
                </td>
                <td className="num">{f.version ?? ''}</td>
                <td>{triggerTitles(f, specs).join(', ') || <span className="muted">none</span>}</td>
                <td className="num">
                  {f.runs_24h ?? 0}
                  {(f.failed_24h ?? 0) > 0 && <div className="neg small">{f.failed_24h} failed</div>}
                </td>
                <td className="actions">
                  <div className="row">
                    <button type="button" data-testid={`export-${f.id}`} onClick={() => download(f)}>
                      Export
                    </button>
                    <EditOnly>
                      <button type="button" data-testid={`duplicate-${f.id}`} disabled={busy === f.id} onClick={() => void duplicate(f)}>
                        Duplicate
                      </button>
                      <button
                        type="button"
                        className="danger"
                        data-testid={`delete-${f.id}`}
                        disabled={busy === f.id}
                        onClick={() => {
                          setDeleteError(undefined)
                          setDeleting(f)
                        }}
                      >
                        Delete
                      </button>
                    </EditOnly>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {deleting && (
        <ConfirmDialog
          title="Delete this flow?"
          confirmLabel="Delete"
          testId="confirm-delete"
          busy={busy === deleting.id}
          error={deleteError}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setDeleting(undefined)}
        >
          <p>
            “{deleting.name}” stops running and leaves this list. This cannot be undone: export the flow first to keep a copy.
          </p>
        </ConfirmDialog>
      )}
    </div>
  )
}
