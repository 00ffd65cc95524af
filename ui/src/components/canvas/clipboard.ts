// Copy and paste of nodes. The clipboard lives in this module, so a
// selection copied in one flow can be pasted into another in the same tab.
import type { Flow, FlowEdge, FlowNode } from '../../types'
import { nextNodeId } from './model'

export interface Clip {
  nodes: FlowNode[]
  // Only the edges between copied nodes.
  edges: FlowEdge[]
}

let clip: Clip | null = null
let pastes = 0

export function setClipboard(c: Clip | null) {
  clip = c
  pastes = 0
}

// takeClipboard returns the clip and how many times it was pasted before,
// so repeated pastes land one step further each time.
export function takeClipboard(): { clip: Clip; count: number } | null {
  if (!clip) return null
  return { clip, count: ++pastes }
}

const clone = <T,>(v: T): T => JSON.parse(JSON.stringify(v)) as T

export function copySelection(doc: Flow, ids: Iterable<string>): Clip | null {
  const set = new Set(ids)
  const nodes = doc.nodes.filter((n) => set.has(n.id))
  if (nodes.length === 0) return null
  const edges = doc.edges.filter((e) => set.has(e.from) && set.has(e.to))
  return clone({ nodes, edges })
}

// pasteClip adds the clip's nodes under new ids (the next free t1/c1/d1/a1
// of their kind), shifted by offset, with the edges between them remapped.
export function pasteClip(doc: Flow, c: Clip, offset: { x: number; y: number }): { doc: Flow; ids: string[] } {
  const taken = new Set(doc.nodes.map((n) => n.id))
  const remap = new Map<string, string>()
  const nodes: FlowNode[] = c.nodes.map((n) => {
    const id = nextNodeId(n.type, taken)
    taken.add(id)
    remap.set(n.id, id)
    const p = n.position ?? { x: 0, y: 0 }
    return { ...clone(n), id, position: { x: p.x + offset.x, y: p.y + offset.y } }
  })
  const edges: FlowEdge[] = c.edges
    .filter((e) => remap.has(e.from) && remap.has(e.to))
    .map((e) => ({ ...e, from: remap.get(e.from)!, to: remap.get(e.to)! }))
  return { doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges] }, ids: nodes.map((n) => n.id) }
}
