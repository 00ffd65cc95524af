// SpecForm edits a node's config from its type's spec (GET /api/v1/node-types):
// one labelled control per field, chosen by the field's type, enum and picker.
// Every label's text is the field's name, so people, screen readers and tests
// find a control by the name the JSON document uses.
import { useState, type ReactNode } from 'react'
import type { Catalog, FieldSpec, Filter, NodeTypeSpec } from '../types'
import FilterBuilder from './FilterBuilder'
import './canvas/canvas.css'

export interface SpecFormProps {
  spec: NodeTypeSpec
  value: Record<string, unknown>
  onChange: (next: Record<string, unknown>) => void
  // Field name → message, such as validation errors from the backend.
  errors?: Record<string, string>
  catalog?: Catalog
  // Prefix of the controls' ids, when more than one form is on a page.
  idPrefix?: string
}

export default function SpecForm({ spec, value, onChange, errors = {}, catalog, idPrefix = 'cfg' }: SpecFormProps) {
  // set replaces one field; undefined removes it, so an emptied optional
  // field is absent from the document rather than "".
  const set = (name: string, v: unknown) => {
    const next = { ...value }
    if (v === undefined) delete next[name]
    else next[name] = v
    onChange(next)
  }
  const known = new Set(spec.fields.map((f) => f.name))
  const unknown = Object.keys(value).filter((k) => !known.has(k))
  return (
    <div className="spec-form">
      {spec.fields.length === 0 && <p className="muted small">This step has no settings.</p>}
      {spec.fields.map((f) => (
        <FieldRow key={f.name} field={f} id={`${idPrefix}-${f.name}`} error={errors[f.name]}>
          {(ids) => <Control field={f} ids={ids} value={value[f.name]} set={(v) => set(f.name, v)} catalog={catalog} />}
        </FieldRow>
      ))}
      {unknown.map((k) => (
        <div className="field" key={k}>
          <div className="field-head">
            <span className="field-name mono">{k}</span>
            <button type="button" className="link" onClick={() => set(k, undefined)}>
              Remove
            </button>
          </div>
          <div className="field-error" data-testid={`field-error-${k}`}>
            {errors[k] ?? `is not a field of ${spec.type}`}
          </div>
        </div>
      ))}
    </div>
  )
}

interface ControlIds {
  input: string
  label: string
  // Ids of the help and error texts, for aria-describedby.
  describedBy?: string
  invalid: boolean
}

function FieldRow({ field, id, error, children }: { field: FieldSpec; id: string; error?: string; children: (ids: ControlIds) => ReactNode }) {
  // A control may find its own problem (a malformed duration) before the
  // backend does; the backend's message wins when both exist.
  const helpId = field.description ? `${id}-help` : undefined
  const errId = `${id}-error`
  const ids: ControlIds = {
    input: id,
    label: `${id}-label`,
    describedBy: [helpId, error ? errId : undefined].filter(Boolean).join(' ') || undefined,
    invalid: !!error,
  }
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <div className="field-head">
        <label htmlFor={id} id={ids.label} className="mono">
          {field.name}
        </label>
        {field.required && (
          <span className="required" title="required">
            *<span className="visually-hidden"> required</span>
          </span>
        )}
        <span className="field-type muted small">{field.type}</span>
      </div>
      {children(ids)}
      {error && (
        <div className="field-error" id={errId} data-testid={`field-error-${field.name}`}>
          {error}
        </div>
      )}
      {field.description && (
        <div className="help" id={helpId}>
          {field.description}
        </div>
      )}
    </div>
  )
}

interface ControlProps {
  field: FieldSpec
  ids: ControlIds
  value: unknown
  set: (v: unknown) => void
  catalog?: Catalog
}

