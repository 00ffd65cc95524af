// The settings form's model. Inputs hold strings (an empty min means
// "unbounded"), so the draft keeps what the user typed and converts to the
// API document only on save. Client checks use the API's own error paths
// (scores[1].decay.percent, grades[2].min, pipeline[3]) so client and server
// errors land next to the same inputs.
import type { AccountScoreMode, FieldError, Grade, ScoreDimension, Settings } from '../../types'

export interface DimensionDraft {
  id: number
  name: string
  min: string
  max: string
  decay: boolean
  every: string
  percent: string
  // How accounts aggregate this dimension over their contacts.
  account: AccountScoreMode
  // What the server sent, so fields this form does not know survive a save.
  orig?: ScoreDimension
}

export interface GradeDraft {
  id: number
  name: string
  min: string
  orig?: Grade
}

export interface StageDraft {
  id: number
  name: string
}

export interface SettingsDraft {
  scores: DimensionDraft[]
  grades: GradeDraft[]
  pipeline: StageDraft[]
  orig: Settings
}

// Ids key list rows in React, so rows keep their inputs across reorders.
let nextId = 1
export const newId = () => nextId++

const numText = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n))

export function fromSettings(s: Settings): SettingsDraft {
  return {
    scores: (s.scores ?? []).map((d) => ({
      id: newId(),
      name: d.name,
      min: numText(d.min),
      max: numText(d.max),
      decay: !!d.decay,
      every: d.decay?.every ?? '',
      percent: numText(d.decay?.percent),
      account: s.account_scores?.[d.name] ?? 'sum',
      orig: d,
    })),
    grades: (s.grades ?? []).map((g) => ({ id: newId(), name: g.name, min: numText(g.min), orig: g })),
    pipeline: (s.pipeline ?? []).map((name) => ({ id: newId(), name })),
    orig: s,
  }
}

export const newDimension = (): DimensionDraft => ({ id: newId(), name: '', min: '', max: '', decay: false, every: '', percent: '', account: 'sum' })
export const newGrade = (): GradeDraft => ({ id: newId(), name: '', min: '' })

const optionalInt = (s: string): number | null => (s.trim() === '' ? null : Number(s.trim()))

// toSettings builds the whole PUT document. Call it on a draft that passed
// checkDraft; numbers that do not parse would become NaN.
export function toSettings(d: SettingsDraft): Settings {
  const scores = d.scores.map((s) => {
    const dim: ScoreDimension = { ...s.orig, name: s.name.trim(), min: optionalInt(s.min), max: optionalInt(s.max) }
    if (s.decay) dim.decay = { every: s.every.trim(), percent: Number(s.percent.trim()) }
    else delete dim.decay
    return dim
  })
  const grades = d.grades.map((g) => ({ ...g.orig, name: g.name.trim(), min: optionalInt(g.min) }))
  const pipeline = d.pipeline.map((s) => s.name.trim())
  return { ...d.orig, scores, grades, pipeline, account_scores: accountScores(d) }
}

// accountScores keeps the modes of dimensions the form does not list (a
// dimension used by flows only) and writes sum only where it was explicit.
function accountScores(d: SettingsDraft): Record<string, AccountScoreMode> | undefined {
  const out: Record<string, AccountScoreMode> = { ...d.orig.account_scores }
  for (const s of d.scores) {
    for (const old of [s.orig?.name, s.name.trim()]) if (old) delete out[old]
    if (s.account !== 'sum' && s.name.trim()) out[s.name.trim()] = s.account
  }
  return Object.keys(out).length ? out : undefined
}

// A duration as the API writes and reads it: 30d, 72h, 90m, also Go's
// compound form (1h30m0s) that the server prints for spans of odd length.
const durationRe = /^(\d+(ms|s|m|h|d))+$/
const intRe = /^-?\d+$/
const percentRe = /^\d+(\.\d+)?$/

export function checkDuration(s: string): string | undefined {
  const v = s.trim()
  if (v === '') return 'is required, such as "30d"'
  if (!durationRe.test(v)) return 'must be a duration such as 30m, 72h or 30d'
  if (!/[1-9]/.test(v)) return 'must be longer than zero'
  return undefined
}

function checkInt(s: string): string | undefined {
  const v = s.trim()
  if (!intRe.test(v) || !Number.isSafeInteger(Number(v))) return 'must be a whole number'
  return undefined
}

// checkNames flags empty and repeated names; the second of two equal names
// gets the "duplicate" error, as the server does.
function checkNames(names: string[], path: (i: number) => string, what: string, add: (p: string, m: string) => void) {
  const seen = new Set<string>()
  names.forEach((raw, i) => {
    const n = raw.trim()
    if (n === '') add(path(i), 'is required')
    else if (seen.has(n)) add(path(i), `duplicate ${what} "${n}"`)
    seen.add(n)
  })
}

// checkDraft is the client's quick check before a save; the server still
// judges (and may find more, such as a stage that flows still use).
export function checkDraft(d: SettingsDraft): FieldError[] {
  const errs: FieldError[] = []
  const add = (path: string, message: string) => errs.push({ path, message })

  checkNames(d.scores.map((s) => s.name), (i) => `scores[${i}].name`, 'score dimension', add)
  d.scores.forEach((s, i) => {
    const p = `scores[${i}]`
    const minErr = s.min.trim() === '' ? undefined : checkInt(s.min)
    const maxErr = s.max.trim() === '' ? undefined : checkInt(s.max)
    if (minErr) add(`${p}.min`, minErr)
    if (maxErr) add(`${p}.max`, maxErr)
    if (!minErr && !maxErr && s.min.trim() !== '' && s.max.trim() !== '' && Number(s.min) > Number(s.max)) {
      add(`${p}.min`, 'must not be greater than max')
    }
    if (s.decay) {
      const durErr = checkDuration(s.every)
      if (durErr) add(`${p}.decay.every`, durErr)
      const pc = s.percent.trim()
      if (!percentRe.test(pc) || Number(pc) < 1 || Number(pc) > 100) add(`${p}.decay.percent`, 'must be a number from 1 to 100')
    }
  })

  checkNames(d.grades.map((g) => g.name), (i) => `grades[${i}].name`, 'grade', add)
  const mins = new Set<number>()
  d.grades.forEach((g, i) => {
    const p = `grades[${i}].min`
    if (g.min.trim() === '') {
      // Only the first grade may be open below: it is the lowest grade.
      if (i > 0) add(p, 'is required: the score from which this grade applies')
      return
    }
    const e = checkInt(g.min)
    if (e) return add(p, e)
    const n = Number(g.min.trim())
    if (mins.has(n)) add(p, 'two grades share this lower bound')
    mins.add(n)
  })

  checkNames(d.pipeline.map((s) => s.name), (i) => `pipeline[${i}]`, 'stage', add)
  return errs
}

// move returns list with the item at i moved by delta (−1 up, +1 down);
// moves past either end leave the list as it is.
export function move<T>(list: T[], i: number, delta: number): T[] {
  const j = i + delta
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return list
  const out = list.slice()
  ;[out[i], out[j]] = [out[j], out[i]]
  return out
}
