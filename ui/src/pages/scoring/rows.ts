// Pure helpers of the scoring matrix: turn the API's ScoringRule list into
// the rows of a marketer's scoring sheet, then sort, filter and total them.
// Kept free of React so the sheet's wording and order are unit-tested.
import type { Entry, ScoringRule } from '../../types'

// One clause of a criterion after the trigger; kind picks its styling.
export interface Qualifier {
  kind: 'if' | 'unless' | 'delay' | 'entry'
  text: string
}

export interface MatrixRow {
  key: string
  flowId: string
  flowName: string
  nodeId: string
  dimension: string
  points: number
  trigger: string
  qualifiers: Qualifier[]
  // trigger and qualifiers as one line: what the filter box searches.
  criterion: string
}

export interface DimensionGroup {
  dimension: string
  rows: MatrixRow[]
  // Sum of the positive points of the group's rows: what a contact can at
  // most collect from this sheet if every rule fires once.
  maxPositive: number
}

// entryNote says how often a contact can enter the rule's flow, in the
// words of a scoring sheet; every_time needs no note.
export function entryNote(entry: Entry | undefined): string | undefined {
  switch (entry?.mode) {
    case 'once':
      return 'first time only'
    case 'limited':
      return entry.max !== undefined && entry.window ? `at most ${entry.max} per ${entry.window}` : 'limited entries'
    default:
      return undefined
  }
}

export function qualifiers(rule: ScoringRule): Qualifier[] {
  const q: Qualifier[] = (rule.conditions ?? []).map((c) => ({
    kind: c.branch === 'no' ? 'unless' : 'if',
    text: `${c.branch === 'no' ? 'unless' : 'if'} ${c.text}`,
  }))
  for (const d of rule.delays ?? []) q.push({ kind: 'delay', text: `after ${d}` })
  const note = entryNote(rule.entry)
  if (note) q.push({ kind: 'entry', text: note })
  return q
}

export function toRow(rule: ScoringRule): MatrixRow {
  const qs = qualifiers(rule)
  const trigger = rule.trigger_text || rule.trigger?.type || '(no trigger)'
  return {
    key: `${rule.flow_id}\u0000${rule.node_id}\u0000${rule.trigger?.node_id ?? ''}`,
    flowId: rule.flow_id,
    flowName: rule.flow_name || rule.flow_id,
    nodeId: rule.node_id,
    dimension: rule.dimension,
    points: rule.points,
    trigger,
    qualifiers: qs,
    criterion: [trigger, ...qs.map((q) => q.text)].join(', '),
  }
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true })

// compareRows orders the sheet: dimension A→Z, then points high→low, then
// flow and criterion so the order is stable between refreshes.
export function compareRows(a: MatrixRow, b: MatrixRow): number {
  return (
    collator.compare(a.dimension, b.dimension) ||
    b.points - a.points ||
    collator.compare(a.flowName, b.flowName) ||
    collator.compare(a.criterion, b.criterion) ||
    collator.compare(a.nodeId, b.nodeId)
  )
}

export function buildRows(rules: ScoringRule[]): MatrixRow[] {
  // One node can score along several paths (two triggers, two branches):
  // number repeated keys so React keys stay unique.
  const seen = new Map<string, number>()
  return rules
    .map((rule) => {
      const row = toRow(rule)
      const n = seen.get(row.key) ?? 0
      seen.set(row.key, n + 1)
      return n ? { ...row, key: `${row.key}\u0000${n}` } : row
    })
    .sort(compareRows)
}

export interface MatrixFilter {
  text: string
  // '' = every dimension.
  dimension: string
}

export function filterRows(rows: MatrixRow[], f: MatrixFilter): MatrixRow[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean)
  return rows.filter((r) => {
    if (f.dimension && r.dimension !== f.dimension) return false
    const hay = `${r.criterion}\n${r.flowName}`.toLowerCase()
    return words.every((w) => hay.includes(w))
  })
}

// groupRows splits sorted rows into consecutive dimension groups.
export function groupRows(rows: MatrixRow[]): DimensionGroup[] {
  const groups: DimensionGroup[] = []
  for (const r of rows) {
    let g = groups[groups.length - 1]
    if (!g || g.dimension !== r.dimension) {
      g = { dimension: r.dimension, rows: [], maxPositive: 0 }
      groups.push(g)
    }
    g.rows.push(r)
    if (r.points > 0) g.maxPositive += r.points
  }
  return groups
}

export function dimensions(rows: MatrixRow[]): string[] {
  return [...new Set(rows.map((r) => r.dimension))].sort(collator.compare)
}

// formatPoints writes +N or −N (a true minus sign, as a sheet would).
export function formatPoints(n: number): string {
  if (n > 0) return `+${n}`
  if (n < 0) return `\u2212${Math.abs(n)}`
  return '0'
}

export function nodeLink(r: MatrixRow): string {
  return `/flows/${encodeURIComponent(r.flowId)}?node=${encodeURIComponent(r.nodeId)}`
}
