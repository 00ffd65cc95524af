// The flow document as React Flow nodes and edges. The document is the one
// source of truth; the canvas is drawn from it on every change, with the
// view state React Flow needs (selection, measured sizes) added here.
import type { Edge, Node } from '@xyflow/react'
import type { Flow, FlowEdge, FlowNode, NodeStats, NodeTypeSpec } from '../../types'
import type { Issues } from './issues'
import type { SpecIndex } from './model'
import { edgeIds } from './ops'
import { summarize } from './summary'

export interface CanvasNodeData extends Record<string, unknown> {
  node: FlowNode
  spec?: NodeTypeSpec
  summary: string
  // Error lines to show on the node, empty when it is fine.
  errors: string[]
  stats?: NodeStats
}

export type CanvasNode = Node<CanvasNodeData, 'flow'>

export interface CanvasEdgeData extends Record<string, unknown> {
  edge: FlowEdge
  error?: string
}

export type CanvasEdge = Edge<CanvasEdgeData>

export interface ViewState {
  specs: SpecIndex
  selectedNodes?: ReadonlySet<string>
  selectedEdges?: ReadonlySet<string>
  // Sizes React Flow measured; without them it would measure every node
  // again on each change.
  measured?: Record<string, { width: number; height: number }>
  issues?: Issues
  stats?: Record<string, NodeStats>
}

// nodeErrorLines flattens a node's issues into lines for the node's face.
export function nodeErrorLines(issues: Issues | undefined, id: string): string[] {
  const ni = issues?.nodes[id]
  if (!ni) return []
  return [...ni.general, ...Object.entries(ni.fields).map(([f, m]) => `${f}: ${m}`)]
}

export function toCanvasNodes(doc: Flow, v: ViewState): CanvasNode[] {
  return doc.nodes.map((n) => {
    const spec = v.specs.get(n.type)
    const errors = nodeErrorLines(v.issues, n.id)
    if (!spec && v.specs.size > 0 && errors.length === 0) errors.push(`unknown node type ${n.type}`)
    return {
      id: n.id,
      type: 'flow',
      position: n.position ?? { x: 0, y: 0 },
      selected: v.selectedNodes?.has(n.id) ?? false,
      measured: v.measured?.[n.id],
      data: { node: n, spec, summary: summarize(n.type, n.config, spec), errors, stats: v.stats?.[n.id] },
    }
  })
}

export function toCanvasEdges(doc: Flow, v: Pick<ViewState, 'selectedEdges' | 'issues'> = {}): CanvasEdge[] {
  const ids = edgeIds(doc.edges)
  return doc.edges.map((e, i) => {
    const id = ids[i]
    const error = v.issues?.edges[id]
    return {
      id,
      source: e.from,
      target: e.to,
      sourceHandle: e.branch ?? null,
      label: e.branch,
      selected: v.selectedEdges?.has(id) ?? false,
      className: error ? 'edge-error' : undefined,
      data: { edge: e, error },
    }
  })
}
