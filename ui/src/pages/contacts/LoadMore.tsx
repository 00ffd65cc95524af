import type { CursorList } from './useCursorList'

// LoadMore is the footer of a cursor-paged list.
export default function LoadMore({ list, noun }: { list: CursorList<unknown>; noun: string }) {
  if (list.loading) return <p className="muted">Loading…</p>
  if (!list.next) return list.items.length > 0 ? <p className="muted small">All {list.items.length} {noun} shown.</p> : null
  return (
    <div className="row list-footer">
      <button type="button" data-testid="load-more" onClick={list.loadMore}>
        Load more
      </button>
      <span className="muted small">{list.items.length} shown</span>
    </div>
  )
}
