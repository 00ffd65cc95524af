// /contacts: contacts by score, searchable and filtered by segment, grade and
// tag. The filters live in the URL query string, so a view can be shared
// and survives a reload.
import { useState } from 'react'
import { get } from '../api'
import { EditOnly } from '../access'
import { useAsync } from '../hooks'
import type { Contact, Segment, Settings } from '../types'
import ContactTable, { dimensionsOf } from './contacts/ContactTable'
import ImportDialog from './identity/ImportDialog'
import { downloadExport } from './identity/transfer'
import ErrorBanner from './contacts/ErrorBanner'
import LoadMore from './contacts/LoadMore'
import { useQueryParams, useTypedParam } from './contacts/queryParams'
import { useCursorList } from './contacts/useCursorList'
import './contacts/contacts.css'

const PAGE = 50

export default function ContactList() {
  const [params, setParam, setParams] = useQueryParams()
  const segment = params.get('segment') ?? ''
  const grade = params.get('grade') ?? ''
  const sort = params.get('sort') === 'score' ? 'score' : '-score'

  const [q, setQ] = useTypedParam('q', params.get('q') ?? '', setParam)
  const [tag, setTag] = useTypedParam('tag', params.get('tag') ?? '', setParam)

  const settings = useAsync(() => get<Settings>('/api/v1/settings'), [])
  const segments = useAsync(() => get<{ segments: Segment[] }>('/api/v1/segments'), [])

  const query = new URLSearchParams()
  for (const [k, v] of [['segment', segment], ['grade', grade], ['tag', params.get('tag') ?? ''], ['q', params.get('q') ?? '']]) if (v) query.set(k, v)
  query.set('sort', sort)
  query.set('limit', String(PAGE))
  const qs = query.toString()

  const list = useCursorList<Contact>(
    async (cursor) => {
      const r = await get<{ contacts: Contact[]; next_cursor: string }>(`/api/v1/contacts?${qs}&cursor=${encodeURIComponent(cursor)}`)
      return { items: r.contacts ?? [], next: r.next_cursor ?? '' }
    },
    [qs],
  )

  const [importing, setImporting] = useState(false)
  const [exportError, setExportError] = useState<Error>()
  const exportQuery = new URLSearchParams()
  for (const [k, v] of [['segment', segment], ['grade', grade], ['tag', params.get('tag') ?? '']]) if (v) exportQuery.set(k, v)

  const dims = dimensionsOf(settings.data?.scores?.map((s) => s.name) ?? [], list.items)
  const filtered = !!(segment || grade || params.get('tag') || params.get('q'))

  return (
    <div className="page">
      <div className="page-head">
        <h1>Contacts</h1>
        <span className="spacer" />
        <EditOnly>
          <button type="button" data-testid="contact-import" onClick={() => setImporting(true)}>
            Import CSV
          </button>
        </EditOnly>
        <button
          type="button"
          data-testid="contact-export"
          title="Download the contacts these filters show (search aside) as CSV"
          onClick={() => downloadExport(exportQuery.toString()).then(() => setExportError(undefined), setExportError)}
        >
          Export CSV
        </button>
      </div>
      {importing && <ImportDialog onClose={() => setImporting(false)} onDone={list.reload} />}
      <ErrorBanner error={exportError} title="Could not export the contacts" />
      <div className="filters">
        <div>
          <label htmlFor="contact-search">Search</label>
          <input
            id="contact-search"
            type="search"
            data-testid="contact-search"
            placeholder="email, id or name"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="contact-segment">Segment</label>
          <select id="contact-segment" data-testid="contact-filter-segment" value={segment} onChange={(e) => setParam('segment', e.target.value)}>
            <option value="">any</option>
            {(segments.data?.segments ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name || s.id}
              </option>
            ))}
            {segment && !segments.data?.segments.some((s) => s.id === segment) && <option value={segment}>{segment}</option>}
          </select>
        </div>
        <div>
          <label htmlFor="contact-grade">Grade</label>
          <select id="contact-grade" data-testid="contact-filter-grade" value={grade} onChange={(e) => setParam('grade', e.target.value)}>
            <option value="">any</option>
            {(settings.data?.grades ?? []).map((g) => (
              <option key={g.name} value={g.name}>
                {g.name}
              </option>
            ))}
            {grade && !settings.data?.grades.some((g) => g.name === grade) && <option value={grade}>{grade}</option>}
          </select>
        </div>
        <div>
          <label htmlFor="contact-tag">Tag</label>
          <input id="contact-tag" type="text" data-testid="contact-filter-tag" placeholder="tag" value={tag} onChange={(e) => setTag(e.target.value)} />
        </div>
        {filtered && (
          <button type="button" className="link" onClick={() => setParams(sort === 'score' ? { sort } : {}, { replace: true })}>
            Clear filters
          </button>
        )}
      </div>
      <ErrorBanner error={list.error} title="Could not load the contacts" />
      <div data-testid="contact-table">
        <ContactTable
          contacts={list.items}
          dimensions={dims}
          scoreHeader={
            <button
              type="button"
              className="sort-toggle"
              data-testid="contact-sort"
              title="Sort by score"
              aria-label={sort === '-score' ? 'Score, highest first; sort lowest first' : 'Score, lowest first; sort highest first'}
              onClick={() => setParam('sort', sort === '-score' ? 'score' : '')}
            >
              Score {sort === '-score' ? '↓' : '↑'}
            </button>
          }
          empty={list.loading ? 'Loading…' : filtered ? 'No contact matches these filters.' : 'No contacts yet: send events to create some.'}
        />
      </div>
      <LoadMore list={list} noun="contacts" />
    </div>
  )
}
