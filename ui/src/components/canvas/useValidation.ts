// Inline validation: the document is sent to POST /api/v1/flows/validate
// once it has stopped changing for a moment, and the answer is mapped onto
// nodes, fields and the banner.
import { useCallback, useEffect, useState } from 'react'
import { post } from '../../api'
import type { FieldError, Flow, ValidateResult } from '../../types'
import { mapIssues, noIssues, type Issues } from './issues'

export const validateDelayMs = 400

// enabled false skips the check: a read key is refused the POST, and could
// not fix what it finds.
export function useValidation(doc: Flow, body: (f: Flow) => unknown, delayMs = validateDelayMs, enabled = true) {
  const [issues, setIssues] = useState<Issues>(noIssues)
  const [checking, setChecking] = useState(false)
  const [failed, setFailed] = useState<string>()

  useEffect(() => {
    if (!enabled) return
    // A newer document cancels the answer for an older one.
    let stale = false
    setChecking(true)
    const t = setTimeout(() => {
      post<ValidateResult>('/api/v1/flows/validate', body(doc)).then(
        (r) => {
          if (stale) return
          setIssues(mapIssues(doc, r.errors ?? []))
          setFailed(undefined)
          setChecking(false)
        },
        (e: Error) => {
          if (stale) return
          setFailed(e.message)
          setChecking(false)
        },
      )
    }, delayMs)
    return () => {
      stale = true
      clearTimeout(t)
    }
  }, [doc, body, delayMs, enabled])

  // show puts errors from elsewhere (a refused save) on the canvas.
  const show = useCallback((d: Flow, errors: FieldError[]) => setIssues(mapIssues(d, errors)), [])

  return { issues, checking, failed, show }
}
