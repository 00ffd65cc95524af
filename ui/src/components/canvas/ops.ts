// Operations on a flow document. Each returns a new document and leaves its
// input untouched, so the undo history can keep old documents as they were.
import type { Flow, FlowEdge, FlowNode, Position } from '../../types'
import { autoLayout } from './layout'
import { needsLayout, nextNodeId, round } from './model'

// edgeKey names an edge by what makes it unique to the backend: from, to
// and branch (two edges with the same three are a duplicate).
export function edgeKey(e: FlowEdge): string {
  return `${e.from}->${e.to}${e.branch ? ':' + e.branch : ''}`
}

// edgeIds gives every edge of a document a stable id for the canvas: its
// key, with "#2", "#3" … on duplicates (which only an invalid document has).
export function edgeIds(edges: FlowEdge[]): string[] {
  const seen = new Map<string, number>()
  return edges.map((e) => {
    const k = edgeKey(e)
    const n = (seen.get(k) ?? 0) + 1
    seen.set(k, n)
    return n === 1 ? k : `${k}#${n}`
  })
}

export function addNode(doc: Flow, type: string, position: Position): { doc: Flow; id: string } {
  const id = nextNodeId(type, doc.nodes.map((n) => n.id))
  const node: FlowNode = { id, type, config: {}, position: round(position) }
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, id }
}

export function addEdge(doc: Flow, edge: FlowEdge): Flow {
  return { ...doc, edges: [...doc.edges, edge] }
}

// removeElements deletes nodes (with every edge touching them) and edges
// given by their canvas ids.
export function removeElements(doc: Flow, nodeIds: Iterable<string>, edgeIdList: Iterable<string> = []): Flow {
  const nodes = new Set(nodeIds)
  const edges = new Set(edgeIdList)
  if (nodes.size === 0 && edges.size === 0) return doc
  const ids = edgeIds(doc.edges)
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !nodes.has(n.id)),
    edges: doc.edges.filter((e, i) => !edges.has(ids[i]) && !nodes.has(e.from) && !nodes.has(e.to)),
  }
}

export function setNodeConfig(doc: Flow, id: string, config: Record<string, unknown>): Flow {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? { ...n, config } : n)) }
}

export function moveNodes(doc: Flow, positions: Record<string, Position>): Flow {
  let changed = false
  const nodes = doc.nodes.map((n) => {
    const p = positions[n.id]
    if (!p) return n
    const r = round(p)
    if (n.position && n.position.x === r.x && n.position.y === r.y) return n
    changed = true
    return { ...n, position: r }
  })
  return changed ? { ...doc, nodes } : doc
}

// withPositions makes a document drawable as it is opened. One that was
// never laid out (see needsLayout) is laid out by dagre, as the Auto-layout
// button would; one where only a few nodes lack a position keeps the user's
// layout and gets those few in a row.
export function withPositions(doc: Flow): Flow {
  if (needsLayout(doc.nodes)) return moveNodes(doc, autoLayout(doc.nodes, doc.edges))
  if (doc.nodes.every((n) => n.position)) return doc
  return { ...doc, nodes: doc.nodes.map((n, i) => (n.position ? n : { ...n, position: { x: i * 280, y: 0 } })) }
}
