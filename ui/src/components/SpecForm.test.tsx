import { useState } from 'react'
import { fireEvent, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Catalog, NodeTypeSpec } from '../types'
import SpecForm, { durationProblem, parseAny, type SpecFormProps } from './SpecForm'

// One field of every type, enum and picker.
const spec: NodeTypeSpec = {
  type: 'action.everything',
  kind: 'action',
  title: 'Everything',
  description: 'A node type with one field of each kind.',
  fields: [
    { name: 'label', type: 'string', required: true, description: 'A label for the step.' },
    { name: 'match', type: 'string', enum: ['exact', 'contains'], default: 'contains' },
    { name: 'event', type: 'string', picker: 'event_type' },
    { name: 'tag', type: 'string', picker: 'tag' },
    { name: 'field', type: 'string', picker: 'field' },
    { name: 'score', type: 'string', picker: 'score' },
    { name: 'segment', type: 'string', picker: 'segment', required: true },
    { name: 'stage', type: 'string', picker: 'stage' },
    { name: 'points', type: 'integer', required: true },
    { name: 'ratio', type: 'number' },
    { name: 'for', type: 'duration', default: '1d' },
    { name: 'notify', type: 'boolean' },
    { name: 'where', type: 'filter' },
    { name: 'props', type: 'event_filter' },
    { name: 'headers', type: 'string_map' },
    { name: 'value', type: 'any' },
  ],
}

const catalog: Catalog = {
  event_types: ['Signed up', 'page_visited'],
  tags: ['trial', 'vip'],
  fields: ['attributes.job_title', 'deal_stage'],
  scores: ['engagement', 'fit'],
  stages: ['new', 'mql', 'sql'],
  segments: [
    { id: 'hot-leads', name: 'Hot leads' },
    { id: 'dead-end', name: 'Dead end' },
  ],
}

// setup renders the form holding its value in state, as the editor does,
// and records every onChange payload.
function setup(initial: Record<string, unknown> = {}, props: Partial<SpecFormProps> = {}) {
  const onChange = vi.fn<(v: Record<string, unknown>) => void>()
  function Harness() {
    const [value, setValue] = useState(initial)
    return (
      <SpecForm
        spec={spec}
        value={value}
        catalog={catalog}
        onChange={(v) => {
          onChange(v)
          setValue(v)
        }}
        {...props}
      />
    )
  }
  const utils = render(<Harness />)
  return { onChange, user: userEvent.setup(), ...utils }
}

const last = (fn: ReturnType<typeof vi.fn>) => fn.mock.calls[fn.mock.calls.length - 1][0]
const optionValues = (el: HTMLElement) => [...el.querySelectorAll('option')].map((o) => o.getAttribute('value'))

