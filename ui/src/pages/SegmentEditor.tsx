// /segments/new and /segments/:id: name, id, description and the filter of
// a segment, with a live count of the contacts it matches while it is
// edited, and (once saved) its members.
import { useEffect, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router-dom'
import { EditFieldset, EditOnly } from '../access'
import { ApiError, del, enc, get, post, put } from '../api'
import FilterBuilder from '../components/FilterBuilder'
import { useCatalog } from '../components/filter/useCatalog'
import type { Contact, Filter, Segment } from '../types'
import ContactTable from './contacts/ContactTable'
import ErrorBanner from './contacts/ErrorBanner'
import { segmentPath } from './contacts/format'
import LoadMore from './contacts/LoadMore'
import SegmentPreview from './contacts/SegmentPreview'
import { slugify } from './contacts/slug'
import { useCursorList } from './contacts/useCursorList'
import './contacts/contacts.css'

// The route changes from /segments/new to /segments/{id} after a create:
// a fresh form per id keeps no state of the other one.
export default function SegmentEditor() {
  const { id } = useParams()
  return <SegmentForm key={id ?? ''} id={id} />
}

interface Draft {
  id: string
  name: string
  description: string
  where: Filter | undefined
}

const emptyDraft: Draft = { id: '', name: '', description: '', where: undefined }

function SegmentForm({ id }: { id?: string }) {
  const isNew = id === undefined
  const path = `/api/v1/segments/${enc(id ?? '')}`
  const navigate = useNavigate()
  const catalog = useCatalog()
  const [draft, setDraft] = useState<Draft>(emptyDraft)
  const [loaded, setLoaded] = useState(isNew)
  const [loadError, setLoadError] = useState<Error>()
  // For a new segment the id follows the name until it is edited by hand.
  const [idEdited, setIdEdited] = useState(false)
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<Error>()
  const [savedAt, setSavedAt] = useState<Date>()

  useEffect(() => {
    if (isNew) return
    let live = true
    get<Segment>(path).then(
      (s) => {
        if (!live) return
        setDraft({ id: s.id, name: s.name, description: s.description ?? '', where: s.where ?? undefined })
        setLoaded(true)
      },
      (e: Error) => live && setLoadError(e),
    )
    return () => {
      live = false
    }
  }, [path, isNew])

  const members = useCursorList<Contact>(
    async (cursor) => {
      if (isNew) return { items: [], next: '' }
      const r = await get<{ contacts: Contact[]; next_cursor: string }>(`${path}/contacts?limit=50&cursor=${enc(cursor)}`)
      return { items: r.contacts ?? [], next: r.next_cursor ?? '' }
    },
    [id],
  )

  const save = async () => {
    setSaving(true)
    setSaveError(undefined)
    const body = { id: draft.id.trim(), name: draft.name.trim(), description: draft.description.trim() || undefined, where: draft.where }
    try {
      if (isNew) {
        const saved = await post<Segment>('/api/v1/segments', body)
        navigate(segmentPath(saved?.id ?? body.id), { replace: true })
        return
      }
      await put<Segment>(path, body)
      setSavedAt(new Date())
      members.reload()
    } catch (e) {
      setSaveError(e as Error)
    } finally {
      setSaving(false)
    }
  }

  const remove = async () => {
    if (!window.confirm(`Delete the segment "${draft.name}" (${id})?`)) return
    try {
      await del(path)
      navigate('/segments')
    } catch (e) {
      setSaveError(e as Error)
    }
  }

  if (loadError) {
    const missing = loadError instanceof ApiError && loadError.status === 404
    return (
      <div className="page">
        <h1>Segment</h1>
        {missing ? <p>There is no segment with the id “{id}”.</p> : <ErrorBanner error={loadError} />}
        <Link to="/segments">Back to the segments</Link>
      </div>
    )
  }
  if (!loaded) return <div className="page muted">Loading…</div>

  return (
    <div className="page">
      <div className="page-head">
        <h1>{isNew ? 'New segment' : draft.name || id}</h1>
        <span className="spacer" />
        <Link to="/segments">All segments</Link>
      </div>
      <ErrorBanner error={saveError} title="Not saved" />
      {savedAt && !saveError && <div className="banner info">Saved at {savedAt.toLocaleTimeString()}; the members below are up to date.</div>}
      <div className="segment-form">
        <div className="card">
          <EditFieldset>
            <div className="field">
              <label htmlFor="segment-name">Name</label>
              <input
                id="segment-name"
                type="text"
                data-testid="segment-name"
                value={draft.name}
                onChange={(e) => {
                  const name = e.target.value
                  setDraft((d) => ({ ...d, name, id: isNew && !idEdited ? slugify(name) : d.id }))
                }}
              />
            </div>
            <div className="field">
              <label htmlFor="segment-id">Id</label>
              <input
                id="segment-id"
                type="text"
                className="mono"
                data-testid="segment-id"
                value={draft.id}
                readOnly={!isNew}
                onChange={(e) => {
                  setIdEdited(true)
                  setDraft((d) => ({ ...d, id: e.target.value }))
                }}
              />
              <div className="help">
                {isNew ? 'Flows and other segments refer to the segment by this id; it cannot change later.' : 'The id cannot change.'}
              </div>
            </div>
            <div className="field">
              <label htmlFor="segment-description">Description</label>
              <textarea
                id="segment-description"
                rows={2}
                data-testid="segment-description"
                value={draft.description}
                onChange={(e) => setDraft((d) => ({ ...d, description: e.target.value }))}
              />
            </div>
            <div className="field">
              <label>Contacts who match</label>
              <FilterBuilder scope="contact" catalog={catalog} value={draft.where} onChange={(where) => setDraft((d) => ({ ...d, where }))} />
            </div>
          </EditFieldset>
          <EditOnly>
            <div className="row">
              <button type="button" className="primary" data-testid="segment-save" disabled={saving} onClick={save}>
                {saving ? 'Saving…' : isNew ? 'Create segment' : 'Save'}
              </button>
              {!isNew && (
                <button type="button" className="danger" data-testid="segment-delete" onClick={remove}>
                  Delete
                </button>
              )}
            </div>
          </EditOnly>
        </div>
        <SegmentPreview where={draft.where} id={isNew ? undefined : id} />
      </div>
      {!isNew && (
        <div className="section">
          <h2>Members</h2>
          <ErrorBanner error={members.error} title="Could not load the members" />
          <div data-testid="segment-members">
            <ContactTable compact contacts={members.items} empty={members.loading ? 'Loading…' : 'No contact is a member yet.'} />
          </div>
          <LoadMore list={members} noun="members" />
        </div>
      )}
    </div>
  )
}
