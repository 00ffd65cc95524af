import { useState } from 'react'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Catalog, ContactFieldInfo, Filter } from '../types'
import FilterBuilder from './FilterBuilder'
import { FALLBACK_CONTACT_FIELDS } from './filter/contactFields'
import { splitList, joinList } from './filter/fields'
import { fromFilter, toFilter } from './filter/model'

// Vitest runs without globals here, so Testing Library cannot clean up by itself.
afterEach(cleanup)

const catalog: Catalog = {
  event_types: ['page_visited', 'Signed up for trial'],
  tags: ['trial', 'vip'],
  fields: ['attributes.job_title', 'attributes.company_size', 'deal_stage'],
  scores: ['engagement', 'fit'],
  stages: ['new', 'mql', 'sql'],
  segments: [
    { id: 'mql', name: 'Marketing qualified' },
    { id: 'dead-end', name: 'Dead end' },
  ],
}

// Harness is a controlled parent, as the segment and flow editors are: it
// stores what the builder emits and passes it back in.
function Harness({ initial, scope = 'contact', spy, cat = catalog }: { initial: unknown; scope?: 'contact' | 'event'; spy: (f: Filter | undefined) => void; cat?: Catalog }) {
  const [value, setValue] = useState(initial as Filter | undefined)
  return (
    <FilterBuilder
      value={value}
      scope={scope}
      catalog={cat}
      onChange={(f) => {
        spy(f)
        setValue(f)
      }}
    />
  )
}

function setup(initial: unknown, scope: 'contact' | 'event' = 'contact', cat: Catalog = catalog) {
  const spy = vi.fn<(f: Filter | undefined) => void>()
  const user = userEvent.setup()
  render(<Harness initial={initial} scope={scope} spy={spy} cat={cat} />)
  const last = () => spy.mock.calls.at(-1)?.[0]
  return { spy, user, last }
}

const score50 = { field: 'score', op: 'gte', value: 50 }
const notDisq = { field: 'disqualified', op: 'eq', value: false }
const deadEnd = {
  all: [
    { event: 'email_opened', within: '60d', count: { op: 'eq', value: 0 } },
    { field: 'attributes.job_title', op: 'in', value: ['student', 'unemployed'] },
    { event: 'page_visited', where: { field: 'url', op: 'contains', value: '/blog/' }, within: '60d', count: { op: 'eq', value: 0 } },
  ],
}

// Filters that must come back exactly as they went in.
const roundTrips: [string, unknown, ('contact' | 'event')?][] = [
  ['field leaf', score50],
  ['score dimension', { field: 'score.fit', op: 'lt', value: 10 }],
  ['attribute in', { field: 'attributes.job_title', op: 'in', value: ['CEO', 'CMO'] }],
  ['numeric list', { field: 'score', op: 'nin', value: [1, 2, 3] }],
  ['tags contains', { field: 'tags', op: 'contains', value: 'trial' }],
  ['segments contains', { field: 'segments', op: 'contains', value: 'mql' }],
  ['segments not_contains', { field: 'segments', op: 'not_contains', value: 'dead-end' }],
  ['disqualified', notDisq],
  ['grade in', { field: 'grade', op: 'in', value: ['warm', 'hot'] }],
  ['deal stage', { field: 'deal_stage', op: 'eq', value: 'mql' }],
  ['time older_than', { field: 'last_activity_at', op: 'older_than', value: '30d' }],
  ['time gt', { field: 'created_at', op: 'gt', value: '2026-01-01T00:00:00Z' }],
  ['exists', { field: 'attributes.phone', op: 'exists' }],
  ['boolean attribute', { field: 'attributes.newsletter', op: 'eq', value: true }],
  ['all', { all: [score50, notDisq] }],
  ['any with nested all', { any: [score50, { all: [{ field: 'tags', op: 'contains', value: 'vip' }, notDisq] }] }],
  ['explicit single all', { all: [score50] }],
  ['empty nested group', { all: [score50, { any: [] }] }],
  ['not leaf', { not: { field: 'grade', op: 'eq', value: 'cold' } }],
  ['not group', { not: { any: [score50, notDisq] } }],
  ['not inside all', { all: [{ not: score50 }, { not: { all: [notDisq] } }] }],
  ['bare behaviour', { event: 'page_visited' }],
  ['behaviour with where/within/count', { event: 'form_submitted', where: { all: [{ field: 'form', op: 'eq', value: 'demo' }, { field: 'plan', op: 'in', value: ['pro', 'team'] }] }, within: '30d', count: { op: 'gte', value: 2 } }],
  ['segment with behaviours (dead-end)', deadEnd],
  ['not behaviour', { not: { event: 'email_bounced', within: '7d' } }],
  ['unknown key kept as JSON', { field: 'score', op: 'gte', value: 50, note: 'hand-written' }],
  ['double negation kept as JSON', { not: { not: score50 } }],
  ['mixed list kept as JSON', { all: [score50, { field: 'attributes.x', op: 'in', value: [1, 'a'] }] }],
  ['object value kept as JSON', { any: [{ field: 'attributes.x', op: 'eq', value: { a: 1 } }, notDisq] }],
  ['unknown op kept', { field: 'score', op: 'between', value: 5 }],
  ['event property', { field: 'url', op: 'contains', value: '/pricing' }, 'event'],
  ['event any', { any: [{ field: 'email', op: 'eq', value: 'welcome' }, { field: 'link', op: 'ends_with', value: '/demo' }] }, 'event'],
  ['behaviour in event scope kept as JSON', { all: [{ field: 'url', op: 'exists' }, { event: 'x' }] }, 'event'],
]