describe('SpecForm controls', () => {
  const controls: [string, (el: HTMLElement) => void][] = [
    ['label', (el) => expect(el).toHaveAttribute('type', 'text')],
    ['match', (el) => {
      expect(el.tagName).toBe('SELECT')
      expect(optionValues(el)).toEqual(['', 'exact', 'contains'])
      expect(el.querySelector('option')).toHaveTextContent('default (contains)')
    }],
    ['event', (el) => {
      expect(el).toHaveAttribute('type', 'text')
      const list = document.getElementById(el.getAttribute('list')!)!
      expect(list.tagName).toBe('DATALIST')
      expect(optionValues(list)).toEqual(['Signed up', 'page_visited'])
    }],
    ['tag', (el) => expect(optionValues(document.getElementById(el.getAttribute('list')!)!)).toEqual(['trial', 'vip'])],
    ['field', (el) => expect(optionValues(document.getElementById(el.getAttribute('list')!)!)).toEqual(['attributes.job_title', 'deal_stage'])],
    ['score', (el) => expect(optionValues(document.getElementById(el.getAttribute('list')!)!)).toEqual(['engagement', 'fit'])],
    ['segment', (el) => {
      expect(el.tagName).toBe('SELECT')
      expect(optionValues(el)).toEqual(['', 'hot-leads', 'dead-end'])
      expect(within(el).getByRole('option', { name: 'Hot leads (hot-leads)' })).toBeInTheDocument()
    }],
    ['stage', (el) => {
      expect(el.tagName).toBe('SELECT')
      expect(optionValues(el)).toEqual(['', 'new', 'mql', 'sql'])
    }],
    ['points', (el) => {
      expect(el).toHaveAttribute('type', 'number')
      expect(el).toHaveAttribute('step', '1')
    }],
    ['ratio', (el) => {
      expect(el).toHaveAttribute('type', 'number')
      expect(el).not.toHaveAttribute('step')
    }],
    ['for', (el) => {
      expect(el).toHaveAttribute('type', 'text')
      expect(el).toHaveAttribute('placeholder', '1d')
    }],
    ['notify', (el) => expect(el).toHaveAttribute('type', 'checkbox')],
    ['where', (el) => {
      expect(el).toHaveAttribute('role', 'group')
      expect(el.querySelector('textarea, input, select, button')).not.toBeNull()
    }],
    ['props', (el) => expect(el).toHaveAttribute('role', 'group')],
    ['headers', (el) => {
      expect(el).toHaveAttribute('role', 'group')
      expect(within(el).getByRole('button', { name: 'Add headers entry' })).toBeInTheDocument()
    }],
    ['value', (el) => expect(el).toHaveAttribute('type', 'text')],
  ]

  it.each(controls)('%s', (name, check) => {
    setup()
    check(screen.getByLabelText(name, { exact: true }))
  })

  it('marks required fields, and only them', () => {
    setup()
    const required = [...document.querySelectorAll('.field')]
      .filter((f) => f.querySelector('.required'))
      .map((f) => f.querySelector('label')!.textContent)
    expect(required).toEqual(['label', 'segment', 'points'])
    expect(screen.getByLabelText('points')).toHaveAttribute('aria-required', 'true')
    expect(screen.getByLabelText('ratio')).not.toHaveAttribute('aria-required')
  })

  it('shows the description as help text tied to the control', () => {
    setup()
    const input = screen.getByLabelText('label')
    expect(input).toHaveAccessibleDescription('A label for the step.')
  })

  it('falls back to free text for segment and stage without a catalog', () => {
    setup({}, { catalog: undefined })
    expect(screen.getByLabelText('segment')).toHaveAttribute('type', 'text')
    expect(screen.getByLabelText('stage')).toHaveAttribute('type', 'text')
    expect(screen.getByLabelText('event')).not.toHaveAttribute('list')
  })

  it('keeps a value that is not in the catalog', () => {
    setup({ segment: 'gone' })
    const el = screen.getByLabelText('segment')
    expect(el).toHaveValue('gone')
    expect(within(el).getByRole('option', { name: 'gone (not found)' })).toBeInTheDocument()
  })

  it('says when a type has no fields', () => {
    render(<SpecForm spec={{ ...spec, fields: [] }} value={{}} onChange={() => {}} />)
    expect(screen.getByText('This step has no settings.')).toBeInTheDocument()
  })
})

describe('SpecForm onChange payloads', () => {
  const changes: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
    ['label', 'Hello', { points: 1 }, { points: 1, label: 'Hello' }],
    ['label', '', { label: 'x', points: 1 }, { points: 1 }],
    ['match', 'exact', {}, { match: 'exact' }],
    ['match', '', { match: 'exact' }, {}],
    ['segment', 'hot-leads', {}, { segment: 'hot-leads' }],
    ['stage', 'sql', {}, { stage: 'sql' }],
    ['event', 'Signed up', {}, { event: 'Signed up' }],
    ['points', '42', {}, { points: 42 }],
    ['points', '-7', { points: 1 }, { points: -7 }],
    ['points', '', { points: 1 }, {}],
    ['ratio', '0.25', {}, { ratio: 0.25 }],
    ['for', '72h', {}, { for: '72h' }],
    ['for', '', { for: '1d' }, {}],
    ['value', '10', {}, { value: 10 }],
    ['value', 'true', {}, { value: true }],
    ['value', 'hello', {}, { value: 'hello' }],
    ['value', '[1,2]', {}, { value: [1, 2] }],
    ['value', '', { value: 3 }, {}],
  ]
  it.each(changes)('%s = %j on %j → %j', (name, text, initial, want) => {
    const { onChange } = setup(initial)
    fireEvent.change(screen.getByLabelText(name, { exact: true }), { target: { value: text } })
    expect(onChange).toHaveBeenCalledTimes(1)
    expect(onChange).toHaveBeenCalledWith(want)
  })

  it('stores an integer as a number while typing', async () => {
    const { onChange, user } = setup()
    await user.type(screen.getByLabelText('points'), '-15')
    expect(last(onChange)).toEqual({ points: -15 })
    expect(typeof last(onChange).points).toBe('number')
  })

  it('flags a fractional integer but passes it on for validation', () => {
    const { onChange } = setup()
    fireEvent.change(screen.getByLabelText('points'), { target: { value: '1.5' } })
    expect(onChange).toHaveBeenCalledWith({ points: 1.5 })
    expect(screen.getByText('must be a whole number')).toBeInTheDocument()
    expect(screen.getByLabelText('points')).toHaveAttribute('aria-invalid', 'true')
  })

  it('keeps the spelling the user typed for the same number', () => {
    setup()
    const ratio = screen.getByLabelText('ratio')
    fireEvent.change(ratio, { target: { value: '1.0' } })
    expect(ratio).toHaveValue(1)
    expect((ratio as HTMLInputElement).value).toBe('1.0')
  })

  it('shows a value changed from outside (undo) instead of the draft', () => {
    const onChange = vi.fn()
    const { rerender } = render(<SpecForm spec={spec} value={{ points: 5 }} onChange={onChange} />)
    fireEvent.change(screen.getByLabelText('points'), { target: { value: '6' } })
    rerender(<SpecForm spec={spec} value={{ points: 5 }} onChange={onChange} />)
    expect(screen.getByLabelText('points')).toHaveValue(5)
  })

  it('toggles a boolean', async () => {
    const { onChange, user } = setup()
    await user.click(screen.getByLabelText('notify'))
    expect(last(onChange)).toEqual({ notify: true })
    await user.click(screen.getByLabelText('notify'))
    expect(last(onChange)).toEqual({ notify: false })
  })

  it('flags a malformed duration inline and still passes it on', () => {
    const { onChange } = setup()
    fireEvent.change(screen.getByLabelText('for'), { target: { value: '3 days' } })
    expect(onChange).toHaveBeenCalledWith({ for: '3 days' })
    expect(screen.getByText(/use a number and a unit/)).toBeInTheDocument()
    fireEvent.change(screen.getByLabelText('for'), { target: { value: '3d' } })
    expect(screen.queryByText(/use a number and a unit/)).not.toBeInTheDocument()
  })
})

