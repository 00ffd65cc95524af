// Fixture rules for the scoring matrix tests, in the API's shape.
import type { ScoringRule } from '../../types'

const rule = (r: Partial<ScoringRule> & Pick<ScoringRule, 'flow_id' | 'flow_name' | 'node_id' | 'trigger_text' | 'dimension' | 'points'>): ScoringRule => ({
  flow_version: 1,
  trigger: { node_id: 't1', type: 'trigger.event' },
  conditions: [],
  delays: [],
  entry: { mode: 'every_time' },
  ...r,
})

const ceoOrCmo = { field: 'attributes.job_title', op: 'in', value: ['CEO', 'CMO'] }

export const matrixRules: ScoringRule[] = [
  rule({
    flow_id: 'pricing-interest', flow_name: 'Pricing page interest', node_id: 'a2',
    trigger: { node_id: 't1', type: 'trigger.page_visited', config: { url: '/pricing', match: 'contains' } },
    trigger_text: 'Visited a page containing /pricing',
    conditions: [{ node_id: 'c1', branch: 'no', where: ceoOrCmo, text: 'job title is CEO or CMO' }],
    dimension: 'engagement', points: 3,
  }),
  rule({
    flow_id: 'fit-company-size', flow_name: 'Fit: company of 25 or more', node_id: 'a7',
    trigger_text: 'Company size changed', entry: { mode: 'once' },
    dimension: 'fit', points: 10,
  }),
  rule({
    flow_id: 'pricing-interest', flow_name: 'Pricing page interest', node_id: 'a1',
    trigger: { node_id: 't1', type: 'trigger.page_visited', config: { url: '/pricing', match: 'contains' } },
    trigger_text: 'Visited a page containing /pricing',
    conditions: [{ node_id: 'c1', branch: 'yes', where: ceoOrCmo, text: 'job title is CEO or CMO' }],
    dimension: 'engagement', points: 10,
  }),
  rule({
    flow_id: 'unsubscribed', flow_name: 'Engagement: unsubscribed', node_id: 'a3',
    trigger_text: 'Unsubscribed from any email', dimension: 'engagement', points: -20,
  }),
  rule({
    flow_id: 'email-clicks', flow_name: 'Engagement: email clicks', node_id: 'a5',
    trigger_text: 'Clicked any email', entry: { mode: 'limited', max: 3, window: '30d' },
    dimension: 'engagement', points: 5,
  }),
  rule({
    flow_id: 'fit-trial', flow_name: 'Fit: trial of a larger company', node_id: 'a9',
    trigger_text: 'Signed up for trial',
    conditions: [{ node_id: 'c2', branch: 'yes', where: { field: 'attributes.company_size', op: 'gte', value: 25 }, text: 'company size at least 25' }],
    delays: ['30d'], entry: { mode: 'once' },
    dimension: 'fit', points: 15,
  }),
]
