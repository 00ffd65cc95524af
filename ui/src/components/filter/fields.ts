// What the editor knows of fields: their kind (which decides the operators
// offered and the value input), operator labels and the conversion of typed
// text into JSON values. Which contact fields exist, and their types, come
// from the server's table (contactFields.ts).
import type { Catalog, ContactFieldInfo } from '../../types'
import { contactFieldRows, findContactField } from './contactFields'
import { DURATION_OPS, LIST_OPS, NO_VALUE_OPS, type FieldNode, type Scope, type ValueType } from './model'

// Catalog as the editor reads it: GET /api/v1/catalog does not list grades
// (yet); when a caller has them (from settings) they are used.
export type FilterCatalog = Catalog & { grades?: string[] }

// The kinds of field, by the value input they take: 'enum' is text with
// known choices, 'text' text without; 'segments' is a list holding known
// choices, 'tags' one holding free text.
export type FieldKind = 'number' | 'enum' | 'text' | 'tags' | 'segments' | 'bool' | 'time' | 'any'

export interface Option {
  value: string
  label: string
  // Shown on hover: the field's doc line.
  title?: string
}

export interface FieldInfo {
  kind: FieldKind
  ops: string[]
  // Choices of the value for enum and segment fields.
  options?: Option[]
  // Suggestions (datalist) for free-text values, e.g. known tags.
  suggestions?: string[]
  // The condition takes a window ("within"), as score_change does.
  window?: boolean
}

// Grades of the default settings, offered when the catalog names none.
const DEFAULT_GRADES = ['cold', 'warm', 'hot']

const NUMBER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'not_exists']
// A number summed over a window (score_change) is always there and takes
// comparisons only.
const WINDOW_OPS = ['gte', 'gt', 'lte', 'lt', 'eq', 'neq']
// The window a condition on such a field starts with.
export const DEFAULT_WITHIN = '7d'
const ENUM_OPS = ['eq', 'neq', 'in', 'nin']
const SET_OPS = ['contains', 'not_contains']
const TIME_OPS = ['older_than', 'newer_than', 'gt', 'lt']
// Untyped fields may hold text, numbers, times or lists: every op applies.
const ANY_OPS = ['eq', 'neq', 'in', 'nin', 'contains', 'not_contains', 'starts_with', 'ends_with',
  'gt', 'gte', 'lt', 'lte', 'older_than', 'newer_than', 'exists', 'not_exists']

// Event properties worth suggesting; any name may be typed.
export const EVENT_PROPERTIES = ['url', 'title', 'referrer', 'email', 'link', 'form', 'plan']

export const WELL_KNOWN_EVENTS = ['page_visited', 'email_opened', 'email_clicked', 'email_replied',
  'email_unsubscribed', 'email_bounced', 'form_submitted', 'identify']

// Where the values of a field come from, keyed by name: the choices of
// grade, deal_stage and segments, the known tags. The kind and the ops
// follow from the field's type; these only fill in the values.
type Values = { options?: Option[]; suggestions?: string[] }
// A Map, not an object: a server field named like an Object.prototype
// member ("constructor") must find nothing.
const VALUE_SOURCES = new Map<string, (c?: FilterCatalog) => Values>([
  ['grade', (c) => ({ options: toOptions(c?.grades?.length ? c.grades : DEFAULT_GRADES) })],
  ['deal_stage', (c) => ({ options: toOptions(c?.stages ?? []) })],
  ['segments', (c) => ({ options: (c?.segments ?? []).map((s) => ({ value: s.id, label: s.name || s.id })) })],
  ['tags', (c) => ({ suggestions: c?.tags ?? [] })],
])

export function fieldInfo(field: string, scope: Scope, catalog?: FilterCatalog): FieldInfo {
  if (scope === 'event') return { kind: 'any', ops: ANY_OPS }
  const row = findContactField(field, contactFieldRows(catalog))
  // A name the table does not know (hand-written JSON) may hold anything.
  return row ? rowInfo(row, catalog) : { kind: 'any', ops: ANY_OPS }
}