describe('SpecForm string_map', () => {
  it('adds, edits and removes rows', async () => {
    const { onChange, user } = setup()
    await user.click(screen.getByRole('button', { name: 'Add headers entry' }))
    // An empty row is not a header yet.
    expect(onChange).not.toHaveBeenCalled()
    await user.type(screen.getByLabelText('headers name 1'), 'X-Key')
    await user.type(screen.getByLabelText('headers value 1'), 'abc')
    expect(last(onChange)).toEqual({ headers: { 'X-Key': 'abc' } })
    await user.click(screen.getByRole('button', { name: 'Add headers entry' }))
    await user.type(screen.getByLabelText('headers name 2'), 'X-Two')
    expect(last(onChange)).toEqual({ headers: { 'X-Key': 'abc', 'X-Two': '' } })
    await user.click(screen.getByRole('button', { name: 'Remove headers 1' }))
    expect(last(onChange)).toEqual({ headers: { 'X-Two': '' } })
    await user.click(screen.getByRole('button', { name: 'Remove headers 1' }))
    expect(last(onChange)).toEqual({})
    expect(screen.queryByLabelText('headers name 1')).not.toBeInTheDocument()
  })

  it('shows the rows of an existing map', () => {
    setup({ headers: { Authorization: 'Bearer x', 'X-A': '1' } })
    expect(screen.getByLabelText('headers name 1')).toHaveValue('Authorization')
    expect(screen.getByLabelText('headers value 2')).toHaveValue('1')
  })
})

describe('SpecForm errors', () => {
  it('shows each error next to its field and marks the control', () => {
    setup({}, { errors: { points: 'must be an integer', where: 'all[0].field: unknown field "zzz"' } })
    expect(screen.getByTestId('field-error-points')).toHaveTextContent('must be an integer')
    expect(screen.getByLabelText('points')).toHaveAttribute('aria-invalid', 'true')
    expect(screen.getByLabelText('points')).toHaveAccessibleDescription(/must be an integer/)
    expect(screen.getByTestId('field-error-where')).toHaveTextContent('unknown field "zzz"')
    expect(screen.getByLabelText('label')).not.toHaveAttribute('aria-invalid')
  })

  it('lists config keys the type does not have, with a way to remove them', async () => {
    const { onChange, user } = setup({ points: 1, colour: 'red' })
    expect(screen.getByTestId('field-error-colour')).toHaveTextContent('is not a field of action.everything')
    await user.click(screen.getByRole('button', { name: 'Remove' }))
    expect(last(onChange)).toEqual({ points: 1 })
  })
})

describe('value parsing', () => {
  it.each([
    ['42', 42],
    ['-1.5', -1.5],
    ['false', false],
    ['{"a":1}', { a: 1 }],
    ['null', 'null'],
    ['007', '007'],
    ['CEO', 'CEO'],
    ['  ', undefined],
  ])('parseAny(%j) → %j', (text, want) => expect(parseAny(text)).toEqual({ ok: true, value: want }))

  it.each([
    ['30m', undefined],
    ['72h', undefined],
    ['60d', undefined],
    ['1.5d', undefined],
    ['1h30m', undefined],
    ['', undefined],
    ['0d', 'must be longer than zero'],
    ['3 days', 'use a number and a unit, such as 30m, 72h or 60d'],
    ['10', 'use a number and a unit, such as 30m, 72h or 60d'],
  ])('durationProblem(%j) → %j', (s, want) => expect(durationProblem(s)).toBe(want))
})
