// The editable tree behind FilterBuilder, and its conversion from and to the
// filter language (CONTRACT §4).
//
// The conversion is lossless: whatever JSON the editor cannot show as a form
// (hand-written shapes, unknown keys, mixed-type lists, double negation…)
// becomes a raw node that keeps the JSON as it was, so opening and saving a
// filter never changes it behind the user's back.
import type { Filter } from '../../types'

export type Scope = 'contact' | 'event'

// The JSON type a value of an untyped field (attributes, event properties)
// is written as: the engine compares "25" and 25 differently.
export type ValueType = 'text' | 'number' | 'boolean'

export interface GroupNode {
  kind: 'group'
  id: string
  op: 'all' | 'any'
  negated: boolean
  children: FilterNode[]
  // Only read on the root: the JSON had the root group written out, so it is
  // written back even with a single child ({"all": [leaf]} stays as it is).
  explicit: boolean
}

export interface FieldNode {
  kind: 'field'
  id: string
  negated: boolean
  field: string
  op: string
  // undefined = no "value" key (exists / not_exists).
  value?: unknown
  // The type chosen for an untyped field's value; derived from value when unset.
  valueType?: ValueType
  // The window of a field that takes one (score_change: "7d").
  within?: string
}

export interface BehaviourNode {
  kind: 'behaviour'
  id: string
  negated: boolean
  event: string
  where?: Filter
  within?: string
  count?: { op: string; value: unknown }
  // UI only: the property filter box was opened (it may still be empty).
  showWhere?: boolean
}

export interface RawNode {
  kind: 'raw'
  id: string
  // The JSON as last parsed from text; what gets emitted.
  value: unknown
  text: string
  // Set while text is not valid JSON (value then keeps the last valid JSON).
  error?: string
}

export type FilterNode = GroupNode | FieldNode | BehaviourNode | RawNode
export type LeafNode = FieldNode | BehaviourNode | RawNode

let seq = 0
// newId gives React keys that stay with a node while its siblings move.
export const newId = () => `fn${++seq}`

export const NO_VALUE_OPS = ['exists', 'not_exists']
export const LIST_OPS = ['in', 'nin']
export const DURATION_OPS = ['older_than', 'newer_than']

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
const onlyKeys = (o: Record<string, unknown>, allowed: string[]) => Object.keys(o).every((k) => allowed.includes(k))

export function group(op: 'all' | 'any', children: FilterNode[], explicit = true, negated = false): GroupNode {
  return { kind: 'group', id: newId(), op, negated, children, explicit }
}

export function rawNode(value: unknown): RawNode {
  return { kind: 'raw', id: newId(), value, text: JSON.stringify(value, null, 2) ?? '' }
}

// fromFilter turns a filter into the editor's root group: always a group, so
// the editor has one place to add conditions; toFilter unwraps it again.
export function fromFilter(f: unknown, scope: Scope): GroupNode {
  if (f === undefined || f === null) return group('all', [], false)
  const n = parseNode(f, scope)
  if (n.kind === 'group') return { ...n, explicit: true }
  return group('all', [n], false)
}

export function parseNode(v: unknown, scope: Scope): FilterNode {
  if (!isObject(v)) return rawNode(v)
  const keys = Object.keys(v)
  if (keys.length === 1 && keys[0] === 'not') {
    const inner = parseNode(v.not, scope)
    // A raw child or a double negation cannot carry one more "not": keep the JSON.
    if (inner.kind === 'raw' || inner.negated) return rawNode(v)
    return { ...inner, negated: true }
  }
  if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
    const list = v[keys[0]]
    if (!Array.isArray(list)) return rawNode(v)
    return group(keys[0] as 'all' | 'any', list.map((c) => parseNode(c, scope)))
  }
  if ('field' in v) return parseField(v) ?? rawNode(v)
  if ('event' in v && scope === 'contact') return parseBehaviour(v) ?? rawNode(v)
  return rawNode(v)
}

function parseField(v: Record<string, unknown>): FieldNode | undefined {
  if (!onlyKeys(v, ['field', 'within', 'op', 'value'])) return undefined
  if (typeof v.field !== 'string' || typeof v.op !== 'string') return undefined
  if (v.within !== undefined && typeof v.within !== 'string') return undefined
  const { value } = v
  if (!NO_VALUE_OPS.includes(v.op) && value !== undefined) {
    if (LIST_OPS.includes(v.op)) {
      // A list the form can edit holds scalars of one type.
      if (!Array.isArray(value) || !value.every(isScalar)) return undefined
      if (new Set(value.map((x) => typeof x)).size > 1) return undefined
    } else if (!isScalar(value)) {
      return undefined
    }
  }
  const node: FieldNode = { kind: 'field', id: newId(), negated: false, field: v.field, op: v.op }
  if ('value' in v) node.value = value
  if (v.within !== undefined) node.within = v.within as string
  return node
}

