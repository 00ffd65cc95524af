// What changed between two versions of a flow: the flow's own settings,
// steps added, removed or reconfigured (per config key, old → new), links
// added or removed, and steps only moved. Pure: no React.
import type { Entry, Flow, FlowEdge, FlowNode } from '../../types'

export interface ValueChange {
  // A config key, or a flow setting (name, enabled, entry, …).
  key: string
  // undefined when the key is absent on that side.
  before: unknown
  after: unknown
}

export interface NodeChange {
  id: string
  type: string
  // Set when the step's type itself changed (the id was reused).
  typeBefore?: string
  config: ValueChange[]
}

export interface VersionDiff {
  settings: ValueChange[]
  nodesAdded: FlowNode[]
  nodesRemoved: FlowNode[]
  nodesChanged: NodeChange[]
  edgesAdded: FlowEdge[]
  edgesRemoved: FlowEdge[]
  // Steps whose position alone changed: a layout-only save.
  nodesMoved: string[]
}

// The flow's own settings compared, in the order they are shown.
const settingKeys = ['name', 'description', 'enabled', 'entry', 'audience', 'include_disqualified'] as const

// canonical writes a JSON value with object keys sorted, so two values are
// equal exactly when their canonical forms are.
export function canonical(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b)

// A missing optional setting equals its default, so a server that drops an
// unset field does not show as a change.
function setting(f: Flow, key: (typeof settingKeys)[number]): unknown {
  const v = f[key]
  if (key === 'description' && v === '') return undefined
  if (key === 'include_disqualified' && v === false) return undefined
  return v
}

function configDiff(before: Record<string, unknown> = {}, after: Record<string, unknown> = {}): ValueChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  return keys.filter((k) => !same(before[k], after[k])).map((k) => ({ key: k, before: before[k], after: after[k] }))
}

const edgeKey = (e: FlowEdge) => `${e.from}\u0000${e.to}\u0000${e.branch ?? ''}`

// minus returns the edges of a not in b, counting duplicates.
function minus(a: FlowEdge[], b: FlowEdge[]): FlowEdge[] {
  const left = new Map<string, number>()
  for (const e of b) left.set(edgeKey(e), (left.get(edgeKey(e)) ?? 0) + 1)
  return a.filter((e) => {
    const n = left.get(edgeKey(e)) ?? 0
    if (n === 0) return true
    left.set(edgeKey(e), n - 1)
    return false
  })
}

// diffVersions compares the older flow a with the newer b: "added" is in b
// and not in a. Steps are matched by id.
export function diffVersions(a: Flow, b: Flow): VersionDiff {
  const settings = settingKeys
    .filter((k) => !same(setting(a, k), setting(b, k)))
    .map((k) => ({ key: k, before: setting(a, k), after: setting(b, k) }))
  const nodesA = new Map((a.nodes ?? []).map((n) => [n.id, n]))
  const nodesB = new Map((b.nodes ?? []).map((n) => [n.id, n]))
  const nodesAdded = (b.nodes ?? []).filter((n) => !nodesA.has(n.id))
  const nodesRemoved = (a.nodes ?? []).filter((n) => !nodesB.has(n.id))
  const nodesChanged: NodeChange[] = []
  const nodesMoved: string[] = []
  for (const nb of b.nodes ?? []) {
    const na = nodesA.get(nb.id)
    if (!na) continue
    const config = configDiff(na.config, nb.config)
    if (config.length > 0 || na.type !== nb.type) {
      nodesChanged.push({ id: nb.id, type: nb.type, config, ...(na.type !== nb.type ? { typeBefore: na.type } : {}) })
    } else if (!same(na.position, nb.position)) {
      nodesMoved.push(nb.id)
    }
  }
  return {
    settings,
    nodesAdded,
    nodesRemoved,
    nodesChanged,
    edgesAdded: minus(b.edges ?? [], a.edges ?? []),
    edgesRemoved: minus(a.edges ?? [], b.edges ?? []),
    nodesMoved,
  }
}

// changeCount counts the changes a reader would list (moves excluded).
export function changeCount(d: VersionDiff): number {
  return (
    d.settings.length +
    d.nodesAdded.length +
    d.nodesRemoved.length +
    d.nodesChanged.length +
    d.edgesAdded.length +
    d.edgesRemoved.length
  )
}

// formatEntry writes an entry rule as a reader says it.
export function formatEntry(e: Entry | undefined): string {
  if (!e) return 'every time'
  switch (e.mode) {
    case 'every_time':
      return 'every time'
    case 'once':
      return 'once per contact'
    case 'limited':
      return `at most ${e.max ?? '?'} times${e.window ? ` per ${e.window}` : ''}`
    default:
      return canonical(e)
  }
}

// formatDiffValue shows a changed value: text as it is, absent as "—",
// entry rules in words, other JSON compactly.
export function formatDiffValue(key: string, v: unknown): string {
  if (v === undefined) return '—'
  if (key === 'entry') return formatEntry(v as Entry)
  if (typeof v === 'string') return v === '' ? '""' : v
  return JSON.stringify(v)
}

export const formatEdge = (e: FlowEdge) => `${e.from}${e.branch ? ` (${e.branch})` : ''} → ${e.to}`
