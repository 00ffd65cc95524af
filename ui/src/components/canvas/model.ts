// Shared shapes and small helpers of the flow editor. Pure: no React.
import type { Flow, FlowNode, NodeKind, NodeTypeSpec, Position } from '../../types'

export const kinds: NodeKind[] = ['trigger', 'condition', 'delay', 'action']

export const kindLabels: Record<NodeKind, string> = {
  trigger: 'Triggers',
  condition: 'Conditions',
  delay: 'Delays',
  action: 'Actions',
}

// The mime type of a palette item being dragged onto the canvas.
export const dragMime = 'application/scoreflow-node'

// Size assumed for a node the canvas has not measured yet (layout, centring).
export const defaultNodeSize = { width: 220, height: 72 }

export type SpecIndex = Map<string, NodeTypeSpec>

export function indexSpecs(specs: NodeTypeSpec[]): SpecIndex {
  return new Map(specs.map((s) => [s.type, s]))
}

// kindOf reads the kind from the type name ("action.add_tag" → action), which
// the backend guarantees, so nodes of an unknown type still get a colour.
export function kindOf(type: string): NodeKind | undefined {
  const k = type.split('.')[0]
  return (kinds as string[]).includes(k) ? (k as NodeKind) : undefined
}

const idPrefix: Record<NodeKind, string> = { trigger: 't', condition: 'c', delay: 'd', action: 'a' }

// nextNodeId returns the first free id of the form t1, c1, d1, a1 … for a
// type: one past the highest number in use, so deleted ids are not reused
// while the editor is open (stats and history refer to them).
export function nextNodeId(type: string, taken: Iterable<string>): string {
  const kind = kindOf(type)
  const p = kind ? idPrefix[kind] : 'n'
  const re = new RegExp(`^${p}(\\d+)$`)
  let max = 0
  const used = new Set(taken)
  for (const id of used) {
    const m = re.exec(id)
    if (m) max = Math.max(max, Number(m[1]))
  }
  let n = max + 1
  while (used.has(p + n)) n++
  return p + n
}

export function emptyFlow(): Flow {
  return { id: '', name: '', enabled: false, entry: { mode: 'every_time' }, nodes: [], edges: [] }
}

// Fields the server adds to a flow that are not part of the document.
const serverOnly = ['created_at', 'updated_at', 'runs_24h', 'failed_24h'] as const

// documentOf strips what the server adds (times, run counts), for export,
// copies and saves. The version stays: PUT needs it.
export function documentOf(f: Flow): Flow {
  const out: Flow = { ...f }
  for (const k of serverOnly) delete out[k]
  return out
}

// apiBody is what the editor sends: the document without server fields.
// The version travels apart from it (the editor keeps it out of history).
export function apiBody(f: Flow): Flow {
  const out = documentOf(f)
  delete out.version
  return out
}

// editable is a flow as the editor's history keeps it: no version, times or
// run counts, and the lists present even if the file left them out.
export function editable(f: Flow): Flow {
  return { ...apiBody(f), nodes: f.nodes ?? [], edges: f.edges ?? [], entry: f.entry ?? { mode: 'every_time' } }
}

// slugify derives a flow id from its name: lower case letters, digits and
// dashes, which the backend's id rule accepts.
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '')
}

// copyId picks "<id>-copy", then "<id>-copy-2" … until one is free.
export function copyId(id: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  let candidate = `${id}-copy`
  for (let n = 2; used.has(candidate); n++) candidate = `${id}-copy-${n}`
  return candidate
}

// triggerTitles names a flow's triggers for the list, by their type's title.
export function triggerTitles(f: Flow, specs: SpecIndex): string[] {
  const titles = f.nodes.filter((n) => kindOf(n.type) === 'trigger').map((n) => specs.get(n.type)?.title ?? n.type)
  return [...new Set(titles)]
}

export function round(p: Position): Position {
  return { x: Math.round(p.x), y: Math.round(p.y) }
}

export function findNode(f: Flow, id: string): FlowNode | undefined {
  return f.nodes.find((n) => n.id === id)
}

// needsLayout tells a flow drawn by hand from one that was never laid out
// (a suggested draft, a flow posted through the API): most of its nodes
// have no position, or share one (typically 0,0) with another node. Such a
// flow would otherwise open as one row of boxes, or as a single stack.
export function needsLayout(nodes: FlowNode[]): boolean {
  if (nodes.length < 2) return false
  const key = (p: Position) => `${p.x},${p.y}`
  const at = new Map<string, number>()
  for (const n of nodes) if (n.position) at.set(key(n.position), (at.get(key(n.position)) ?? 0) + 1)
  const unplaced = nodes.filter((n) => !n.position || at.get(key(n.position))! > 1).length
  return unplaced * 2 > nodes.length
}
