// The controls every condition row shares: its kind, NOT, remove.
import type { ReactNode } from 'react'
import { useFilterContext } from './context'
import { convertLeaf, type FilterNode, type LeafNode } from './model'

interface Props {
  node: LeafNode
  onChange: (node: FilterNode) => void
  onRemove: () => void
  testId: string
  children: ReactNode
  // Shown under the row (a behaviour's property filter).
  below?: ReactNode
}

export default function LeafChrome({ node, onChange, onRemove, testId, children, below }: Props) {
  const { scope } = useFilterContext()
  return (
    <div className={'fb-leaf fb-leaf-' + node.kind} data-testid={testId}>
      <div className="fb-leaf-row">
        <select
          className="fb-kind"
          data-testid="filter-leaf-kind"
          aria-label="Condition kind"
          value={node.kind}
          onChange={(e) => onChange(convertLeaf(node, e.target.value as LeafNode['kind'], scope))}
        >
          <option value="field">{scope === 'event' ? 'Property' : 'Field'}</option>
          {scope === 'contact' && <option value="behaviour">Did event</option>}
          <option value="raw">JSON</option>
        </select>
        {node.kind !== 'raw' ? <NotToggle negated={node.negated} onChange={(negated) => onChange({ ...node, negated })} /> : <span />}
        {/* The inputs wrap inside here; kind, NOT and remove keep their place. */}
        <div className="fb-main">{children}</div>
        <RemoveButton onRemove={onRemove} label="Remove condition" />
      </div>
      {below}
    </div>
  )
}

export function NotToggle({ negated, onChange }: { negated: boolean; onChange: (negated: boolean) => void }) {
  return (
    <button
      type="button"
      className={'fb-not' + (negated ? ' on' : '')}
      data-testid="filter-not"
      aria-pressed={negated}
      title={negated ? 'Negated: matches when the condition does not hold' : 'Negate this condition'}
      onClick={() => onChange(!negated)}
    >
      NOT
    </button>
  )
}

export function RemoveButton({ onRemove, label }: { onRemove: () => void; label: string }) {
  return (
    <button type="button" className="fb-remove" data-testid="filter-remove" aria-label={label} title={label} onClick={onRemove}>
      ×
    </button>
  )
}