describe('FilterBuilder round trip', () => {
  it.each(roundTrips)('%s: parse → write is unchanged', (_name, f, scope = 'contact') => {
    expect(toFilter(fromFilter(f, scope))).toEqual(f)
  })

  it.each(roundTrips)('%s: render emits nothing, then an edit and its undo emit it unchanged', async (_name, f, scope = 'contact') => {
    const { spy, user, last } = setup(f, scope)
    expect(screen.getByTestId('filter-builder')).toBeInTheDocument()
    expect(spy).not.toHaveBeenCalled()
    const toggle = screen.queryAllByTestId('filter-not')[0]
    if (toggle) {
      await user.click(toggle)
      expect(last()).not.toEqual(f)
      await user.click(screen.queryAllByTestId('filter-not')[0])
      expect(last()).toEqual(f)
    } else {
      // Only JSON nodes: retyping the same text emits the same filter.
      const text = screen.getAllByTestId('filter-json-text')[0]
      fireEvent.change(text, { target: { value: JSON.stringify(f) } })
      expect(last()).toEqual(f)
    }
  })

  it('shows what the form cannot edit as JSON, kept as written', () => {
    setup({ all: [score50, { field: 'score', op: 'gte', value: 50, note: 'x' }] })
    const json = screen.getByTestId('filter-json-text') as HTMLTextAreaElement
    expect(JSON.parse(json.value)).toEqual({ field: 'score', op: 'gte', value: 50, note: 'x' })
    expect(screen.getAllByTestId('filter-condition')).toHaveLength(1)
  })

  it('empty is undefined, and stays so without edits', () => {
    expect(toFilter(fromFilter(undefined, 'contact'))).toBeUndefined()
    setup(undefined)
    expect(screen.getByText(/every contact matches/)).toBeInTheDocument()
  })

  it('follows a value changed from outside', () => {
    const { rerender } = render(<FilterBuilder value={score50 as Filter} onChange={() => {}} scope="contact" catalog={catalog} />)
    expect(screen.getAllByTestId('filter-condition')).toHaveLength(1)
    rerender(<FilterBuilder value={{ all: [score50, notDisq] } as Filter} onChange={() => {}} scope="contact" catalog={catalog} />)
    expect(screen.getAllByTestId('filter-condition')).toHaveLength(2)
  })
})

// Each case: start value, what the user does, the JSON emitted last.
type Step = (user: ReturnType<typeof userEvent.setup>) => Promise<void>
const click = (testId: string, nth = 0): Step => (user) => user.click(screen.getAllByTestId(testId)[nth])
const select = (testId: string, value: string, nth = 0): Step => (user) => user.selectOptions(screen.getAllByTestId(testId)[nth], value)
const retype = (testId: string, text: string, nth = 0): Step => async (user) => {
  const input = screen.getAllByTestId(testId)[nth]
  await user.clear(input)
  if (text) await user.type(input, text)
}
const typeJSON = (text: string): Step => async () => {
  fireEvent.change(screen.getByTestId('filter-json-text'), { target: { value: text } })
}
const dflt = { field: 'score', op: 'gte', value: 0 }
const tagVip = { field: 'tags', op: 'contains', value: 'vip' }