function rowInfo(row: ContactFieldInfo, catalog?: FilterCatalog): FieldInfo {
  const { options, suggestions } = VALUE_SOURCES.get(row.name)?.(catalog) ?? {}
  switch (row.type) {
    case 'number':
      return row.window ? { kind: 'number', ops: WINDOW_OPS, window: true } : { kind: 'number', ops: NUMBER_OPS }
    case 'text':
      return options ? { kind: 'enum', ops: ENUM_OPS, options } : { kind: 'text', ops: ENUM_OPS, suggestions }
    case 'text_list':
      return options ? { kind: 'segments', ops: SET_OPS, options } : { kind: 'tags', ops: SET_OPS, suggestions: suggestions ?? [] }
    case 'bool':
      return { kind: 'bool', ops: ['eq'] }
    case 'time':
      // An optional time (last_activity_at is null until the first event):
      // "never active" is a question.
      return { kind: 'time', ops: row.optional ? [...TIME_OPS, 'exists', 'not_exists'] : TIME_OPS }
  }
  // 'any', and a type newer than this UI.
  return { kind: 'any', ops: ANY_OPS }
}

const toOptions = (names: string[]): Option[] => names.map((n) => ({ value: n, label: n }))

// opsFor lists the ops offered for a field, keeping an op the JSON already
// has even when it does not fit, so opening a filter never rewrites it.
export function opsFor(info: FieldInfo, current: string): string[] {
  return !current || info.ops.includes(current) ? info.ops : [...info.ops, current]
}

const OP_LABELS: Record<string, string> = {
  eq: 'is', neq: 'is not', gt: 'greater than', gte: 'at least', lt: 'less than', lte: 'at most',
  in: 'is one of', nin: 'is none of', contains: 'contains', not_contains: 'does not contain',
  starts_with: 'starts with', ends_with: 'ends with', exists: 'is set', not_exists: 'is not set',
  older_than: 'is older than', newer_than: 'is within the last',
}

export function opLabel(op: string, kind: FieldKind): string {
  if (kind === 'time' && op === 'gt') return 'is after'
  if (kind === 'time' && op === 'lt') return 'is before'
  if (kind === 'number' && op === 'eq') return 'equals'
  if (kind === 'number' && op === 'neq') return 'does not equal'
  return OP_LABELS[op] ?? op
}

export type ValueMode = 'none' | 'duration' | 'list' | 'scalar'

