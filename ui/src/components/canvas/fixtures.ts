// Node type specs shaped like GET /api/v1/node-types, for tests.
import type { Flow, NodeTypeSpec } from '../../types'

export const specs: NodeTypeSpec[] = [
  {
    type: 'trigger.page_visited',
    kind: 'trigger',
    title: 'Page visited',
    description: 'Starts the flow when a contact visits a page.',
    fields: [
      { name: 'url', type: 'string', required: true, description: 'The page.' },
      { name: 'match', type: 'string', default: 'contains', enum: ['exact', 'prefix', 'contains', 'glob', 'regex'], description: 'How.' },
    ],
  },
  {
    type: 'trigger.event',
    kind: 'trigger',
    title: 'Custom event',
    description: 'A custom event.',
    fields: [{ name: 'name', type: 'string', required: true, picker: 'event_type', description: 'Event type.' }],
  },
  {
    type: 'condition.if',
    kind: 'condition',
    title: 'If / else',
    description: 'Splits the flow.',
    fields: [{ name: 'where', type: 'filter', required: true, description: 'Filter.' }],
    branches: ['yes', 'no'],
  },
  { type: 'delay.wait', kind: 'delay', title: 'Wait', description: 'Waits.', fields: [{ name: 'for', type: 'duration', required: true, description: 'How long.' }] },
  {
    type: 'action.adjust_score',
    kind: 'action',
    title: 'Adjust score',
    description: 'Adds points.',
    fields: [
      { name: 'score', type: 'string', required: true, picker: 'score', description: 'Dimension.' },
      { name: 'points', type: 'integer', required: true, description: 'Points.' },
    ],
  },
  { type: 'action.add_tag', kind: 'action', title: 'Add tag', description: 'Adds a tag.', fields: [{ name: 'tag', type: 'string', required: true, picker: 'tag', description: 'Tag.' }] },
]

// The CONTRACT §3 example flow.
export function pricingFlow(): Flow {
  return {
    id: 'pricing-interest',
    name: 'Pricing page interest',
    enabled: true,
    entry: { mode: 'every_time' },
    nodes: [
      { id: 't1', type: 'trigger.page_visited', config: { url: '/pricing', match: 'contains' }, position: { x: 0, y: 0 } },
      { id: 'c1', type: 'condition.if', config: { where: { field: 'attributes.job_title', op: 'in', value: ['CEO', 'CMO'] } }, position: { x: 300, y: 0 } },
      { id: 'a1', type: 'action.adjust_score', config: { score: 'engagement', points: 10 }, position: { x: 600, y: -80 } },
      { id: 'a2', type: 'action.adjust_score', config: { score: 'engagement', points: 3 }, position: { x: 600, y: 80 } },
    ],
    edges: [
      { from: 't1', to: 'c1' },
      { from: 'c1', to: 'a1', branch: 'yes' },
      { from: 'c1', to: 'a2', branch: 'no' },
    ],
  }
}
