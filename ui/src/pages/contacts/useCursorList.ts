import { useCallback, useEffect, useRef, useState } from 'react'

export interface Page<T> {
  items: T[]
  next: string
}

export interface CursorList<T> {
  items: T[]
  // The cursor of the next page; empty when this was the last.
  next: string
  loading: boolean
  error: Error | undefined
  loadMore: () => void
  reload: () => void
}

// useCursorList pages through a list answered with a cursor ("Load more"):
// the first page loads on mount and whenever deps change; only the answer
// of the latest request is kept, so fast filter changes cannot interleave.
export function useCursorList<T>(load: (cursor: string) => Promise<Page<T>>, deps: unknown[]): CursorList<T> {
  const [items, setItems] = useState<T[]>([])
  const [next, setNext] = useState('')
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<Error>()
  const seq = useRef(0)
  const loadRef = useRef(load)
  loadRef.current = load

  const fetchPage = useCallback((cursor: string) => {
    const n = ++seq.current
    setLoading(true)
    loadRef.current(cursor).then(
      (page) => {
        if (n !== seq.current) return
        setItems((prev) => (cursor ? [...prev, ...page.items] : page.items))
        setNext(page.next)
        setError(undefined)
        setLoading(false)
      },
      (e: Error) => {
        if (n !== seq.current) return
        setError(e)
        setLoading(false)
      },
    )
  }, [])

  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => fetchPage(''), deps)

  return {
    items,
    next,
    loading,
    error,
    loadMore: () => {
      if (next) fetchPage(next)
    },
    reload: () => fetchPage(''),
  }
}
