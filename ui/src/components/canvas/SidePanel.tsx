// The side panel: the selected node's settings (SpecForm), the selected
// links, or the flow's own settings when nothing is selected.
import { EditFieldset } from '../../access'
import type { Catalog, Flow } from '../../types'
import SpecForm from '../SpecForm'
import FlowSettings, { type FlowSettingsProps } from './FlowSettings'
import type { Issues } from './issues'
import { kindOf, type SpecIndex } from './model'
import { edgeIds } from './ops'

export interface SidePanelProps extends Omit<FlowSettingsProps, 'errors'> {
  specs: SpecIndex
  issues: Issues
  catalog?: Catalog
  selectedNodes: ReadonlySet<string>
  selectedEdges: ReadonlySet<string>
  onConfig: (nodeId: string, config: Record<string, unknown>) => void
  onDelete: () => void
}

export default function SidePanel(p: SidePanelProps) {
  const nodes = p.doc.nodes.filter((n) => p.selectedNodes.has(n.id))
  const edgeCount = p.selectedEdges.size
  return (
    <aside className="side-panel" data-testid="side-panel" aria-label="Settings">
      {/* A read-only key sees every setting, disabled. */}
      <EditFieldset>
        {nodes.length === 1 ? (
          <NodePanel {...p} nodeId={nodes[0].id} />
        ) : nodes.length > 1 || edgeCount > 0 ? (
          <div>
            <h2>
              {nodes.length > 0 && `${nodes.length} steps`}
              {nodes.length > 0 && edgeCount > 0 && ' and '}
              {edgeCount > 0 && `${edgeCount} link${edgeCount > 1 ? 's' : ''}`} selected
            </h2>
            {edgeCount > 0 && nodes.length === 0 && <EdgeList doc={p.doc} ids={p.selectedEdges} issues={p.issues} />}
            <button type="button" className="danger" onClick={p.onDelete}>
              Delete selection
            </button>
          </div>
        ) : (
          <FlowSettings {...p} errors={p.issues.settings} />
        )}
      </EditFieldset>
    </aside>
  )
}

function NodePanel({ doc, nodeId, specs, issues, catalog, onConfig, onDelete }: SidePanelProps & { nodeId: string; doc: Flow }) {
  const node = doc.nodes.find((n) => n.id === nodeId)!
  const spec = specs.get(node.type)
  const ni = issues.nodes[node.id]
  const kind = spec?.kind ?? kindOf(node.type) ?? 'action'
  return (
    <div className={`node-panel kind-${kind}`}>
      <div className="node-panel-head">
        <span className="flow-node-kind">{kind}</span>
        <span className="mono muted">{node.id}</span>
      </div>
      <h2>{spec?.title ?? node.type}</h2>
      {spec && <p className="muted small">{spec.description}</p>}
      {ni?.general.map((m, i) => (
        <div className="field-error" key={i}>
          {m}
        </div>
      ))}
      {spec ? (
        // Keyed by node: drafts typed in one node's fields stay with it.
        <SpecForm
          key={node.id}
          spec={spec}
          value={node.config ?? {}}
          onChange={(cfg) => onConfig(node.id, cfg)}
          errors={ni?.fields}
          catalog={catalog}
          idPrefix={`cfg-${node.id}`}
        />
      ) : (
        <>
          <p className="field-error">Unknown node type {node.type}: this server has no such step.</p>
          <pre className="mono config-json">{JSON.stringify(node.config ?? {}, null, 2)}</pre>
        </>
      )}
      <div className="row">
        <button type="button" className="danger" data-testid="delete-node" onClick={onDelete}>
          Delete step
        </button>
      </div>
    </div>
  )
}

function EdgeList({ doc, ids, issues }: { doc: Flow; ids: ReadonlySet<string>; issues: Issues }) {
  const all = edgeIds(doc.edges)
  return (
    <ul className="edge-list">
      {doc.edges.map((e, i) =>
        ids.has(all[i]) ? (
          <li key={all[i]}>
            <span className="mono">
              {e.from}
              {e.branch ? ` (${e.branch})` : ''} → {e.to}
            </span>
            {issues.edges[all[i]] && <div className="field-error">{issues.edges[all[i]]}</div>}
          </li>
        ) : null,
      )}
    </ul>
  )
}
