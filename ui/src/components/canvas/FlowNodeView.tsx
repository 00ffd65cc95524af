// The node drawn on the canvas: kind colour, title, a one-line summary of
// its config, its errors, optional run counts, and its handles. Handles keep
// React Flow's data-handleid / data-nodeid attributes for end-to-end tests.
import { memo } from 'react'
import { Handle, Position, type NodeProps } from '@xyflow/react'
import type { CanvasNode } from './convert'
import { kindOf } from './model'

function FlowNodeView({ id, data, selected }: NodeProps<CanvasNode>) {
  const kind = data.spec?.kind ?? kindOf(data.node.type) ?? 'action'
  const branches = data.spec?.branches ?? []
  const hasErrors = data.errors.length > 0
  const cls = ['flow-node', `kind-${kind}`, branches.length ? 'has-branches' : '', selected ? 'selected' : '', hasErrors ? 'has-error' : ''].filter(Boolean).join(' ')
  return (
    <div className={cls} data-testid={`node-${id}`} title={data.spec?.description}>
      {kind !== 'trigger' && <Handle type="target" position={Position.Left} />}
      <div className="flow-node-head">
        <span className="flow-node-kind">{kind}</span>
        <span className="flow-node-id mono">{id}</span>
      </div>
      <div className="flow-node-title">{data.spec?.title ?? data.node.type}</div>
      <div className="flow-node-summary">{data.summary || <span className="muted">not set up yet</span>}</div>
      {hasErrors && (
        <div className="flow-node-error" data-testid={`node-error-${id}`}>
          {data.errors.map((e, i) => (
            <div key={i}>{e}</div>
          ))}
        </div>
      )}
      {data.stats && (
        <div className="flow-node-stats" data-testid={`node-stats-${id}`}>
          <span title="entered">▸ {data.stats.entered}</span>
          <span title="completed">✓ {data.stats.completed}</span>
          <span title="failed" className={data.stats.failed > 0 ? 'neg' : undefined}>
            ✗ {data.stats.failed}
          </span>
        </div>
      )}
      {branches.length > 0 ? (
        branches.map((b, i) => (
          <Handle
            key={b}
            id={b}
            type="source"
            position={Position.Right}
            className={`branch-handle branch-${b}`}
            // Below the head, so labels do not cover the node's id.
            style={{ top: `${30 + ((i + 1) * 70) / (branches.length + 1)}%` }}
          >
            <span className="branch-label">{b}</span>
          </Handle>
        ))
      ) : (
        <Handle type="source" position={Position.Right} />
      )}
    </div>
  )
}

export default memo(FlowNodeView)