function Control(p: ControlProps) {
  const { field, ids, value, set } = p
  const common = {
    id: ids.input,
    'aria-describedby': ids.describedBy,
    'aria-invalid': ids.invalid || undefined,
    'aria-required': field.required || undefined,
  }
  const placeholder = field.default === undefined ? undefined : display(field.default)
  switch (field.type) {
    case 'integer':
    case 'number':
      return <NumberInput {...common} integer={field.type === 'integer'} value={value} placeholder={placeholder} onValue={set} />
    case 'boolean':
      return (
        <input
          {...common}
          type="checkbox"
          checked={value === undefined ? field.default === true : value === true}
          onChange={(e) => set(e.target.checked)}
        />
      )
    case 'duration':
      return <DurationInput {...common} value={value} placeholder={placeholder ?? 'such as 30m, 72h or 60d'} onValue={set} />
    case 'filter':
    case 'event_filter':
      return (
        <div role="group" aria-labelledby={ids.label} aria-describedby={ids.describedBy} className="filter-field">
          <FilterBuilder
            value={value as Filter | undefined}
            onChange={(f) => set(f ?? undefined)}
            scope={field.type === 'filter' ? 'contact' : 'event'}
            catalog={p.catalog}
          />
        </div>
      )
    case 'string_map':
      return <StringMapInput name={field.name} labelId={ids.label} describedBy={ids.describedBy} value={value} onValue={set} />
    case 'any':
      return (
        <DraftInput
          {...common}
          value={value}
          placeholder={placeholder ?? 'text, number, true or false'}
          parse={parseAny}
          format={display}
          onValue={set}
        />
      )
    default:
      return <StringControl {...p} common={common} placeholder={placeholder} />
  }
}

type Common = {
  id: string
  'aria-describedby'?: string
  'aria-invalid'?: boolean
  'aria-required'?: boolean
}

function StringControl({ field, value, set, catalog, common, placeholder }: ControlProps & { common: Common; placeholder?: string }) {
  const v = typeof value === 'string' ? value : value === undefined ? '' : display(value)
  const choose = (s: string) => set(s === '' ? undefined : s)
  const fixed = fixedChoices(field, catalog)
  if (fixed) {
    // Keep a value that is not among the choices (a deleted segment), so
    // opening a node never changes it.
    const options = v && !fixed.some((o) => o.value === v) ? [...fixed, { value: v, label: `${v} (not found)` }] : fixed
    const empty = field.default !== undefined ? `default (${display(field.default)})` : field.required ? 'Choose…' : '(none)'
    return (
      <select {...common} value={v} onChange={(e) => choose(e.target.value)}>
        <option value="" disabled={field.required && field.default === undefined}>
          {empty}
        </option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    )
  }
  const suggestions = suggestionsFor(field, catalog)
  const listId = suggestions ? `${common.id}-options` : undefined
  return (
    <>
      <input {...common} type="text" value={v} placeholder={placeholder} list={listId} onChange={(e) => choose(e.target.value)} />
      {suggestions && (
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </>
  )
}

interface Choice {
  value: string
  label: string
}

// fixedChoices are the closed lists: an enum, the segments, the stages. An
// empty catalog list (the catalog did not load) falls back to free text.
function fixedChoices(f: FieldSpec, catalog?: Catalog): Choice[] | undefined {
  if (f.enum && f.enum.length > 0) return f.enum.map((e) => ({ value: e, label: e }))
  if (f.picker === 'segment' && catalog?.segments?.length) {
    return catalog.segments.map((s) => ({ value: s.id, label: s.name && s.name !== s.id ? `${s.name} (${s.id})` : s.id }))
  }
  if (f.picker === 'stage' && catalog?.stages?.length) return catalog.stages.map((s) => ({ value: s, label: s }))
  return undefined
}

// suggestionsFor are the open lists: known values offered, others allowed.
function suggestionsFor(f: FieldSpec, catalog?: Catalog): string[] | undefined {
  if (!catalog) return undefined
  switch (f.picker) {
    case 'event_type':
      return catalog.event_types
    case 'tag':
      return catalog.tags
    case 'field':
      return catalog.fields
    case 'score':
      return catalog.scores
  }
  return undefined
}

// display writes a value the way the user would type it.
export function display(v: unknown): string {
  if (v === undefined || v === null) return ''
  return typeof v === 'string' ? v : JSON.stringify(v)
}

type Parsed = { ok: true; value: unknown } | { ok: false }

// parseAny reads a value of type any: JSON numbers, booleans, lists and
// objects when the text is one, else the text itself.
export function parseAny(text: string): Parsed {
  if (text.trim() === '') return { ok: true, value: undefined }
  try {
    const v: unknown = JSON.parse(text)
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'object' && v !== null)) return { ok: true, value: v }
  } catch {
    /* not JSON: a string */
  }
  return { ok: true, value: text }
}

export function parseNumber(text: string): Parsed {
  if (text.trim() === '') return { ok: true, value: undefined }
  const n = Number(text)
  return Number.isFinite(n) ? { ok: true, value: n } : { ok: false }
}

