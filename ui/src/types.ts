// Shapes of the Scoreflow API (../shared/CONTRACT.md and GET /api/v1/openapi.json).

export type Filter =
  | { all: Filter[] }
  | { any: Filter[] }
  | { not: Filter }
  | FieldLeaf
  | BehaviourLeaf

export interface FieldLeaf {
  field: string
  op: string
  value?: unknown
}

export interface BehaviourLeaf {
  event: string
  where?: Filter
  within?: string
  count?: { op: string; value: number }
}

export interface Position { x: number; y: number }

export interface FlowNode {
  id: string
  type: string
  config?: Record<string, unknown>
  position?: Position
}

export interface FlowEdge {
  from: string
  to: string
  branch?: 'yes' | 'no'
}

export interface Entry {
  mode: 'every_time' | 'once' | 'limited'
  max?: number
  window?: string
}

export interface Flow {
  id: string
  name: string
  description?: string
  enabled: boolean
  version?: number
  entry: Entry
  audience?: Filter
  include_disqualified?: boolean
  nodes: FlowNode[]
  edges: FlowEdge[]
  created_at?: string
  updated_at?: string
  // Added by GET /api/v1/flows: runs started in the last 24 hours.
  runs_24h?: number
  failed_24h?: number
}

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'duration' | 'filter' | 'event_filter' | 'string_map' | 'any'

export interface FieldSpec {
  name: string
  type: FieldType
  required?: boolean
  default?: unknown
  enum?: string[]
  // What to offer as choices: event_type, field, segment, tag, score, stage.
  picker?: 'event_type' | 'field' | 'segment' | 'tag' | 'score' | 'stage'
  description?: string
}

export type NodeKind = 'trigger' | 'condition' | 'delay' | 'action'

export interface NodeTypeSpec {
  type: string
  kind: NodeKind
  title: string
  description: string
  fields: FieldSpec[]
  branches?: string[]
}

export interface FieldError { path: string; message: string }

export interface ValidateResult { valid: boolean; errors: FieldError[] }

export interface NodeStats { entered: number; completed: number; failed: number }

export interface FlowStats { flow: string; since: string; nodes: Record<string, NodeStats> }

export interface FlowVersion { version: number; created_at?: string; name?: string }

export interface Contact {
  id: string
  email?: string
  attributes: Record<string, unknown>
  scores: Record<string, number>
  score: number
  grade: string
  tags: string[]
  deal_stage: string
  disqualified: null | { at: string; reason: string }
  segments: string[]
  created_at: string
  last_activity_at?: string | null
  merged_from?: string[]
  // The account (company) the contact belongs to, if any.
  account_id?: string
}

export interface LedgerEntry {
  at: string
  score: string
  delta: number
  value: number
  flow: string | null
  flow_version?: number | null
  node?: string | null
  event_id?: string | null
  reason?: string | null
}

export interface TimelineEvent {
  id: string
  type: string
  contact_id: string
  email?: string
  timestamp: string
  properties?: Record<string, unknown>
  traits?: Record<string, unknown>
}

export interface Segment {
  id: string
  name: string
  description?: string
  where: Filter
  members?: number
}

export interface ScoreDimension {
  name: string
  min?: number | null
  max?: number | null
  decay?: { every: string; percent: number } | null
}

export interface Grade { name: string; min: number | null }

export interface Settings {
  scores: ScoreDimension[]
  grades: Grade[]
  pipeline: string[]
  // Per dimension, how accounts aggregate their contacts' scores.
  account_scores?: Record<string, AccountScoreMode>
}

// GET /api/v1/catalog: choices for pickers.
export interface Catalog {
  event_types: string[]
  tags: string[]
  fields: string[]
  scores: string[]
  stages: string[]
  grades?: string[]
  segments: { id: string; name: string }[]
  // The contact fields a filter may name; absent from older servers.
  contact_fields?: ContactFieldInfo[]
  // Attribute names accounts hold (account.attributes.<name>).
  account_attributes?: string[]
}

// What a contact field holds (flows.FieldType). A newer server may send a
// type this UI does not know; it is offered every op, as 'any' is.
export type ContactFieldType = 'number' | 'text' | 'text_list' | 'bool' | 'time' | 'any'

// A row of the server's table of contact fields (flows/contact_fields.go).
export interface ContactFieldInfo {
  // A field name, or for a family its prefix ending in "." ("score.").
  name: string
  type: ContactFieldType
  doc: string
  family: boolean
  // action.set_field may write it.
  settable: boolean
  // Contacts may lack it, so "is set" / "is not set" are offered.
  optional: boolean
  // A condition on it needs "within" (score_change: points gained minus
  // lost in that window) and compares numbers. Absent from older servers.
  window?: boolean
  // Read off the contact's account (account.score, account.attributes.…).
  account?: boolean
}

// GET /api/v1/scoring-matrix
export interface ScoringCondition { node_id: string; branch: 'yes' | 'no'; where: Filter; text: string }
export interface ScoringRule {
  flow_id: string
  flow_name: string
  flow_version: number
  node_id: string
  trigger: { node_id: string; type: string; config?: Record<string, unknown> }
  trigger_text: string
  conditions: ScoringCondition[]
  delays: string[]
  entry: Entry
  dimension: string
  points: number
}

// GET /api/v1/dashboard
export interface Dashboard {
  contacts: number
  grades: { grade: string; count: number }[]
  score_histogram: { from: number; to: number; count: number }[]
  events_per_minute: { minute: string; count: number }[]
  busiest_flows: { id: string; name: string; runs: number; failed: number }[]
  recent_disqualifications: { id: string; email?: string; reason: string; at: string }[]
}

// POST /api/v1/segments/preview
export interface SegmentPreview { count: number; sample: Contact[] }

// Keys and audit (CONTRACT §10).
export type KeyScope = 'admin' | 'write' | 'read'

// GET /api/v1/keys: never the secrets.
export interface ApiKey {
  id: string
  name: string
  scope: KeyScope
  created_at: string
  last_used_at: string | null
  // The --admin-key / --write-key flags: listed, not revocable.
  builtin?: boolean
}

// POST /api/v1/keys: the only answer that holds the secret.
export interface CreatedKey {
  id: string
  name: string
  scope: KeyScope
  key: string
  created_at?: string
}

// GET /api/v1/audit
export interface AuditEntry {
  id?: string | number
  at: string
  key: string
  action: string
  target: string
  version?: number | null
}
// Accounts (companies): GET /api/v1/accounts, /api/v1/accounts/{id}.
export type AccountScoreMode = 'sum' | 'max' | 'avg'

export interface Account {
  id: string
  name: string
  attributes: Record<string, unknown>
  scores: Record<string, number>
  score: number
  grade: string
  // How many contacts belong to it.
  contacts: number
  created_at?: string
  updated_at?: string
}

// GET /api/v1/accounts/{id}/history: the total after each member's change.
export interface AccountPoint { at: string; score: number }

// GET /api/v1/cluster (CONTRACT §7): the stream's partitions and the
// replicas applying them. `lag` (the backlog per partition) is an extension
// a server may leave out.
export interface ClusterReplica {
  id: string
  http: string
  partitions: number[]
  seen_at: string
}

export interface PartitionLag {
  partition: number
  owner: string
  pending: number
}

export interface ClusterInfo {
  partitions: number
  replicas: ClusterReplica[]
  lag?: PartitionLag[]
}
