// Auto-layout with dagre, left to right: triggers on the left, each step
// one column further right.
import dagre from '@dagrejs/dagre'
import type { FlowEdge, FlowNode, Position } from '../../types'
import { defaultNodeSize } from './model'

export interface Size {
  width: number
  height: number
}

// autoLayout returns a top-left position for every node.
export function autoLayout(nodes: FlowNode[], edges: FlowEdge[], sizeOf: (id: string) => Size | undefined = () => undefined): Record<string, Position> {
  const g = new dagre.graphlib.Graph({ multigraph: true })
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set(nodes.map((n) => n.id))
  for (const n of nodes) {
    const s = sizeOf(n.id) ?? defaultNodeSize
    g.setNode(n.id, { width: s.width, height: s.height })
  }
  edges.forEach((e, i) => {
    // Dangling edges (to a node that is gone) would make dagre invent nodes.
    if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to, {}, String(i))
  })
  dagre.layout(g)
  const out: Record<string, Position> = {}
  for (const n of nodes) {
    const p = g.node(n.id)
    const s = sizeOf(n.id) ?? defaultNodeSize
    // dagre places centres; the canvas places top-left corners.
    out[n.id] = { x: Math.round(p.x - s.width / 2), y: Math.round(p.y - s.height / 2) }
  }
  return out
}
