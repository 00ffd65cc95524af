// The value of a field condition, shaped by the op (none, a duration, a
// list, one value) and the field's kind (number, choice, yes/no, text).
import { useId } from 'react'
import {
  joinList,
  parseNumberText,
  splitList,
  typedValue,
  valueMode,
  valueTypeOf,
  type FieldInfo,
  type Option,
} from './fields'
import type { FieldNode, ValueType } from './model'
import { useTextFor } from './useTextFor'

interface Props {
  node: FieldNode
  info: FieldInfo
  onChange: (node: FieldNode) => void
}

const DURATIONS = ['1d', '7d', '14d', '30d', '60d', '90d', '24h']

export default function ValueInput({ node, info, onChange }: Props) {
  const mode = valueMode(node.op)
  const type = valueTypeOf(node, info.kind)
  const set = (value: unknown) => onChange({ ...node, value })
  if (mode === 'none') return null
  if (mode === 'duration') return <DurationInput value={node.value} onChange={set} testId="filter-value" label="Duration" />
  const typeSelect = info.kind === 'any' && (
    <ValueTypeSelect
      type={type}
      allowBoolean={!['gt', 'gte', 'lt', 'lte'].includes(node.op)}
      onChange={(t) => onChange({ ...node, valueType: t, value: convert(node.value, t) })}
    />
  )
  if (mode === 'list') {
    if (info.kind === 'enum' && info.options) return <ChoiceList options={info.options} value={node.value} onChange={set} />
    return (
      <>
        {typeSelect}
        <ListInput value={node.value} type={type} onChange={set} />
      </>
    )
  }
  switch (info.kind) {
    case 'enum':
    case 'segments':
      return <ChoiceSelect options={info.options ?? []} value={node.value} onChange={set} />
    case 'bool':
      return <BoolSelect value={node.value} onChange={set} />
    case 'tags':
      return <TextInput value={node.value} onChange={set} suggestions={info.suggestions} placeholder="tag" />
    case 'text':
      return <TextInput value={node.value} onChange={set} suggestions={info.suggestions} placeholder="value" />
    case 'number':
      return <NumberInput value={node.value} onChange={set} />
    case 'time':
      return <TextInput value={node.value} onChange={set} placeholder="2026-01-31T09:00:00Z" />
  }
  return (
    <>
      {typeSelect}
      {type === 'number' ? (
        <NumberInput value={node.value} onChange={set} />
      ) : type === 'boolean' ? (
        <BoolSelect value={node.value} onChange={set} />
      ) : (
        <TextInput value={node.value} onChange={set} placeholder="value" />
      )}
    </>
  )
}

// convert rewrites a value (or each item of a list) into another type.
function convert(value: unknown, type: ValueType): unknown {
  const one = (v: unknown) => {
    if (type === 'number') return typeof v === 'number' ? v : parseNumberText(String(v ?? ''))
    if (type === 'boolean') return v === true || v === 'true'
    return v === undefined || v === null ? '' : String(v)
  }
  return Array.isArray(value) ? value.map(one) : one(value)
}

function ValueTypeSelect({ type, allowBoolean, onChange }: { type: ValueType; allowBoolean: boolean; onChange: (t: ValueType) => void }) {
  return (
    <select
      className="fb-type"
      data-testid="filter-value-type"
      aria-label="Value type"
      title={'The engine compares text and numbers differently: "25" is not 25'}
      value={type}
      onChange={(e) => onChange(e.target.value as ValueType)}
    >
      <option value="text">text</option>
      <option value="number">number</option>
      {(allowBoolean || type === 'boolean') && <option value="boolean">yes/no</option>}
    </select>
  )
}

const show = (v: unknown) => (v === undefined || v === null ? '' : String(v))

