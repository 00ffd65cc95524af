// usePoll asks load() again every `ms` while keepGoing(answer) holds: a lab
// run until it is done, an apply's rescore job until it finished. A failed
// request is shown and retried more slowly; a 404 ends the polling.
import { useEffect, useState } from 'react'
import { ApiError } from '../../api'

export interface Poll<T> { data: T | undefined; error: string | undefined }

export function usePoll<T>(key: string | undefined, load: (key: string) => Promise<T>, keepGoing: (t: T) => boolean, ms: number, nonce = 0): Poll<T> {
  const [state, setState] = useState<Poll<T> & { key?: string }>({ data: undefined, error: undefined })
  useEffect(() => {
    if (!key) {
      setState({ data: undefined, error: undefined })
      return
    }
    let stop = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = () => {
      load(key).then(
        (data) => {
          if (stop) return
          setState({ key, data, error: undefined })
          if (keepGoing(data)) timer = setTimeout(tick, ms)
        },
        (e: Error) => {
          if (stop) return
          setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: e.message }))
          if (!(e instanceof ApiError && e.status === 404)) timer = setTimeout(tick, ms * 4)
        },
      )
    }
    tick()
    return () => {
      stop = true
      clearTimeout(timer)
    }
    // load and keepGoing are fixed per caller; key and nonce start a new poll.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, nonce, ms])
  // Before the first answer for a new key, the old key's data is not shown.
  return state.key === key ? state : { data: undefined, error: undefined }
}
