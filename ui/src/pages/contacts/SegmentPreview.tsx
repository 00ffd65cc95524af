// The live count of a segment being edited: POST /api/v1/segments/preview
// with the filter, once typing pauses, answering {count, sample}.
import { useEffect, useState } from 'react'
import { ApiError, post } from '../../api'
import { useDebounced } from '../../hooks'
import type { Filter, SegmentPreview as Preview } from '../../types'
import ContactTable from './ContactTable'
import ErrorBanner from './ErrorBanner'

const DEBOUNCE_MS = 400

interface PreviewState {
  result?: Preview
  error?: Error
  loading: boolean
}

// useSegmentPreview counts the contacts where matches. id is the segment's
// own id when it exists, so the server checks references under it (a
// segment naming itself is a cycle).
export function useSegmentPreview(where: Filter | undefined, id?: string) {
  const json = JSON.stringify(where ?? null)
  const settled = useDebounced(json, DEBOUNCE_MS)
  const [state, setState] = useState<PreviewState>({ loading: false })
  useEffect(() => {
    if (settled === 'null') {
      setState({ loading: false })
      return
    }
    let live = true
    setState((s) => ({ ...s, loading: true }))
    post<Preview>('/api/v1/segments/preview', { id, where: JSON.parse(settled) }).then(
      (result) => live && setState({ result, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    )
    // A newer filter supersedes this answer.
    return () => {
      live = false
    }
  }, [settled, id])
  return { ...state, empty: json === 'null', stale: json !== settled || state.loading }
}

export default function SegmentPreview({ where, id }: { where: Filter | undefined; id?: string }) {
  const p = useSegmentPreview(where, id)
  return (
    <div className={'card live-count' + (p.stale ? ' stale' : '')} aria-busy={p.stale}>
      <h3>Matching contacts now</h3>
      {/* The number is always there (— when it cannot be counted), so a
          test or a glance finds it in one place. */}
      <div className="count" data-testid="segment-count">
        {p.empty || p.error ? '—' : p.result ? p.result.count : '…'}
      </div>
      {p.empty ? (
        <p className="muted">Add a condition to see how many contacts match.</p>
      ) : p.error instanceof ApiError && (p.error.status === 404 || p.error.status === 405) ? (
        <p className="muted">This server cannot count a segment before it is saved (no POST /api/v1/segments/preview).</p>
      ) : p.error instanceof ApiError && p.error.status === 403 ? (
        <p className="muted">This key may not count an edited filter; the members below are the saved segment’s.</p>
      ) : p.error ? (
        <ErrorBanner error={p.error} title="Cannot count" />
      ) : (
        <>
          <p className="muted small">{p.stale ? 'Counting…' : 'Counted with the filter as edited, before saving.'}</p>
          {p.result && p.result.sample.length > 0 && <ContactTable compact contacts={p.result.sample} />}
        </>
      )}
    </div>
  )
}