function TextInput({ value, onChange, placeholder, suggestions }: { value: unknown; onChange: (v: unknown) => void; placeholder?: string; suggestions?: string[] }) {
  const list = useId()
  return (
    <>
      <input
        className="fb-value"
        data-testid="filter-value"
        aria-label="Value"
        placeholder={placeholder}
        list={suggestions?.length ? list : undefined}
        value={show(value)}
        onChange={(e) => onChange(e.target.value)}
      />
      {!!suggestions?.length && (
        <datalist id={list}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </>
  )
}

export function NumberInput({ value, onChange, testId = 'filter-value', label = 'Value' }: { value: unknown; onChange: (v: unknown) => void; testId?: string; label?: string }) {
  const [text, onText] = useTextFor(value, show, parseNumberText)
  const invalid = text.trim() !== '' && typeof parseNumberText(text) !== 'number'
  return (
    <input
      className={'fb-value fb-number' + (invalid || text.trim() === '' ? ' fb-invalid' : '')}
      data-testid={testId}
      aria-label={label}
      aria-invalid={invalid}
      inputMode="decimal"
      value={text}
      onChange={(e) => onChange(onText(e.target.value))}
    />
  )
}

export function DurationInput({ value, onChange, testId, label, placeholder = '30d' }: { value: unknown; onChange: (v: unknown) => void; testId: string; label: string; placeholder?: string }) {
  const list = useId()
  const text = show(value)
  const invalid = text !== '' && !/^\s*(\d+(\.\d+)?d|(\d+(\.\d+)?(h|m|s|ms))+)\s*$/.test(text)
  return (
    <>
      <input
        className={'fb-value fb-duration' + (invalid ? ' fb-invalid' : '')}
        data-testid={testId}
        aria-label={label}
        aria-invalid={invalid}
        title="A span such as 30m, 72h or 60d"
        placeholder={placeholder}
        list={list}
        value={text}
        onChange={(e) => onChange(e.target.value)}
      />
      <datalist id={list}>
        {DURATIONS.map((d) => (
          <option key={d} value={d} />
        ))}
      </datalist>
    </>
  )
}

function BoolSelect({ value, onChange }: { value: unknown; onChange: (v: unknown) => void }) {
  const current = show(value)
  return (
    <select className="fb-value" data-testid="filter-value" aria-label="Value" value={current} onChange={(e) => onChange(e.target.value === 'true')}>
      <option value="true">yes</option>
      <option value="false">no</option>
      {current !== 'true' && current !== 'false' && <option value={current}>{current || '—'}</option>}
    </select>
  )
}

function ChoiceSelect({ options, value, onChange }: { options: Option[]; value: unknown; onChange: (v: unknown) => void }) {
  const current = show(value)
  const known = options.some((o) => o.value === current)
  return (
    <select className="fb-value" data-testid="filter-value" aria-label="Value" value={current} onChange={(e) => onChange(e.target.value)}>
      {!known && <option value={current}>{current || 'choose…'}</option>}
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  )
}

// ChoiceList edits the list of in/nin on a field with known choices (grade,
// deal stage) as checkboxes, in the order of the choices.
function ChoiceList({ options, value, onChange }: { options: Option[]; value: unknown; onChange: (v: unknown) => void }) {
  const chosen = Array.isArray(value) ? value.map(String) : []
  const all = [...options, ...chosen.filter((c) => !options.some((o) => o.value === c)).map((c) => ({ value: c, label: c }))]
  const toggle = (v: string, on: boolean) => {
    const next = on ? all.map((o) => o.value).filter((o) => o === v || chosen.includes(o)) : chosen.filter((c) => c !== v)
    onChange(next)
  }
  return (
    <span className="fb-choices" data-testid="filter-value" role="group" aria-label="Values">
      {all.map((o) => (
        <label key={o.value} className="fb-choice">
          <input type="checkbox" checked={chosen.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} />
          {o.label}
        </label>
      ))}
    </span>
  )
}

function ListInput({ value, type, onChange }: { value: unknown; type: ValueType; onChange: (v: unknown) => void }) {
  const format = (v: unknown) => (Array.isArray(v) ? joinList(v) : show(v))
  const parse = (t: string) => splitList(t).map((s) => typedValue(s, type))
  const [text, onText] = useTextFor(value, format, parse)
  const items = Array.isArray(value) ? value : []
  const bad = type === 'number' && items.some((x) => typeof x !== 'number')
  return (
    <input
      className={'fb-value fb-list' + (bad ? ' fb-invalid' : '')}
      data-testid="filter-value"
      aria-label="Values, comma separated"
      aria-invalid={bad}
      title={'Comma separated; quote an item holding a comma: "a, b"'}
      placeholder={type === 'number' ? '1, 2, 3' : 'a, b, c'}
      value={text}
      onChange={(e) => onChange(onText(e.target.value))}
    />
  )
}
