// A field condition: field, op, value.
import { useFilterContext } from './context'
import FieldPicker from './FieldPicker'
import { DEFAULT_WITHIN, fieldInfo, opLabel, opsFor, retarget } from './fields'
import LeafChrome from './LeafChrome'
import type { FieldNode, FilterNode } from './model'
import ValueInput, { DurationInput } from './ValueInput'

interface Props {
  node: FieldNode
  onChange: (node: FilterNode) => void
  onRemove: () => void
}

export default function FieldLeafEditor({ node, onChange, onRemove }: Props) {
  const { scope, catalog } = useFilterContext()
  const info = fieldInfo(node.field, scope, catalog)
  return (
    <LeafChrome node={node} onChange={onChange} onRemove={onRemove} testId="filter-condition">
      <FieldPicker field={node.field} onChange={(field) => onChange(retarget(node, field, node.op, scope, catalog))} />
      <select
        className="fb-op"
        data-testid="filter-op"
        aria-label="Operator"
        value={node.op}
        onChange={(e) => onChange(retarget(node, node.field, e.target.value, scope, catalog))}
      >
        {opsFor(info, node.op).map((op) => (
          <option key={op} value={op}>
            {opLabel(op, info.kind)}
          </option>
        ))}
      </select>
      <ValueInput node={node} info={info} onChange={onChange} />
      {(info.window || node.within !== undefined) && (
        <>
          <span className="fb-word">in the last</span>
          <DurationInput
            testId="filter-within"
            label="Within"
            placeholder={DEFAULT_WITHIN}
            value={node.within}
            onChange={(v) => onChange({ ...node, within: v as string })}
          />
        </>
      )}
    </LeafChrome>
  )
}