const edits: [string, unknown, Step[], unknown][] = [
  ['add a condition to nothing: a bare leaf', undefined, [click('filter-add-condition')], dflt],
  ['add a second condition: wrapped in all', score50, [click('filter-add-condition')], { all: [score50, dflt] }],
  ['add a third condition', { all: [score50, notDisq] }, [click('filter-add-condition')], { all: [score50, notDisq, dflt] }],
  ['add to an any root', { any: [score50, notDisq] }, [click('filter-add-condition')], { any: [score50, notDisq, dflt] }],
  ['add a group to nothing', undefined, [click('filter-add-group')], { any: [dflt] }],
  ['add a group next to a leaf', score50, [click('filter-add-group')], { all: [score50, { any: [dflt] }] }],
  ['add a condition inside a group', { all: [score50, { any: [tagVip] }] }, [click('filter-group-add-condition')], { all: [score50, { any: [tagVip, dflt] }] }],
  ['add a behaviour', undefined, [click('filter-add-behaviour')], { event: 'page_visited' }],
  ['remove the second condition: unwrapped', { all: [score50, notDisq] }, [click('filter-remove', 1)], score50],
  ['remove the only condition: undefined', score50, [click('filter-remove')], undefined],
  ['remove inside a group', { all: [score50, { any: [tagVip, notDisq] }] }, [click('filter-remove', 3)], { all: [score50, { any: [tagVip] }] }],
  ['remove a group', { all: [score50, { any: [tagVip, notDisq] }] }, [click('filter-remove', 1)], score50],
  ['change the group kind', { all: [score50, notDisq] }, [select('filter-group-kind', 'any')], { any: [score50, notDisq] }],
  ['negate the root group', { all: [score50, notDisq] }, [click('filter-not')], { not: { all: [score50, notDisq] } }],
  ['negate a leaf', score50, [click('filter-not')], { not: score50 }],
  ['un-negate a leaf', { not: score50 }, [click('filter-not')], score50],
  ['negate a sub-group', { all: [score50, { any: [tagVip, notDisq] }] }, [click('filter-not', 2)], { all: [score50, { not: { any: [tagVip, notDisq] } }] }],
  ['numbers are numbers', dflt, [retype('filter-value', '50')], score50],
  ['decimals are numbers', dflt, [retype('filter-value', '-2.5')], { field: 'score', op: 'gte', value: -2.5 }],
  ['number lists are numbers', { field: 'score', op: 'in', value: [] }, [retype('filter-value', '1, 2,3')], { field: 'score', op: 'in', value: [1, 2, 3] }],
  ['text lists are text', { field: 'attributes.job_title', op: 'in', value: [] }, [retype('filter-value', 'CEO, "Head, Sales" ,CMO')], { field: 'attributes.job_title', op: 'in', value: ['CEO', 'Head, Sales', 'CMO'] }],
  ['an attribute typed as number', { field: 'attributes.company_size', op: 'eq', value: '' }, [select('filter-value-type', 'number'), retype('filter-value', '40')], { field: 'attributes.company_size', op: 'eq', value: 40 }],
  ['an attribute compared with gt is a number', { field: 'attributes.company_size', op: 'eq', value: 40 }, [select('filter-op', 'gt'), retype('filter-value', '100')], { field: 'attributes.company_size', op: 'gt', value: 100 }],
  ['disqualified is a boolean', notDisq, [select('filter-value', 'true')], { field: 'disqualified', op: 'eq', value: true }],
  ['switching to disqualified', dflt, [select('filter-field', 'disqualified')], { field: 'disqualified', op: 'eq', value: true }],
  ['exists takes no value', { field: 'attributes.phone', op: 'eq', value: 'x' }, [select('filter-op', 'exists')], { field: 'attributes.phone', op: 'exists' }],
  ['eq to in keeps the value as a list', { field: 'attributes.job_title', op: 'eq', value: 'CEO' }, [select('filter-op', 'in')], { field: 'attributes.job_title', op: 'in', value: ['CEO'] }],
  ['a text value moved to a numeric field becomes a number', { field: 'attributes.x', op: 'eq', value: '50' }, [select('filter-field', 'score')], { field: 'score', op: 'eq', value: 50 }],
  ['segments from the catalog', { field: 'segments', op: 'contains', value: 'mql' }, [select('filter-value', 'dead-end')], { field: 'segments', op: 'contains', value: 'dead-end' }],
  ['switching to segments picks one', dflt, [select('filter-field', 'segments')], { field: 'segments', op: 'contains', value: 'mql' }],
  ['deal stage from the catalog', dflt, [select('filter-field', 'deal_stage'), select('filter-value', 'sql')], { field: 'deal_stage', op: 'eq', value: 'sql' }],
  ['grade in via checkboxes', { field: 'grade', op: 'in', value: ['hot'] }, [(user) => user.click(screen.getByLabelText('warm'))], { field: 'grade', op: 'in', value: ['warm', 'hot'] }],
  ['time older than', dflt, [select('filter-field', 'last_activity_at')], { field: 'last_activity_at', op: 'older_than', value: '30d' }],
  ['another attribute by name', dflt, [select('filter-field', '__attribute__'), retype('filter-field-custom', 'plan')], { field: 'attributes.plan', op: 'eq', value: '' }],
  ['behaviour: within and exactly 0', { event: 'email_opened' }, [retype('filter-within', '60d'), select('filter-count-op', 'eq'), retype('filter-count-value', '0')], { event: 'email_opened', within: '60d', count: { op: 'eq', value: 0 } }],
  ['behaviour: at least 2', { event: 'page_visited' }, [select('filter-count-op', 'gte'), retype('filter-count-value', '2')], { event: 'page_visited', count: { op: 'gte', value: 2 } }],
  ['behaviour: back to at least once', { event: 'page_visited', count: { op: 'gte', value: 2 } }, [select('filter-count-op', '')], { event: 'page_visited' }],
  ['behaviour: clearing within drops it', { event: 'page_visited', within: '7d' }, [retype('filter-within', '')], { event: 'page_visited' }],
  ['behaviour: event type', { event: 'page_visited' }, [retype('filter-event', 'Signed up for trial')], { event: 'Signed up for trial' }],
  [
    'behaviour: property filter',
    { event: 'page_visited' },
    [click('filter-add-where'), click('filter-where-add-condition'), retype('filter-field', 'url'), select('filter-op', 'contains'), retype('filter-value', '/pricing')],
    { event: 'page_visited', where: { field: 'url', op: 'contains', value: '/pricing' } },
  ],
  [
    'behaviour: second property condition',
    { event: 'page_visited', where: { field: 'url', op: 'contains', value: '/pricing' } },
    [click('filter-where-add-condition'), retype('filter-field', 'title', 1)],
    { event: 'page_visited', where: { all: [{ field: 'url', op: 'contains', value: '/pricing' }, { field: 'title', op: 'eq', value: '' }] } },
  ],
  ['behaviour: removing the property filter', { event: 'page_visited', where: { field: 'url', op: 'exists' } }, [click('filter-remove', 1)], { event: 'page_visited' }],
  ['leaf to JSON and back keeps it', score50, [select('filter-leaf-kind', 'raw'), click('filter-json-form')], score50],
  ['leaf to behaviour', score50, [select('filter-leaf-kind', 'behaviour')], { event: 'page_visited' }],
  ['JSON edited by hand', { field: 'score', op: 'gte', value: 1, x: 1 }, [typeJSON('{"field":"grade","op":"eq","value":"hot"}')], { field: 'grade', op: 'eq', value: 'hot' }],
  ['event scope: add condition', undefined, [click('filter-add-condition')], { field: '', op: 'eq', value: '' }],
]