// Go-style durations (1h30m, 90s) or days (60d), as model.ParseDuration reads them.
const durationPattern = /^(\d+(\.\d+)?d|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/

export function durationProblem(s: string): string | undefined {
  const t = s.trim()
  if (t === '') return undefined
  if (!durationPattern.test(t)) return 'use a number and a unit, such as 30m, 72h or 60d'
  if (!/[1-9]/.test(t)) return 'must be longer than zero'
  return undefined
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

interface DraftProps extends Common {
  value: unknown
  placeholder?: string
  parse: (text: string) => Parsed
  format: (v: unknown) => string
  onValue: (v: unknown) => void
  type?: string
  step?: number
  problem?: (text: string, parsed: Parsed) => string | undefined
}

// DraftInput keeps what the user typed ("1.0", "-") while the document holds
// its parsed value (1, nothing yet). A value changed from outside (undo,
// another node) replaces the draft.
function DraftInput({ value, parse, format, onValue, problem, ...input }: DraftProps) {
  const [draft, setDraft] = useState(() => ({ text: format(value), value }))
  const text = same(draft.value, value) ? draft.text : format(value)
  const parsed = parse(text)
  const own = problem?.(text, parsed) ?? (parsed.ok ? undefined : 'not a number')
  return (
    <>
      <input
        {...input}
        type={input.type ?? 'text'}
        value={text}
        aria-invalid={input['aria-invalid'] || !!own || undefined}
        onChange={(e) => {
          const p = parse(e.target.value)
          const next = p.ok ? p.value : value
          setDraft({ text: e.target.value, value: next })
          if (p.ok && !same(next, value)) onValue(next)
        }}
      />
      {own && <div className="field-error">{own}</div>}
    </>
  )
}

function NumberInput({ integer, ...p }: Omit<DraftProps, 'parse' | 'format'> & { integer: boolean }) {
  return (
    <DraftInput
      {...p}
      type="number"
      step={integer ? 1 : undefined}
      parse={parseNumber}
      format={display}
      problem={(_, parsed) => (integer && parsed.ok && typeof parsed.value === 'number' && !Number.isInteger(parsed.value) ? 'must be a whole number' : undefined)}
    />
  )
}

function DurationInput({ value, onValue, ...input }: Common & { value: unknown; placeholder?: string; onValue: (v: unknown) => void }) {
  const text = display(value)
  const own = durationProblem(text)
  return (
    <>
      <input
        {...input}
        type="text"
        value={text}
        aria-invalid={input['aria-invalid'] || !!own || undefined}
        onChange={(e) => onValue(e.target.value.trim() === '' ? undefined : e.target.value.trim())}
      />
      {own && <div className="field-error">{own}</div>}
    </>
  )
}

interface Row {
  key: string
  value: string
}

function rowsOf(v: unknown): Row[] {
  if (!v || typeof v !== 'object') return []
  return Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key, value: display(value) }))
}

// mapOf turns rows into the stored object; rows without a name are still
// being typed and left out, and no rows at all is no field.
function mapOf(rows: Row[]): Record<string, string> | undefined {
  const named = rows.filter((r) => r.key.trim() !== '')
  if (named.length === 0) return undefined
  return Object.fromEntries(named.map((r) => [r.key.trim(), r.value]))
}

function StringMapInput({ name, labelId, describedBy, value, onValue }: { name: string; labelId: string; describedBy?: string; value: unknown; onValue: (v: unknown) => void }) {
  const [state, setState] = useState(() => ({ rows: rowsOf(value), value }))
  // Rows are kept while they match the document; a change from outside
  // (undo) shows the document's rows instead.
  const rows = same(state.value, value) ? state.rows : rowsOf(value)
  const update = (next: Row[]) => {
    const m = mapOf(next)
    setState({ rows: next, value: m })
    if (!same(m, value)) onValue(m)
  }
  return (
    <div role="group" aria-labelledby={labelId} aria-describedby={describedBy} className="string-map">
      {rows.map((r, i) => (
        <div className="row string-map-row" key={i}>
          <input
            type="text"
            aria-label={`${name} name ${i + 1}`}
            placeholder="name"
            value={r.key}
            onChange={(e) => update(rows.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))}
          />
          <input
            type="text"
            aria-label={`${name} value ${i + 1}`}
            placeholder="value"
            value={r.value}
            onChange={(e) => update(rows.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
          />
          <button type="button" aria-label={`Remove ${name} ${i + 1}`} onClick={() => update(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" onClick={() => update([...rows, { key: '', value: '' }])}>
        Add {name} entry
      </button>
    </div>
  )
}
