// Apply: the run's draft becomes live and every contact is rescored, as an
// engine job whose progress GET /api/v1/jobs reports.
import { useState } from 'react'
import { get, post, enc } from '../../api'
import ConfirmDialog from '../../components/canvas/ConfirmDialog'
import { progressPercent } from './charts'
import type { Job } from './types'
import { usePoll } from './usePoll'

export const jobPollMs = 1000

export const jobFinished = (j: Job | undefined) => j?.state === 'done' || j?.state === 'failed'

// The apply jobs are listed beside the scheduled ones, under lab_jobs.
const loadJob = async (id: string) => (await get<{ lab_jobs?: Job[] }>('/api/v1/jobs')).lab_jobs?.find((j) => j.id === id)

export function ApplyPanel({ runId, changed, onApplied }: { runId: string; changed: number | undefined; onApplied: () => void }) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [job, setJob] = useState<string>()
  const poll = usePoll<Job | undefined>(job, loadJob, (j) => !jobFinished(j), jobPollMs)

  const apply = async () => {
    setBusy(true)
    setError(undefined)
    try {
      const r = await post<{ job: string }>(`/api/v1/lab/runs/${enc(runId)}/apply`)
      setJob(r.job)
      setAsking(false)
      onApplied()
    } catch (e) {
      setError(`Not applied: ${(e as Error).message}`)
    } finally {
      setBusy(false)
    }
  }

  const n = changed ?? 0
  const what = changed === undefined ? 'Contacts' : n === 1 ? '1 contact' : `${n.toLocaleString()} contacts`
  return (
    <section className="card" data-testid="lab-apply" aria-labelledby="lab-apply-title">
      <h2 id="lab-apply-title">Apply</h2>
      {job === undefined ? (
        <div className="row">
          <button type="button" className="danger" data-testid="apply" onClick={() => setAsking(true)}>
            Apply this draft
          </button>
          <span className="muted small">The draft becomes live and every contact is rescored from its history.</span>
        </div>
      ) : (
        <JobStatus id={job} job={poll.data} error={poll.error} />
      )}
      {asking && (
        <ConfirmDialog
          title="Apply this draft?"
          confirmLabel="Apply and rescore"
          testId="apply-confirm"
          busy={busy}
          error={error}
          onConfirm={() => void apply()}
          onCancel={() => setAsking(false)}
        >
          <p data-testid="apply-count">
            {what} {changed === undefined ? 'may' : n === 1 ? 'changes' : 'change'} score or grade.
          </p>
          <p className="muted small">
            The draft's flows become live now. Every contact is rescored from its history under them (history rows with reason
            “rescore”); no webhook is sent again for past events.
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}

function JobStatus({ id, job, error }: { id: string; job: Job | undefined; error: string | undefined }) {
  const done = jobFinished(job)
  const state = job?.state ?? 'starting'
  const failed = state === 'failed'
  return (
    <div data-testid="apply-job">
      <p>
        Rescore job <span className="mono">{id}</span>:{' '}
        <strong data-testid="apply-job-state" className={failed ? 'neg' : done ? 'pos' : undefined}>
          {state}
        </strong>
        {job?.done !== undefined && job?.total !== undefined && (
          <span className="muted small">
            {' '}
            · {job.done.toLocaleString()} of {job.total.toLocaleString()} contacts
          </span>
        )}
        {done && job?.changed !== undefined && (
          <span className="muted small" data-testid="apply-job-changed">
            {' '}
            · {job.changed.toLocaleString()} changed
          </span>
        )}
      </p>
      {job?.progress !== undefined && (
        <progress className="lab-progress" data-testid="apply-job-progress" max={100} value={progressPercent(job.progress)}>
          {progressPercent(job.progress)}%
        </progress>
      )}
      {job?.error && <div className="banner error">{job.error}</div>}
      {error && <div className="banner error">Could not read the job: {error}</div>}
    </div>
  )
}
