// Shapes of the model lab's API (CONTRACT §8 and notes/lab-types.md). Kept
// apart from ../../types.ts: only the Lab page and the canvas hand-off use them.
import type { Filter, Flow, Settings } from '../../types'

// A draft model: the live model with changes. A flow in `add` whose id is
// live replaces it.
export interface DraftModel {
  base: 'live'
  add: Flow[]
  remove: string[]
  settings?: Settings
}

export type Outcome = ({ event: string } | { where: Filter }) & { horizon: string }

export interface RunRequest {
  model: DraftModel
  outcome: Outcome
  from: string
  to: string
}

export interface Bucket { min: number; max: number; contacts: number }

export interface Band {
  band: string
  min: number | null
  max: number | null
  contacts: number
  converted: number
  rate: number
}

export interface ROCPoint { fpr: number; tpr: number }

export interface OutcomeEval {
  converted: number
  bands: Band[]
  deciles?: Band[]
  auc: number | null
  lift_top_decile: number | null
  roc?: ROCPoint[]
}

export interface Eval {
  histogram: Bucket[]
  grades: Record<string, number>
  outcome: OutcomeEval
}

export interface Mover {
  contact: string
  live_score: number
  draft_score: number
  live_grade: string
  draft_grade: string
}

export interface RunResult {
  contacts: number
  events: number
  live: Eval
  draft: Eval
  movers: Mover[]
  changed?: number
}

export type RunState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

export interface Run {
  id: string
  state: RunState
  progress: number
  error?: string | null
  result?: RunResult | null
}

export interface SuggestedFeature { feature: string; weight: number; points: number }

export interface Suggestion {
  // null when undefined (one class missing from a part).
  auc: number | null
  holdout_auc: number | null
  features: SuggestedFeature[]
  model: { base: 'live'; add?: Flow[]; remove?: string[] }
}

// An apply job, from GET /api/v1/jobs' `lab_jobs` (lab.JobView): state is
// applying, rescoring, done or failed.
export interface Job {
  id: string
  run?: string
  state: string
  progress?: number
  done?: number
  total?: number
  changed?: number
  error?: string
}