describe('FilterBuilder edits', () => {
  it.each(edits)('%s', async (_name, initial, steps, want) => {
    const scope = _name.startsWith('event scope') ? 'event' : 'contact'
    const { spy, user, last } = setup(initial, scope)
    for (const step of steps) await step(user)
    expect(spy).toHaveBeenCalled()
    expect(last()).toEqual(want)
  })

  it('invalid JSON is not applied', async () => {
    const { spy } = setup({ field: 'score', op: 'gte', value: 1, x: 1 })
    fireEvent.change(screen.getByTestId('filter-json-text'), { target: { value: '{"field": ' } })
    expect(spy).not.toHaveBeenCalledWith(undefined)
    expect(screen.getByText(/Not valid JSON/)).toBeInTheDocument()
  })
})

const opsOf = () => within(screen.getByTestId('filter-op')).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)

describe('FilterBuilder operators follow the field', () => {
  it.each([
    ['score', ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'not_exists']],
    ['score.fit', ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'not_exists']],
    ['tags', ['contains', 'not_contains']],
    ['segments', ['contains', 'not_contains']],
    ['disqualified', ['eq']],
    ['grade', ['eq', 'neq', 'in', 'nin']],
    ['deal_stage', ['eq', 'neq', 'in', 'nin']],
    ['created_at', ['older_than', 'newer_than', 'gt', 'lt']],
    ['last_activity_at', ['older_than', 'newer_than', 'gt', 'lt', 'exists', 'not_exists']],
  ])('%s', async (field, ops) => {
    const { user } = setup(dflt)
    await user.selectOptions(screen.getByTestId('filter-field'), field)
    expect(opsOf()).toEqual(ops)
  })

  it('attributes get text, number and time ops', async () => {
    const { user } = setup(dflt)
    await user.selectOptions(screen.getByTestId('filter-field'), 'attributes.job_title')
    expect(opsOf()).toEqual(expect.arrayContaining(['eq', 'in', 'nin', 'contains', 'not_contains', 'starts_with', 'ends_with', 'gt', 'exists', 'not_exists']))
  })

  it('keeps an op the field does not offer', () => {
    setup({ field: 'tags', op: 'exists' })
    expect(opsOf()).toEqual(['contains', 'not_contains', 'exists'])
  })

  it('offers score dimensions and attributes from the catalog', () => {
    setup(dflt)
    const values = within(screen.getByTestId('filter-field')).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)
    expect(values).toEqual(expect.arrayContaining(['score', 'score.engagement', 'score.fit', 'attributes.job_title', 'attributes.company_size', 'deal_stage']))
    // deal_stage comes once, as a contact field, not as an attribute.
    expect(values.filter((v) => v === 'deal_stage')).toHaveLength(1)
  })

  it.each([
    ['exists', { field: 'attributes.phone', op: 'exists' }],
    ['not_exists', { field: 'score', op: 'not_exists' }],
  ])('no value input for %s', (_op, f) => {
    setup(f)
    expect(screen.queryByTestId('filter-value')).not.toBeInTheDocument()
  })

  it('uses a number input for numeric fields and a select for disqualified', () => {
    setup({ all: [score50, notDisq] })
    const [num, bool] = screen.getAllByTestId('filter-value')
    expect(num).toHaveValue('50')
    expect(num.tagName).toBe('INPUT')
    expect(bool.tagName).toBe('SELECT')
  })
})

