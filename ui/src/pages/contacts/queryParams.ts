// List pages keep their filters in the URL's query string, so a view can be
// shared and survives a reload.
import { useEffect, useState } from 'react'
import { useSearchParams } from 'react-router-dom'
import { useDebounced } from '../../hooks'

const TYPING_MS = 300

// useQueryParams is useSearchParams with a setter of one parameter that
// drops it when empty. replace: typing and filtering should not fill the
// browser history.
export function useQueryParams(): [URLSearchParams, (name: string, value: string) => void, ReturnType<typeof useSearchParams>[1]] {
  const [params, setParams] = useSearchParams()
  const setParam = (name: string, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (value) next.set(name, value)
        else next.delete(name)
        return next
      },
      { replace: true },
    )
  return [params, setParam, setParams]
}

// useTypedParam binds a text box to a query parameter: the box answers every
// key at once, the URL (and so the request) follows once typing pauses, and
// the box follows the URL when it changes otherwise (back, clear filters).
export function useTypedParam(name: string, fromUrl: string, setParam: (name: string, value: string) => void): [string, (v: string) => void] {
  const [text, setText] = useState(fromUrl)
  const settled = useDebounced(text, TYPING_MS)
  useEffect(() => {
    if (settled !== fromUrl) setParam(name, settled)
    // Only a settled edit writes the URL.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled])
  useEffect(() => {
    if (fromUrl !== settled) setText(fromUrl)
    // Only a change of the URL moves the box.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fromUrl])
  return [text, setText]
}
