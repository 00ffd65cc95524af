import { describe, expect, it } from 'vitest'
import type { Catalog, ContactFieldInfo } from '../../types'
import { contactFieldGroups, FALLBACK_CONTACT_FIELDS, fieldLabel, findContactField } from './contactFields'
import { fieldInfo } from './fields'

const catalog: Catalog = {
  event_types: [],
  tags: ['trial', 'vip'],
  fields: ['attributes.job_title', 'attributes.company_size', 'deal_stage', 'plan', 'score.fit'],
  scores: ['engagement', 'fit'],
  stages: ['new', 'mql'],
  segments: [{ id: 'mql', name: 'Marketing qualified' }],
}

const row = (name: string, type: ContactFieldInfo['type'], more: Partial<ContactFieldInfo> = {}): ContactFieldInfo => ({
  name, type, doc: `doc of ${name}`, family: name.endsWith('.'), settable: false, optional: false, ...more,
})

// What the picker offered before the server sent its table: the fallback
// must give exactly this.
const before = [
  { label: 'Score', options: [['score', 'Total score'], ['score.engagement', 'Score: engagement'], ['score.fit', 'Score: fit']] },
  {
    label: 'Contact',
    options: [['grade', 'Grade'], ['tags', 'Tags'], ['segments', 'Segments'], ['deal_stage', 'Deal stage'],
      ['disqualified', 'Disqualified'], ['created_at', 'Created at'], ['last_activity_at', 'Last activity at']],
  },
  { label: 'Attributes', options: [['company_size', 'company_size'], ['job_title', 'job_title'], ['plan', 'plan']].map(([a, l]) => [`attributes.${a}`, l]) },
]

const shape = (c?: Catalog) => contactFieldGroups(c).map((g) => ({ label: g.label, options: g.options.map((o) => [o.value, o.label]) }))

describe('contact field picker', () => {
  it.each([
    ['no contact_fields (older server)', catalog],
    ['an empty contact_fields', { ...catalog, contact_fields: [] }],
    ['the server sending the same table', { ...catalog, contact_fields: FALLBACK_CONTACT_FIELDS }],
  ])('%s: the groups of before', (_name, c) => {
    expect(shape(c)).toEqual(before)
  })

  it('without a catalog: the contact fields, no dimensions or attributes', () => {
    expect(shape(undefined).map((g) => [g.label, g.options.length])).toEqual([['Score', 1], ['Contact', 7], ['Attributes', 0]])
  })

  it('follows the server table: its rows, its order, its families', () => {
    const c: Catalog = {
      ...catalog,
      fields: [...catalog.fields, 'props.color'],
      contact_fields: [row('lead_source', 'text'), row('score', 'number'), row('score.', 'number'), row('props.', 'any'), row('attributes.', 'any')],
    }
    expect(shape(c)).toEqual([
      { label: 'Contact', options: [['lead_source', 'Lead source']] },
      { label: 'Score', options: [['score', 'Total score'], ['score.engagement', 'Score: engagement'], ['score.fit', 'Score: fit']] },
      // Another family offers the catalog's fields under its prefix.
      { label: 'Props', options: [['props.color', 'color']] },
      // props.color is the props family's; deal_stage, no field of this table, reads as an attribute.
      { label: 'Attributes', options: [['attributes.company_size', 'company_size'], ['attributes.deal_stage', 'deal_stage'], ['attributes.job_title', 'job_title'], ['attributes.plan', 'plan']] },
    ])
  })

  it('titles each option with its doc line', () => {
    const contact = contactFieldGroups(catalog)[1].options
    expect(contact.find((o) => o.value === 'last_activity_at')?.title).toBe("time of the contact's latest event")
  })

  it.each([
    ['last_activity_at', 'Last activity at'],
    ['score.', 'Score'],
    ['attributes.', 'Attributes'],
    ['deal_stage', 'Deal stage'],
    ['x', 'X'],
  ])('%s is labelled %s', (name, label) => {
    expect(fieldLabel(name)).toBe(label)
  })

  it.each([
    ['score', 'score'],
    ['score.fit', 'score.'],
    ['attributes.a.b', 'attributes.'],
    ['attributes.', 'attributes.'],
    ['scores', undefined],
    ['email', undefined],
  ])('%s is the row %s', (name, want) => {
    expect(findContactField(name, FALLBACK_CONTACT_FIELDS)?.name).toBe(want)
  })
})

describe('kinds and ops follow the row type', () => {
  const c: Catalog = {
    ...catalog,
    contact_fields: [
      ...FALLBACK_CONTACT_FIELDS,
      row('lead_source', 'text'),
      row('lists', 'text_list'),
      row('verified', 'bool'),
      row('converted_at', 'time'),
      row('unsubscribed_at', 'time', { optional: true }),
      row('visits', 'number'),
      row('blob', 'json' as ContactFieldInfo['type']),
      row('constructor', 'text'),
    ],
  }
  it.each([
    ['lead_source', 'text', ['eq', 'neq', 'in', 'nin']],
    ['lists', 'tags', ['contains', 'not_contains']],
    ['verified', 'bool', ['eq']],
    ['converted_at', 'time', ['older_than', 'newer_than', 'gt', 'lt']],
    ['unsubscribed_at', 'time', ['older_than', 'newer_than', 'gt', 'lt', 'exists', 'not_exists']],
    ['visits', 'number', ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'not_exists']],
    ['blob', 'any', expect.arrayContaining(['eq', 'starts_with', 'older_than', 'exists'])],
    // No option source found on Object.prototype.
    ['constructor', 'text', ['eq', 'neq', 'in', 'nin']],
    ['not_a_field', 'any', expect.arrayContaining(['eq', 'starts_with', 'older_than', 'exists'])],
  ])('%s: %s', (field, kind, ops) => {
    const info = fieldInfo(field, 'contact', c)
    expect(info.kind).toBe(kind)
    expect(info.ops).toEqual(ops)
  })

  it('keeps the option sources of grade, deal_stage, segments and tags, keyed by name', () => {
    expect(fieldInfo('grade', 'contact', { ...c, grades: ['a', 'b'] })).toMatchObject({ kind: 'enum', options: [{ value: 'a' }, { value: 'b' }] })
    expect(fieldInfo('grade', 'contact', c).options?.map((o) => o.value)).toEqual(['cold', 'warm', 'hot'])
    expect(fieldInfo('deal_stage', 'contact', c).options?.map((o) => o.value)).toEqual(['new', 'mql'])
    expect(fieldInfo('segments', 'contact', c)).toMatchObject({ kind: 'segments', options: [{ value: 'mql', label: 'Marketing qualified' }] })
    expect(fieldInfo('tags', 'contact', c)).toMatchObject({ kind: 'tags', suggestions: ['trial', 'vip'] })
  })

  it('takes the ops from the type, not the name', () => {
    // A server that made last_activity_at always present drops exists.
    const c2: Catalog = { ...catalog, contact_fields: [row('last_activity_at', 'time')] }
    expect(fieldInfo('last_activity_at', 'contact', c2).ops).toEqual(['older_than', 'newer_than', 'gt', 'lt'])
    // A field the server no longer lists takes every op.
    expect(fieldInfo('disqualified', 'contact', c2).kind).toBe('any')
  })
})