// The server's table of contact fields decides the picker and the ops; the
// built-in fallback stands in for servers that do not send it.
describe('FilterBuilder with the catalog\'s contact fields', () => {
  const row = (name: string, type: ContactFieldInfo['type'], optional = false): ContactFieldInfo => ({
    name, type, doc: `the ${name}`, family: false, settable: false, optional,
  })
  const withFields: Catalog = {
    ...catalog,
    contact_fields: [
      ...FALLBACK_CONTACT_FIELDS.filter((f) => f.name !== 'deal_stage'),
      row('lead_source', 'text'),
      row('lists', 'text_list'),
      row('verified', 'bool'),
      row('unsubscribed_at', 'time', true),
      row('visits', 'number'),
    ],
  }
  const fieldValues = () => within(screen.getByTestId('filter-field')).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)

  it('offers fields only the catalog names, and not those it dropped', () => {
    setup(dflt, 'contact', withFields)
    const values = fieldValues()
    expect(values).toEqual(expect.arrayContaining(['score', 'score.fit', 'grade', 'lead_source', 'lists', 'verified', 'unsubscribed_at', 'visits']))
    expect(values).not.toContain('deal_stage')
    const option = within(screen.getByTestId('filter-field')).getByRole('option', { name: 'Unsubscribed at' })
    expect(option).toHaveAttribute('title', 'the unsubscribed_at')
  })

  it.each([
    ['lead_source', ['eq', 'neq', 'in', 'nin']],
    ['lists', ['contains', 'not_contains']],
    ['verified', ['eq']],
    ['unsubscribed_at', ['older_than', 'newer_than', 'gt', 'lt', 'exists', 'not_exists']],
    ['visits', ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'not_exists']],
    ['grade', ['eq', 'neq', 'in', 'nin']],
  ])('%s gets the ops of its type', async (field, ops) => {
    const { user } = setup(dflt, 'contact', withFields)
    await user.selectOptions(screen.getByTestId('filter-field'), field)
    expect(opsOf()).toEqual(ops)
  })

  it.each([
    ['a text field without choices takes typed text', [select('filter-field', 'lead_source'), retype('filter-value', 'ads')], { field: 'lead_source', op: 'eq', value: 'ads' }],
    ['a text field without choices takes a typed list', [select('filter-field', 'lead_source'), select('filter-op', 'in'), retype('filter-value', 'ads, seo')], { field: 'lead_source', op: 'in', value: ['ads', 'seo'] }],
    ['a new text list', [select('filter-field', 'lists'), retype('filter-value', 'newsletter')], { field: 'lists', op: 'contains', value: 'newsletter' }],
    ['a new boolean', [select('filter-field', 'verified'), select('filter-value', 'false')], { field: 'verified', op: 'eq', value: false }],
    ['a new optional time', [select('filter-field', 'unsubscribed_at'), select('filter-op', 'not_exists')], { field: 'unsubscribed_at', op: 'not_exists' }],
    ['a new number keeps the op and value', [select('filter-field', 'visits')], { field: 'visits', op: 'gte', value: 0 }],
  ] as [string, Step[], unknown][])('%s', async (_name, steps, want) => {
    const { user, last } = setup(dflt, 'contact', withFields)
    for (const step of steps) await step(user)
    expect(last()).toEqual(want)
  })

  it('grade keeps its choices from the catalog', async () => {
    const { user, last } = setup(dflt, 'contact', { ...withFields, grades: ['a', 'b'] })
    await user.selectOptions(screen.getByTestId('filter-field'), 'grade')
    await user.selectOptions(screen.getByTestId('filter-value'), 'b')
    expect(last()).toEqual({ field: 'grade', op: 'eq', value: 'b' })
  })

  it.each([
    ['no contact_fields', catalog],
    ['empty contact_fields', { ...catalog, contact_fields: [] }],
  ])('falls back to the built-in fields with %s', async (_name, cat) => {
    const { user } = setup(dflt, 'contact', cat)
    expect(fieldValues()).toEqual(['score', 'score.engagement', 'score.fit', 'grade', 'tags', 'segments', 'deal_stage', 'disqualified',
      'created_at', 'last_activity_at', 'attributes.company_size', 'attributes.job_title', '__attribute__'])
    await user.selectOptions(screen.getByTestId('filter-field'), 'last_activity_at')
    expect(opsOf()).toEqual(['older_than', 'newer_than', 'gt', 'lt', 'exists', 'not_exists'])
  })

  it('works before the catalog has loaded', async () => {
    const spy = vi.fn<(f: Filter | undefined) => void>()
    const user = userEvent.setup()
    render(<FilterBuilder value={dflt as Filter} scope="contact" onChange={spy} />)
    expect(fieldValues()).toEqual(expect.arrayContaining(['score', 'grade', 'deal_stage', 'last_activity_at']))
    await user.selectOptions(screen.getByTestId('filter-field'), 'disqualified')
    expect(spy).toHaveBeenLastCalledWith({ field: 'disqualified', op: 'eq', value: true })
  })
})

