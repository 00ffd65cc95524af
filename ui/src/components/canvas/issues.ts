// Maps the backend's error details (CONTRACT §6: {path, message}) onto the
// editor: node errors by node id and config field, edge errors by canvas
// edge id, and the rest as flow-level problems for the banner.
import type { FieldError, Flow } from '../../types'
import { edgeIds } from './ops'

export interface NodeIssues {
  // Config field name → message ("points" → "must be an integer").
  fields: Record<string, string>
  // Problems of the node itself (its id, its type, the config as a whole).
  general: string[]
}

export interface FlowIssue {
  path: string
  // The problem as a sentence for the banner.
  text: string
}

export interface Issues {
  nodes: Record<string, NodeIssues>
  edges: Record<string, string>
  // Flow settings field ("name", "id", "entry.max", "audience") → message.
  settings: Record<string, string>
  // Everything not on a node, in the order the backend gave.
  flow: FlowIssue[]
}

export const noIssues: Issues = { nodes: {}, edges: {}, settings: {}, flow: [] }

const nodePath = /^nodes\[(\d+)\](?:\.(.*))?$/
const edgePath = /^edges\[(\d+)\](?:\.(.*))?$/

// splitField cuts "where.all[0].field" into the field "where" and the rest.
function splitField(rest: string): [string, string] {
  const m = /^([^.[]+)(.*)$/.exec(rest)
  if (!m) return [rest, '']
  return [m[1], m[2].replace(/^\./, '')]
}

function join(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

// mapIssues reads errors against the document they were computed for: paths
// name nodes and edges by index in that document.
export function mapIssues(doc: Flow, errors: FieldError[]): Issues {
  const out: Issues = { nodes: {}, edges: {}, settings: {}, flow: [] }
  const eids = edgeIds(doc.edges)
  const nodeIssues = (id: string) => (out.nodes[id] ??= { fields: {}, general: [] })
  for (const err of errors) {
    const path = err.path ?? ''
    const nm = nodePath.exec(path)
    const node = nm ? doc.nodes[Number(nm[1])] : undefined
    if (nm && node) {
      const rest = nm[2] ?? ''
      const ni = nodeIssues(node.id)
      if (rest.startsWith('config.')) {
        const [field, sub] = splitField(rest.slice('config.'.length))
        ni.fields[field] = join(ni.fields[field], sub ? `${sub}: ${err.message}` : err.message)
      } else {
        ni.general.push(rest && rest !== 'config' ? `${rest}: ${err.message}` : err.message)
      }
      continue
    }
    const em = edgePath.exec(path)
    const edge = em ? doc.edges[Number(em[1])] : undefined
    if (em && edge) {
      const id = eids[Number(em[1])]
      out.edges[id] = join(out.edges[id], err.message)
      const what = edge.branch ? `${edge.from} (${edge.branch}) → ${edge.to}` : `${edge.from} → ${edge.to}`
      out.flow.push({ path, text: `Link ${what}: ${err.message}` })
      continue
    }
    if (path === '' || path === 'nodes' || path === 'edges') {
      out.flow.push({ path, text: capitalise(err.message) })
      continue
    }
    const [field, sub] = path.startsWith('entry.') ? [path, ''] : splitField(path)
    out.settings[field] = join(out.settings[field], sub ? `${sub}: ${err.message}` : err.message)
    out.flow.push({ path, text: `${path}: ${err.message}` })
  }
  return out
}
