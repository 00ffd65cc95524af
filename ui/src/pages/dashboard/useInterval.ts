import { useEffect, useRef } from 'react'

// useInterval calls fn every ms while the page is visible, and once at once
// when a hidden tab becomes visible again: a background tab polls nothing.
export function useInterval(fn: () => void, ms: number) {
  const latest = useRef(fn)
  latest.current = fn
  useEffect(() => {
    const tick = () => {
      if (!document.hidden) latest.current()
    }
    const id = setInterval(tick, ms)
    const onVisible = () => {
      if (!document.hidden) latest.current()
    }
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      clearInterval(id)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [ms])
}