describe('FilterBuilder in event scope', () => {
  it('hides behaviour conditions', () => {
    setup({ field: 'url', op: 'contains', value: '/pricing' }, 'event')
    expect(screen.queryByTestId('filter-add-behaviour')).not.toBeInTheDocument()
    const kinds = within(screen.getByTestId('filter-leaf-kind')).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)
    expect(kinds).toEqual(['field', 'raw'])
    // The property is free text.
    expect(screen.getByTestId('filter-field').tagName).toBe('INPUT')
  })

  it('shows a behaviour leaf found in an event filter as JSON', () => {
    setup({ event: 'page_visited' }, 'event')
    expect(screen.queryByTestId('filter-behaviour')).not.toBeInTheDocument()
    expect(screen.getByTestId('filter-json')).toBeInTheDocument()
  })

  it('the property filter of a behaviour is an event filter', async () => {
    const { user } = setup({ event: 'page_visited', where: { field: 'url', op: 'exists' } })
    const where = screen.getByTestId('filter-where')
    expect(within(where).queryByTestId('filter-where-add-behaviour')).not.toBeInTheDocument()
    expect(within(where).getByTestId('filter-field').tagName).toBe('INPUT')
    await user.click(within(where).getByTestId('filter-where-add-condition'))
    expect(within(where).getAllByTestId('filter-condition')).toHaveLength(2)
  })
})

