// Which connections the canvas accepts while the user drags an edge. These
// mirror the backend's rules (flows/compile.go checkEdges + findCycle), so
// a refused drag is exactly a save that would be refused.
import type { FlowEdge } from '../../types'
import { kindOf, type SpecIndex } from './model'

export interface ConnectionLike {
  source: string | null
  target: string | null
  sourceHandle?: string | null
  targetHandle?: string | null
}

interface Graph {
  nodes: { id: string; type: string }[]
  edges: FlowEdge[]
}

// toFlowEdge turns a canvas connection into a document edge: the source
// handle's id is the branch of a branching node (condition.if: yes / no).
export function toFlowEdge(c: ConnectionLike): FlowEdge {
  const e: FlowEdge = { from: c.source ?? '', to: c.target ?? '' }
  // Branch names come from the node type's spec; FlowEdge names today's two.
  if (c.sourceHandle) e.branch = c.sourceHandle as FlowEdge['branch']
  return e
}

// connectionProblem says why a connection is refused, or null when it is fine.
export function connectionProblem(g: Graph, specs: SpecIndex, c: ConnectionLike): string | null {
  const { source, target } = c
  if (!source || !target) return 'an edge needs two nodes'
  const from = g.nodes.find((n) => n.id === source)
  const to = g.nodes.find((n) => n.id === target)
  if (!from || !to) return 'no such node'
  if (source === target) return 'a node cannot link to itself'
  if (kindOf(to.type) === 'trigger') return 'triggers start runs and take no incoming edge'
  const branches = specs.get(from.type)?.branches ?? []
  const handle = c.sourceHandle ?? null
  if (branches.length > 0 && (handle === null || !branches.includes(handle))) {
    return `edges leaving this node must start at one of its branches: ${branches.join(', ')}`
  }
  if (branches.length === 0 && handle !== null) return 'this node has no branches'
  const e = toFlowEdge(c)
  if (g.edges.some((x) => x.from === e.from && x.to === e.to && (x.branch ?? '') === (e.branch ?? ''))) {
    return 'these nodes are already linked this way'
  }
  if (reaches(g.edges, target, source)) return 'this link would make a loop; flows must not loop'
  return null
}

// reaches reports whether a path leads from one node to another.
export function reaches(edges: FlowEdge[], from: string, to: string): boolean {
  const next = new Map<string, string[]>()
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to])
  const seen = new Set<string>()
  const stack = [from]
  while (stack.length) {
    const id = stack.pop()!
    if (id === to) return true
    if (seen.has(id)) continue
    seen.add(id)
    stack.push(...(next.get(id) ?? []))
  }
  return false
}
