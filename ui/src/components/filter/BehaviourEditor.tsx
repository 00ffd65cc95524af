// A behaviour condition: the contact did EVENT (matching a property filter)
// COUNT times in the last WITHIN.
import { useId } from 'react'
import { useFilterContext } from './context'
import { WELL_KNOWN_EVENTS } from './fields'
import FilterTree from './FilterTree'
import LeafChrome from './LeafChrome'
import type { BehaviourNode, FilterNode } from './model'
import { DurationInput, NumberInput } from './ValueInput'

interface Props {
  node: BehaviourNode
  onChange: (node: FilterNode) => void
  onRemove: () => void
}

// Count ops as words; none chosen means the engine's default, at least once.
const COUNT_OPS: [string, string][] = [
  ['', 'at least once'],
  ['gte', 'at least'],
  ['gt', 'more than'],
  ['eq', 'exactly'],
  ['neq', 'not exactly'],
  ['lte', 'at most'],
  ['lt', 'fewer than'],
]

export default function BehaviourEditor({ node, onChange, onRemove }: Props) {
  const { catalog } = useFilterContext()
  const list = useId()
  const events = [...new Set([...(catalog?.event_types ?? []), ...WELL_KNOWN_EVENTS])].sort()
  const countOp = node.count?.op ?? ''
  const showWhere = node.where !== undefined || !!node.showWhere
  const where = showWhere ? (
    <div className="fb-where">
      <span className="fb-where-label">where the event's properties match</span>
      <FilterTree
        nested
        scope="event"
        catalog={catalog}
        value={node.where}
        onChange={(w) => {
          const next: BehaviourNode = { ...node, showWhere: true }
          if (w === undefined) delete next.where
          else next.where = w
          onChange(next)
        }}
      />
    </div>
  ) : undefined
  return (
    <LeafChrome node={node} onChange={onChange} onRemove={onRemove} testId="filter-behaviour" below={where}>
      <span className="fb-word">did</span>
      <input
        className="fb-event"
        data-testid="filter-event"
        aria-label="Event type"
        placeholder="event type"
        list={list}
        value={node.event}
        onChange={(e) => onChange({ ...node, event: e.target.value })}
      />
      <datalist id={list}>
        {events.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <select
        className="fb-count-op"
        data-testid="filter-count-op"
        aria-label="How many times"
        value={countOp}
        onChange={(e) => {
          const op = e.target.value
          const next: BehaviourNode = { ...node }
          if (op === '') delete next.count
          else next.count = { op, value: node.count?.value ?? 1 }
          onChange(next)
        }}
      >
        {COUNT_OPS.map(([op, label]) => (
          <option key={op} value={op}>
            {label}
          </option>
        ))}
        {!COUNT_OPS.some(([op]) => op === countOp) && <option value={countOp}>{countOp}</option>}
      </select>
      {node.count && (
        <>
          <NumberInput
            testId="filter-count-value"
            label="Count"
            value={node.count.value}
            onChange={(value) => onChange({ ...node, count: { op: node.count!.op, value } })}
          />
          <span className="fb-word">times</span>
        </>
      )}
      <span className="fb-word">in the last</span>
      <DurationInput
        testId="filter-within"
        label="Within"
        placeholder="any time"
        value={node.within}
        onChange={(v) => {
          const next: BehaviourNode = { ...node }
          if (v === '') delete next.within
          else next.within = v as string
          onChange(next)
        }}
      />
      {!showWhere && (
        <button type="button" className="link fb-add-where" data-testid="filter-add-where" onClick={() => onChange({ ...node, showWhere: true })}>
          + property filter
        </button>
      )}
    </LeafChrome>
  )
}
