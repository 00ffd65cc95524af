// A condition kept as JSON: what the form cannot show (hand-written shapes)
// or what the user chose to write by hand. Nothing in it is lost.
import LeafChrome from './LeafChrome'
import { useFilterContext } from './context'
import { parseNode, type FilterNode, type RawNode } from './model'

interface Props {
  node: RawNode
  onChange: (node: FilterNode) => void
  onRemove: () => void
}

export default function RawEditor({ node, onChange, onRemove }: Props) {
  const { scope } = useFilterContext()
  const parsed = node.error ? undefined : parseNode(node.value, scope)
  const rows = Math.min(12, Math.max(2, node.text.split('\n').length))
  return (
    <LeafChrome node={node} onChange={onChange} onRemove={onRemove} testId="filter-json">
      <div className="fb-json">
        <textarea
          data-testid="filter-json-text"
          aria-label="Condition as JSON"
          aria-invalid={!!node.error}
          spellCheck={false}
          rows={rows}
          value={node.text}
          onChange={(e) => {
            const text = e.target.value
            try {
              onChange({ ...node, text, value: JSON.parse(text), error: undefined })
            } catch (err) {
              // Keep the last valid JSON in the filter while the text is being fixed.
              onChange({ ...node, text, error: (err as Error).message })
            }
          }}
        />
        {node.error ? (
          <div className="field-error">Not valid JSON, not applied: {node.error}</div>
        ) : parsed && parsed.kind !== 'raw' ? (
          <button type="button" className="link small" data-testid="filter-json-form" onClick={() => onChange({ ...parsed, id: node.id })}>
            Edit as form
          </button>
        ) : (
          <div className="help">The form cannot show this condition; it is kept exactly as written.</div>
        )}
      </div>
    </LeafChrome>
  )
}