describe('list text', () => {
  it.each([
    ['a, b,c', ['a', 'b', 'c']],
    [' a ,, b ', ['a', 'b']],
    ['"a, b", c', ['a, b', 'c']],
    ['"say ""hi""", x', ['say "hi"', 'x']],
    ['', []],
  ])('%j splits into %j', (text, items) => {
    expect(splitList(text)).toEqual(items)
  })

  it.each([[['a', 'b, c', 'd"e']], [[1, 2]], [[' padded ']]])('%j survives join and split', (items) => {
    expect(splitList(joinList(items)).map(String)).toEqual(items.map(String))
  })
})

// Score velocity: the catalog marks score_change and score_change.<dim>
// with window, and the builder offers them with a "within" duration.
describe('FilterBuilder score velocity', () => {
  const velocity: Catalog = {
    ...catalog,
    contact_fields: [
      ...FALLBACK_CONTACT_FIELDS.slice(0, 2),
      { name: 'score_change', type: 'number', doc: 'points gained minus points lost within a window', family: false, settable: false, optional: false, window: true },
      { name: 'score_change.', type: 'number', doc: 'on one dimension', family: true, settable: false, optional: false, window: true },
      ...FALLBACK_CONTACT_FIELDS.slice(2),
    ],
  }
  const heating = { field: 'score_change.engagement', within: '7d', op: 'gte', value: 20 }
  const fieldOptions = () => within(screen.getByTestId('filter-field')).getAllByRole('option') as HTMLOptionElement[]

  it('offers the total and each dimension, grouped as a score change', () => {
    setup(dflt, 'contact', velocity)
    const values = fieldOptions().map((o) => o.value)
    expect(values).toEqual(expect.arrayContaining(['score_change', 'score_change.engagement', 'score_change.fit']))
    const group = screen.getByRole('group', { name: 'Score change' })
    expect(within(group).getAllByRole('option').map((o) => o.textContent)).toEqual(['Total score change', 'Change of engagement', 'Change of fit'])
  })

  it('a score change starts with a 7-day window and numeric comparisons only', async () => {
    const { user, last } = setup(dflt, 'contact', velocity)
    expect(screen.queryByTestId('filter-within')).not.toBeInTheDocument()
    await user.selectOptions(screen.getByTestId('filter-field'), 'score_change.engagement')
    expect(opsOf()).toEqual(['gte', 'gt', 'lte', 'lt', 'eq', 'neq'])
    expect(last()).toEqual({ field: 'score_change.engagement', within: '7d', op: 'gte', value: 0 })
    await retype('filter-value', '20')(user)
    await retype('filter-within', '14d')(user)
    expect(last()).toEqual({ field: 'score_change.engagement', within: '14d', op: 'gte', value: 20 })
    // Back to a plain field: the window goes, the number stays.
    await user.selectOptions(screen.getByTestId('filter-field'), 'score')
    expect(last()).toEqual({ field: 'score', op: 'gte', value: 20 })
    expect(screen.queryByTestId('filter-within')).not.toBeInTheDocument()
  })

  it('opens a saved score change as a form and writes it back as it was', async () => {
    const { user, last } = setup({ all: [heating, score50] }, 'contact', velocity)
    expect(screen.queryByTestId('filter-json')).not.toBeInTheDocument()
    expect(screen.getAllByTestId('filter-within')[0]).toHaveValue('7d')
    await retype('filter-value', '30')(user)
    expect(last()).toEqual({ all: [{ ...heating, value: 30 }, score50] })
    expect(toFilter(fromFilter({ not: heating }, 'contact'))).toEqual({ not: heating })
    expect(Object.keys(toFilter(fromFilter(heating, 'contact')) as object)).toEqual(['field', 'within', 'op', 'value'])
  })
})
