// A group of conditions ("all of", "any of", negated or not) and the
// dispatch of each child to its editor.
import BehaviourEditor from './BehaviourEditor'
import { useFilterContext } from './context'
import FieldLeafEditor from './FieldLeafEditor'
import { NotToggle, RemoveButton } from './LeafChrome'
import { newBehaviourNode, newFieldNode, newGroupNode, nodeToJSON, rawNode, type FilterNode, type GroupNode } from './model'
import RawEditor from './RawEditor'

interface GroupProps {
  node: GroupNode
  onChange: (node: FilterNode) => void
  // Absent on the root, which cannot be removed.
  onRemove?: () => void
}

const KINDS: [string, string][] = [
  ['all', 'all of'],
  ['any', 'any of'],
]

export default function GroupEditor({ node, onChange, onRemove }: GroupProps) {
  const { scope, prefix } = useFilterContext()
  const isRoot = !onRemove
  // The root of a filter that is one bare condition (or none) shows no group
  // frame: "all of" one thing is noise. A second condition brings it in.
  const frameless = isRoot && !node.explicit && !node.negated && node.children.length <= 1
  const ids = isRoot
    ? { condition: `${prefix}-add-condition`, behaviour: `${prefix}-add-behaviour`, group: `${prefix}-add-group` }
    : { condition: 'filter-group-add-condition', behaviour: 'filter-group-add-behaviour', group: 'filter-group-add-group' }

  const setChildren = (children: FilterNode[]) => onChange({ ...node, children })
  const add = (child: FilterNode) => setChildren([...node.children, child])

  const children = node.children.map((c, i) => (
    <NodeEditor
      key={c.id}
      node={c}
      onChange={(next) => setChildren(node.children.map((x, j) => (j === i ? next : x)))}
      onRemove={() => {
        const rest = node.children.filter((_, j) => j !== i)
        // Removing down to one condition at the root unwraps it again.
        onChange(isRoot ? { ...node, children: rest, explicit: false } : { ...node, children: rest })
      }}
    />
  ))

  const buttons = (
    <div className="fb-add row">
      <button type="button" data-testid={ids.condition} onClick={() => add(newFieldNode(scope))}>
        + Condition
      </button>
      {scope === 'contact' && (
        <button type="button" data-testid={ids.behaviour} onClick={() => add(newBehaviourNode())}>
          + Did event
        </button>
      )}
      <button type="button" data-testid={ids.group} onClick={() => add(newGroupNode(node.op, scope))}>
        + Group
      </button>
    </div>
  )

  if (frameless) {
    return (
      <div className="fb-root">
        {node.children.length === 0 && (
          <div className="fb-empty muted">No conditions: every {scope === 'contact' ? 'contact' : 'event'} matches.</div>
        )}
        {children}
        {buttons}
      </div>
    )
  }

  return (
    <div className={'fb-group' + (node.negated ? ' fb-negated' : '') + (isRoot ? ' fb-root' : '')} data-testid={isRoot ? undefined : 'filter-group'}>
      <div className="fb-row fb-group-head">
        <NotToggle negated={node.negated} onChange={(negated) => onChange({ ...node, negated })} />
        <select
          className="fb-group-kind"
          data-testid="filter-group-kind"
          aria-label="Group kind"
          value={node.op}
          onChange={(e) => onChange({ ...node, op: e.target.value as 'all' | 'any', explicit: true })}
        >
          {KINDS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
        <span className="muted small">{groupHint(node)}</span>
        <span className="spacer" />
        {!isRoot && (
          <>
            <button
              type="button"
              className="link small"
              data-testid="filter-group-json"
              title="Edit this group as JSON"
              onClick={() => onChange({ ...rawNode(nodeToJSON(node)), id: node.id })}
            >
              JSON
            </button>
            <RemoveButton onRemove={onRemove!} label="Remove group" />
          </>
        )}
      </div>
      <div className="fb-children">
        {node.children.length === 0 && <div className="fb-empty muted small">Empty group: {node.op === 'all' ? 'always true' : 'never true'}.</div>}
        {children}
      </div>
      {buttons}
    </div>
  )
}

function groupHint(node: GroupNode): string {
  if (!node.negated) return node.op === 'all' ? 'every condition must hold' : 'at least one condition must hold'
  return node.op === 'all' ? 'not every condition may hold' : 'no condition may hold'
}

function NodeEditor({ node, onChange, onRemove }: { node: FilterNode; onChange: (n: FilterNode) => void; onRemove: () => void }) {
  switch (node.kind) {
    case 'group':
      return <GroupEditor node={node} onChange={onChange} onRemove={onRemove} />
    case 'field':
      return <FieldLeafEditor node={node} onChange={onChange} onRemove={onRemove} />
    case 'behaviour':
      return <BehaviourEditor node={node} onChange={onChange} onRemove={onRemove} />
    case 'raw':
      return <RawEditor node={node} onChange={onChange} onRemove={onRemove} />
  }
}
