import { useEffect, useState } from 'react'

// A module that is its own chunk: loaded on first use and remembered, so
// the pages that do not need it (and a first visit's main bundle) do not
// pay for it. Unlike React.lazy there is no Suspense boundary, whose 300 ms
// reveal throttle would hold back the rest of the page; the caller renders
// a placeholder until the module is there.
export interface LazyModule<T> {
  // use returns the module once loaded (and starts loading it), or
  // undefined before; failed tells that the chunk could not be fetched.
  use: () => { mod: T | undefined; failed: boolean }
  preload: () => Promise<T>
}

export function lazyModule<T>(load: () => Promise<T>): LazyModule<T> {
  let mod: T | undefined
  let pending: Promise<T> | undefined
  const preload = () => {
    pending ??= load().then(
      (m) => (mod = m),
      (e: unknown) => {
        pending = undefined // a later visit may try again
        throw e
      },
    )
    return pending
  }
  function use() {
    const [, setLoaded] = useState(mod !== undefined)
    const [failed, setFailed] = useState(false)
    useEffect(() => {
      // The module may have arrived between this render and its effect
      // (another component loaded it): render again with it.
      if (mod !== undefined) {
        setLoaded(true)
        return
      }
      let live = true
      preload().then(
        () => live && setLoaded(true),
        () => live && setFailed(true),
      )
      return () => {
        live = false
      }
    }, [])
    return { mod, failed }
  }
  return { use, preload }
}
