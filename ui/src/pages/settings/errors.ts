// Error details (CONTRACT §6) indexed by path, so each input shows its own.
import type { FieldError } from '../../types'

export type ErrorIndex = Map<string, string[]>

export function indexErrors(details: FieldError[]): ErrorIndex {
  const m: ErrorIndex = new Map()
  for (const d of details) m.set(d.path, [...(m.get(d.path) ?? []), d.message])
  return m
}

// unplaced returns the details no input of the form shows, for the banner:
// a decode error has an empty path; a path such as scores[1].decay names a
// group rather than one input.
export function unplaced(details: FieldError[], inputPaths: Set<string>): FieldError[] {
  return details.filter((d) => !inputPaths.has(d.path))
}

// Every path the form has an input for, given the sizes of its lists.
export function inputPaths(scores: { decay: boolean }[], grades: number, stages: number): Set<string> {
  const s = new Set<string>()
  scores.forEach((d, i) => {
    for (const f of ['name', 'min', 'max']) s.add(`scores[${i}].${f}`)
    if (d.decay) {
      s.add(`scores[${i}].decay.every`)
      s.add(`scores[${i}].decay.percent`)
    }
  })
  for (let i = 0; i < grades; i++) {
    s.add(`grades[${i}].name`)
    s.add(`grades[${i}].min`)
  }
  for (let i = 0; i < stages; i++) s.add(`pipeline[${i}]`)
  return s
}

// A DOM id for an error message, derived from its path.
export const errorId = (path: string) => 'err-' + path.replace(/[^A-Za-z0-9_-]/g, '_')
