// /segments: every segment with its member count, a way to a new one, and
// delete (the server refuses, with a 409, a segment another one uses).
import { useState } from 'react'
import { Link } from 'react-router-dom'
import { EditOnly } from '../access'
import { del, enc, get } from '../api'
import { useAsync } from '../hooks'
import type { Segment } from '../types'
import ErrorBanner from './contacts/ErrorBanner'
import { segmentPath } from './contacts/format'
import './contacts/contacts.css'

export default function SegmentList() {
  const list = useAsync(() => get<{ segments: Segment[] }>('/api/v1/segments'), [])
  const [deleteError, setDeleteError] = useState<Error>()
  const [deleting, setDeleting] = useState('')

  const remove = async (s: Segment) => {
    if (!window.confirm(`Delete the segment "${s.name}" (${s.id})? Flows triggered by it stop firing.`)) return
    setDeleting(s.id)
    setDeleteError(undefined)
    try {
      await del(`/api/v1/segments/${enc(s.id)}`)
      list.reload()
    } catch (e) {
      setDeleteError(e as Error)
    } finally {
      setDeleting('')
    }
  }

  const segments = list.data?.segments ?? []
  return (
    <div className="page">
      <div className="page-head">
        <h1>Segments</h1>
        <span className="spacer" />
        <EditOnly>
          <Link className="button primary" to="/segments/new" data-testid="segment-new">
            New segment
          </Link>
        </EditOnly>
      </div>
      <ErrorBanner error={list.error} title="Could not load the segments" />
      <ErrorBanner error={deleteError} title="Could not delete" />
      {list.loading && !list.data ? (
        <p className="muted">Loading…</p>
      ) : segments.length === 0 ? (
        <p className="muted">No segments yet. A segment is a saved filter; its members follow every change of a contact.</p>
      ) : (
        <table data-testid="segment-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Description</th>
              <th className="num">Members</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {segments.map((s) => (
              <tr key={s.id} data-testid={`segment-row-${s.id}`}>
                <td>
                  <Link to={segmentPath(s.id)}>{s.name || s.id}</Link>
                </td>
                <td className="mono">{s.id}</td>
                <td className="muted">{s.description}</td>
                <td className="num">{s.members ?? <span className="muted">—</span>}</td>
                <td className="num">
                  <EditOnly>
                    <button type="button" className="danger" data-testid="segment-delete" disabled={deleting === s.id} onClick={() => remove(s)}>
                      Delete
                    </button>
                  </EditOnly>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
