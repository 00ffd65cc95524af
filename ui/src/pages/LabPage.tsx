// /lab: test a draft model on history before it scores anyone (CONTRACT §8).
// The draft, the outcome and the run last started are kept in
// sessionStorage, so a reload of /lab (or a trip to the canvas) keeps them.
import { useEffect, useState } from 'react'
import { ApiError, del, enc, get, post } from '../api'
import { useCatalog } from '../components/filter/useCatalog'
import { useAsync } from '../hooks'
import type { FieldError, Flow } from '../types'
import { ApplyPanel } from './lab/ApplyPanel'
import { progressPercent } from './lab/charts'
import DraftPanel from './lab/DraftPanel'
import {
  fromSuggestion,
  loadDraft,
  loadRunId,
  loadSetup,
  outcomeOf,
  runRequest,
  saveDraft,
  saveRunId,
  saveSetup,
  timeWindow,
  type Draft,
  type Setup,
} from './lab/draft'
import ResultView from './lab/ResultView'
import SetupPanel from './lab/SetupPanel'
import SuggestPanel from './lab/SuggestPanel'
import type { Run, Suggestion } from './lab/types'
import { usePoll } from './lab/usePoll'
import './lab/lab.css'

export const runPollMs = 400

const running = (r: Run) => r.state === 'queued' || r.state === 'running'

export default function LabPage() {
  const catalog = useCatalog()
  const live = useAsync(() => get<{ flows: Flow[] }>('/api/v1/flows').then((r) => r.flows ?? []), [])
  const [runId, setRunIdState] = useState<string | undefined>(loadRunId)
  const [nonce, setNonce] = useState(0)
  const [starting, setStarting] = useState(false)
  const [runError, setRunError] = useState<string>()
  // A refused draft names the flow and field at fault (CONTRACT §6 details).
  const [runDetails, setRunDetails] = useState<FieldError[]>([])
  const [applied, setApplied] = useState(false)

  const [draft, setDraft] = useState<Draft>(loadDraft)
  const [setup, setSetup] = useState<Setup>(loadSetup)
  useEffect(() => saveDraft(draft), [draft])
  useEffect(() => saveSetup(setup), [setup])
  const setRunId = (id: string | undefined) => {
    setRunIdState(id)
    saveRunId(id)
    setApplied(false)
  }
  // The event picker starts on the first event type that sounds like a
  // sale, unless one is picked or typed meanwhile.
  useEffect(() => {
    const guess = catalog?.event_types?.find((t) => /\b(won|purchased?|paid|closed)\b/i.test(t))
    if (guess) setSetup((s) => (s.kind === 'event' && !s.event ? { ...s, event: guess } : s))
  }, [catalog])

  const poll = usePoll<Run>(runId, (id) => get<Run>(`/api/v1/lab/runs/${enc(id)}`), running, runPollMs, nonce)
  const run = poll.data

  const start = async () => {
    const body = runRequest(draft, setup)
    if ('error' in body) {
      setRunError(body.error)
      return
    }
    setStarting(true)
    setRunError(undefined)
    setRunDetails([])
    try {
      const r = await post<{ id: string }>('/api/v1/lab/runs', body)
      setRunId(r.id)
    } catch (e) {
      setRunError(`Could not start the run: ${(e as Error).message}`)
      if (e instanceof ApiError) setRunDetails(e.details)
    } finally {
      setStarting(false)
    }
  }

  const cancel = async () => {
    if (!runId) return
    try {
      await del(`/api/v1/lab/runs/${enc(runId)}`)
    } catch (e) {
      setRunError(`Could not cancel: ${(e as Error).message}`)
    }
    setNonce((n) => n + 1)
  }

  const suggestRequest = () => {
    const outcome = outcomeOf(setup)
    if ('error' in outcome) return outcome
    const w = timeWindow(setup)
    if ('error' in w) return w
    return { outcome, ...w }
  }
  const openAsDraft = (s: Suggestion) => setDraft(fromSuggestion(s.model ?? {}))

  const busy = starting || (run !== undefined && running(run))
  return (
    <div className="page lab-page">
      <h1>Model lab</h1>
      <p className="muted">
        Replay history through a draft model and the live one side by side — nothing live changes until you apply.
      </p>
      <div className="grid cols-2">
        <DraftPanel draft={draft} live={live.data} onChange={setDraft} />
        <SetupPanel setup={setup} catalog={catalog} onChange={setSetup} />
      </div>
      <section className="card lab-run" aria-label="Run">
        <div className="row">
          <button type="button" className="primary" data-testid="lab-run" onClick={() => void start()} disabled={busy}>
            {starting ? 'Starting…' : 'Run'}
          </button>
          {run && running(run) && (
            <>
              <progress className="lab-progress" data-testid="lab-progress" max={100} value={progressPercent(run.progress)}>
                {progressPercent(run.progress)}%
              </progress>
              <span className="muted small" data-testid="lab-progress-text">
                {run.state === 'queued' ? 'Queued behind another run…' : `${progressPercent(run.progress)}%`}
              </span>
              <button type="button" data-testid="lab-cancel" onClick={() => void cancel()}>
                Cancel
              </button>
            </>
          )}
          {run && run.state === 'cancelled' && <span className="muted" data-testid="lab-cancelled">The run was cancelled.</span>}
        </div>
        {runError && (
          <div className="banner error" role="alert" data-testid="lab-run-error">
            {runError}
            {runDetails.length > 0 && (
              <ul className="small">
                {runDetails.map((d, i) => (
                  <li key={i}>
                    <span className="mono">{d.path}</span>: {d.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {run?.state === 'failed' && (
          <div className="banner error" role="alert" data-testid="lab-run-failed">
            The run failed: {run.error || 'no reason given'}
          </div>
        )}
        {poll.error && !run && <div className="banner error">Could not read the run: {poll.error}</div>}
      </section>
      {run?.state === 'done' && run.result && (
        <>
          <ResultView result={run.result} grades={catalog?.grades} />
          <ApplyPanel
            key={run.id}
            runId={run.id}
            changed={run.result.changed}
            onApplied={() => {
              // The draft is live now: what is left to test starts from it.
              setApplied(true)
              setDraft({ add: [], remove: [] })
              live.reload()
            }}
          />
          {applied && <p className="muted small">The draft was cleared: it is the live model now.</p>}
        </>
      )}
      <SuggestPanel catalog={catalog} score={setup.score} onScore={(score) => setSetup({ ...setup, score })} request={suggestRequest} onOpenAsDraft={openAsDraft} />
    </div>
  )
}