function parseBehaviour(v: Record<string, unknown>): BehaviourNode | undefined {
  if (!onlyKeys(v, ['event', 'where', 'within', 'count'])) return undefined
  if (typeof v.event !== 'string') return undefined
  if (v.within !== undefined && typeof v.within !== 'string') return undefined
  if ('where' in v && !isObject(v.where)) return undefined
  const { count } = v
  if (count !== undefined) {
    if (!isObject(count) || !onlyKeys(count, ['op', 'value'])) return undefined
    if (typeof count.op !== 'string' || typeof count.value !== 'number') return undefined
  }
  const node: BehaviourNode = { kind: 'behaviour', id: newId(), negated: false, event: v.event }
  if ('where' in v) node.where = v.where as Filter
  if (v.within !== undefined) node.within = v.within as string
  if (count !== undefined) node.count = { op: count.op as string, value: count.value }
  return node
}

// toFilter writes the root back: nothing → undefined; a single condition the
// user never grouped stays bare; "not" wraps what is negated.
export function toFilter(root: GroupNode): Filter | undefined {
  if (root.children.length === 0) return undefined
  if (root.children.length === 1 && !root.explicit) {
    const only = nodeToJSON(root.children[0])
    return (root.negated ? { not: only } : only) as Filter
  }
  return nodeToJSON(root) as Filter
}

export function nodeToJSON(n: FilterNode): unknown {
  switch (n.kind) {
    case 'raw':
      return n.value
    case 'group':
      return negate(n.negated, { [n.op]: n.children.map(nodeToJSON) })
    case 'field': {
      const leaf: Record<string, unknown> = { field: n.field }
      if (n.within !== undefined) leaf.within = n.within
      leaf.op = n.op
      if (n.value !== undefined) leaf.value = n.value
      return negate(n.negated, leaf)
    }
    case 'behaviour': {
      const leaf: Record<string, unknown> = { event: n.event }
      if (n.where !== undefined) leaf.where = n.where
      if (n.within !== undefined) leaf.within = n.within
      if (n.count !== undefined) leaf.count = { op: n.count.op, value: n.count.value }
      return negate(n.negated, leaf)
    }
  }
}

const negate = (negated: boolean, v: unknown) => (negated ? { not: v } : v)

// What "Add condition", "Add behaviour" and "Add group" insert. A contact
// condition starts complete (score ≥ 0) so the live count keeps working; an
// event property has no sensible default name, so it starts empty.
export function newFieldNode(scope: Scope): FieldNode {
  return scope === 'contact'
    ? { kind: 'field', id: newId(), negated: false, field: 'score', op: 'gte', value: 0 }
    : { kind: 'field', id: newId(), negated: false, field: '', op: 'eq', value: '' }
}

export function newBehaviourNode(): BehaviourNode {
  return { kind: 'behaviour', id: newId(), negated: false, event: 'page_visited' }
}

// A new sub-group takes the other kind than its parent: nesting "all" in
// "all" adds nothing, the point of a group is (A and (B or C)).
export function newGroupNode(parentOp: 'all' | 'any', scope: Scope): GroupNode {
  return group(parentOp === 'all' ? 'any' : 'all', [newFieldNode(scope)])
}

// convertLeaf turns a condition into another kind (the row's kind select):
// into JSON it keeps what it says; out of JSON it keeps the JSON when that
// is a condition of the wanted kind, else it starts from the default.
export function convertLeaf(node: LeafNode, to: LeafNode['kind'], scope: Scope): FilterNode {
  if (node.kind === to) return node
  if (to === 'raw') return { ...rawNode(nodeToJSON(node)), id: node.id }
  if (node.kind === 'raw') {
    const parsed = parseNode(node.value, scope)
    if (parsed.kind === to) return { ...parsed, id: node.id }
  }
  const negated = node.kind === 'raw' ? false : node.negated
  const fresh = to === 'field' ? newFieldNode(scope) : newBehaviourNode()
  return { ...fresh, id: node.id, negated }
}