export function valueMode(op: string): ValueMode {
  if (NO_VALUE_OPS.includes(op)) return 'none'
  if (DURATION_OPS.includes(op)) return 'duration'
  if (LIST_OPS.includes(op)) return 'list'
  return 'scalar'
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/

// parseNumberText reads typed text as a number when it is one; otherwise the
// text stays as typed, so the server's validation can point at it.
export function parseNumberText(text: string): number | string {
  const t = text.trim()
  return NUMBER_RE.test(t) ? Number(t) : text
}

export function typedValue(text: string, type: ValueType): unknown {
  if (type === 'number') return parseNumberText(text)
  if (type === 'boolean') return text === 'true'
  return text
}

export function inferValueType(value: unknown): ValueType {
  const v = Array.isArray(value) ? value[0] : value
  if (typeof v === 'number') return 'number'
  if (typeof v === 'boolean') return 'boolean'
  return 'text'
}

// The value type a field's values are written as.
export function valueTypeOf(node: FieldNode, kind: FieldKind): ValueType {
  switch (kind) {
    case 'number':
      return 'number'
    case 'bool':
      return 'boolean'
    case 'any':
      return node.valueType ?? inferValueType(node.value)
  }
  return 'text'
}

// defaultValue is what a value input starts with for a field and op.
export function defaultValue(info: FieldInfo, op: string, type: ValueType): unknown {
  switch (valueMode(op)) {
    case 'none':
      return undefined
    case 'duration':
      return '30d'
    case 'list':
      return []
  }
  if (info.kind === 'enum' || info.kind === 'segments') return info.options?.[0]?.value ?? ''
  if (type === 'number') return 0
  if (type === 'boolean') return true
  return ''
}

// retarget changes a field condition's field and/or op, keeping as much of
// the value as still fits: a scalar becomes a one-item list and back, and a
// value moved to a field of another kind is kept when it is valid there
// ("50" becomes 50 on a score, "mql" stays on deal_stage). A field of
// another kind keeps a generic op it offers (is, is one of, contains, is
// set…), else starts from its first op: "score at least 0" moved to an
// attribute becomes "is", not "at least".
export function retarget(node: FieldNode, field: string, op: string, scope: Scope, catalog?: FilterCatalog): FieldNode {
  const before = fieldInfo(node.field, scope, catalog)
  const info = fieldInfo(field, scope, catalog)
  const sameKind = before.kind === info.kind
  const keepOp = field === node.field || (sameKind ? info.ops.includes(op) : GENERIC_OPS.includes(op) && info.ops.includes(op))
  const nextOp = keepOp ? op : info.ops[0]
  const type: ValueType = sameKind ? valueTypeOf(node, before.kind) : info.kind === 'number' ? 'number' : info.kind === 'bool' ? 'boolean' : 'text'
  const from = valueMode(node.op)
  const to = valueMode(nextOp)
  let kept: unknown
  if (to !== 'none' && node.value !== undefined) {
    const old = node.value
    if (to === from) kept = old
    else if (to === 'list' && from === 'scalar' && old !== '') kept = [old]
    else if (to === 'scalar' && from === 'list' && Array.isArray(old) && old.length > 0) kept = old[0]
    if (kept !== undefined && !sameKind) kept = fitValue(kept, info, to)
  }
  const value = kept !== undefined ? kept : defaultValue(info, nextOp, type)
  const next: FieldNode = { ...node, field, op: nextOp, value, valueType: info.kind === 'any' ? type : undefined }
  if (value === undefined) delete next.value
  if (next.valueType === undefined) delete next.valueType
  // A window goes with the fields that take one, and only with them.
  if (info.window) next.within = node.within ?? DEFAULT_WITHIN
  else delete next.within
  return next
}

const GENERIC_OPS = ['eq', 'neq', 'in', 'nin', 'contains', 'not_contains', 'exists', 'not_exists']

// fitValue returns v made valid for a field of another kind, or undefined
// when it has no place there.
function fitValue(v: unknown, info: FieldInfo, mode: ValueMode): unknown {
  if (Array.isArray(v)) {
    const items = v.map((x) => fitValue(x, info, 'scalar'))
    return items.every((x) => x !== undefined) ? items : undefined
  }
  if (mode === 'duration') return typeof v === 'string' ? v : undefined
  switch (info.kind) {
    case 'number': {
      const n = typeof v === 'string' ? parseNumberText(v) : v
      return typeof n === 'number' ? n : undefined
    }
    case 'bool':
      return typeof v === 'boolean' ? v : undefined
    case 'enum':
    case 'segments':
      return info.options?.some((o) => o.value === v) ? v : undefined
  }
  // Text fields (tags, times, attributes) take text only: a number typed
  // for a score is no value for an attribute.
  return typeof v === 'string' ? v : undefined
}

// Lists are typed as comma-separated text; an item holding a comma or a
// quote is written in double quotes ("a, b"), with "" for a quote inside.
export function splitList(text: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  let wasQuoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"'
        i++
      } else if (ch === '"') quoted = false
      else cur += ch
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true
      wasQuoted = true
      cur = ''
    } else if (ch === ',') {
      push()
    } else if (!(wasQuoted && /\s/.test(ch))) {
      // Text after a closing quote is kept; blanks before the comma are not.
      cur += ch
    }
  }
  push()
  return out

  function push() {
    const item = wasQuoted ? cur : cur.trim()
    if (item !== '' || wasQuoted) out.push(item)
    cur = ''
    wasQuoted = false
  }
}

export function joinList(items: unknown[]): string {
  return items
    .map((x) => {
      const s = String(x)
      return /[",]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
    })
    .join(', ')
}
