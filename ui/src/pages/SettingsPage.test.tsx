import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setMe } from '../access'
import type { Settings } from '../types'
import SettingsPage from './SettingsPage'
import { stubFetch, type Call } from './fetchStub'

// The settings of CONTRACT §4.
const fixture: Settings = {
  scores: [
    { name: 'engagement', min: -100, max: 500, decay: { every: '30d', percent: 25 } },
    { name: 'fit', min: 0, max: 100 },
  ],
  grades: [
    { name: 'cold', min: null },
    { name: 'warm', min: 20 },
    { name: 'hot', min: 50 },
  ],
  pipeline: ['new', 'mql', 'sql', 'opportunity', 'won', 'lost'],
}

// The server echoes what it stored.
const echo = (c: Call) => ({ body: c.body })

function setup(put: Parameters<typeof stubFetch>[0][string] = echo) {
  const stub = stubFetch({ 'GET /api/v1/settings': { body: fixture }, 'PUT /api/v1/settings': put })
  const user = userEvent.setup()
  render(
    <MemoryRouter>
      <SettingsPage />
    </MemoryRouter>,
  )
  const puts = () => stub.calls.filter((c) => c.method === 'PUT')
  return { user, puts }
}

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement
const stages = () => screen.getAllByTestId('settings-stage').map((li) => within(li).getByRole('textbox') as HTMLInputElement).map((i) => i.value)

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setMe(undefined)
})

describe('SettingsPage', () => {
  it('shows the settings it loaded', async () => {
    setup()
    expect(await screen.findByLabelText('Dimension 1 name')).toHaveValue('engagement')
    expect(input('Dimension 1 min')).toHaveValue('-100')
    expect(input('Dimension 1 max')).toHaveValue('500')
    expect(input('Dimension 1 decays')).toBeChecked()
    expect(input('Dimension 1 decay every')).toHaveValue('30d')
    expect(input('Dimension 1 decay percent')).toHaveValue('25')
    expect(input('Dimension 2 name')).toHaveValue('fit')
    expect(input('Dimension 2 decays')).not.toBeChecked()
    expect(screen.queryByLabelText('Dimension 2 decay every')).toBeNull()
    expect(input('Grade 1 name')).toHaveValue('cold')
    expect(input('Grade 1 min')).toHaveValue('')
    expect(input('Grade 1 min')).toHaveAttribute('placeholder', 'lowest')
    expect(input('Grade 3 min')).toHaveValue('50')
    expect(stages()).toEqual(fixture.pipeline)
  })

  it('saves the whole document with the edits', async () => {
    const { user, puts } = setup()
    await screen.findByLabelText('Dimension 1 name')

    await user.clear(input('Dimension 2 max')) // unbounded
    await user.click(input('Dimension 2 decays'))
    await user.clear(input('Dimension 2 decay every'))
    await user.type(input('Dimension 2 decay every'), '7d')
    await user.clear(input('Dimension 2 decay percent'))
    await user.type(input('Dimension 2 decay percent'), '10')
    await user.click(screen.getByRole('button', { name: 'Remove dimension engagement' }))
    await user.clear(input('Grade 2 min'))
    await user.type(input('Grade 2 min'), '25')
    await user.click(screen.getByRole('button', { name: 'Add grade' }))
    await user.type(input('Grade 4 name'), 'on fire')
    await user.type(input('Grade 4 min'), '100')
    await user.click(screen.getByTestId('settings-save'))

    expect(await screen.findByTestId('settings-saved')).toHaveTextContent('Settings saved.')
    expect(puts()).toHaveLength(1)
    expect(puts()[0].body).toEqual({
      scores: [{ name: 'fit', min: 0, max: null, decay: { every: '7d', percent: 10 } }],
      grades: [
        { name: 'cold', min: null },
        { name: 'warm', min: 25 },
        { name: 'hot', min: 50 },
        { name: 'on fire', min: 100 },
      ],
      pipeline: ['new', 'mql', 'sql', 'opportunity', 'won', 'lost'],
    })
    // An edit hides the success note until the next save.
    await user.type(input('Grade 4 name'), '!')
    expect(screen.queryByTestId('settings-saved')).toBeNull()
  })

  it('turning decay off sends no decay', async () => {
    const { user, puts } = setup()
    await screen.findByLabelText('Dimension 1 name')
    await user.click(input('Dimension 1 decays'))
    await user.click(screen.getByTestId('settings-save'))
    await screen.findByTestId('settings-saved')
    expect(puts()[0].body).toEqual({ ...fixture, scores: [{ name: 'engagement', min: -100, max: 500 }, fixture.scores[1]] })
  })

  it('shows the server’s 400 details next to the inputs they name', async () => {
    const { user, puts } = setup({
      status: 400,
      body: {
        error: {
          code: 'invalid_settings',
          message: 'the settings are invalid',
          details: [
            { path: 'scores[0].decay.percent', message: 'must be more than 0 and at most 100' },
            { path: 'grades[2].min', message: 'two grades share this lower bound' },
            { path: 'pipeline[3]', message: 'is used by flow mql-handoff' },
            { path: '', message: 'something without a field' },
          ],
        },
      },
    })
    await screen.findByLabelText('Dimension 1 name')
    await user.click(screen.getByTestId('settings-save'))

    const banner = await screen.findByTestId('settings-error')
    expect(puts()).toHaveLength(1)
    expect(banner).toHaveTextContent('the settings are invalid')
    // Details that name an input are shown there, not in the banner.
    expect(banner).toHaveTextContent('something without a field')
    expect(banner).not.toHaveTextContent('is used by flow')

    const percent = input('Dimension 1 decay percent')
    expect(percent).toHaveAttribute('aria-invalid', 'true')
    expect(percent.parentElement).toHaveTextContent('must be more than 0 and at most 100')
    expect(input('Grade 3 min').parentElement).toHaveTextContent('two grades share this lower bound')
    expect(input('Stage 4').parentElement).toHaveTextContent('is used by flow mql-handoff')
    expect(input('Stage 3')).not.toHaveAttribute('aria-invalid')
    expect(screen.queryByTestId('settings-saved')).toBeNull()

    // Editing an input clears its own error only.
    await user.type(input('Stage 4'), 's')
    expect(input('Stage 4')).not.toHaveAttribute('aria-invalid')
    expect(input('Grade 3 min')).toHaveAttribute('aria-invalid', 'true')
  })

  it('checks names, bounds, durations and percentages before saving', async () => {
    const { user, puts } = setup()
    await screen.findByLabelText('Dimension 1 name')
    await user.clear(input('Dimension 2 name'))
    await user.type(input('Dimension 2 name'), 'engagement')
    await user.clear(input('Dimension 2 min'))
    await user.type(input('Dimension 2 min'), '200')
    await user.clear(input('Dimension 1 decay every'))
    await user.type(input('Dimension 1 decay every'), '30 days')
    await user.clear(input('Dimension 1 decay percent'))
    await user.type(input('Dimension 1 decay percent'), '0')
    await user.clear(input('Grade 2 min'))
    await user.clear(input('Stage 2'))
    await user.click(screen.getByTestId('settings-save'))

    expect(await screen.findByTestId('settings-error')).toHaveTextContent('Fix the marked fields before saving.')
    expect(puts()).toHaveLength(0)
    expect(input('Dimension 2 name').parentElement).toHaveTextContent('duplicate score dimension "engagement"')
    expect(input('Dimension 2 min').parentElement).toHaveTextContent('must not be greater than max')
    expect(input('Dimension 1 decay every').parentElement).toHaveTextContent('must be a duration')
    expect(input('Dimension 1 decay percent').parentElement).toHaveTextContent('from 1 to 100')
    expect(input('Grade 2 min').parentElement).toHaveTextContent('is required')
    expect(input('Stage 2').parentElement).toHaveTextContent('is required')
  })

  it('adds, removes and reorders pipeline stages', async () => {
    const { user, puts } = setup()
    await screen.findByLabelText('Dimension 1 name')

    await user.type(input('New stage'), 'demo{Enter}')
    expect(stages()).toEqual(['new', 'mql', 'sql', 'opportunity', 'won', 'lost', 'demo'])
    expect(input('New stage')).toHaveValue('')

    await user.click(screen.getByRole('button', { name: 'Remove lost' }))
    await user.click(screen.getByRole('button', { name: 'Move demo up' }))
    await user.click(screen.getByRole('button', { name: 'Move demo up' }))
    await user.click(screen.getByRole('button', { name: 'Move new down' }))
    expect(stages()).toEqual(['mql', 'new', 'sql', 'demo', 'opportunity', 'won'])
    expect(screen.getByRole('button', { name: 'Move mql up' })).toBeDisabled()
    expect(screen.getByRole('button', { name: 'Move won down' })).toBeDisabled()

    await user.type(input('New stage'), 'nurture')
    await user.click(screen.getByRole('button', { name: 'Add stage' }))
    await user.click(screen.getByTestId('settings-save'))
    await screen.findByTestId('settings-saved')
    expect((puts()[0].body as Settings).pipeline).toEqual(['mql', 'new', 'sql', 'demo', 'opportunity', 'won', 'nurture'])
  })

  it('shows what the server stored after a save', async () => {
    // The server sorts grades by their lower bound.
    const { user } = setup((c) => {
      const s = c.body as Settings
      return { body: { ...s, grades: [...s.grades].sort((a, b) => (a.min ?? -Infinity) - (b.min ?? -Infinity)) } }
    })
    await screen.findByLabelText('Dimension 1 name')
    await user.clear(input('Grade 3 min'))
    await user.type(input('Grade 3 min'), '10')
    await user.click(screen.getByTestId('settings-save'))
    await screen.findByTestId('settings-saved')
    expect(input('Grade 2 name')).toHaveValue('hot')
    expect(input('Grade 3 name')).toHaveValue('warm')
  })

  it('is read-only for a read key: inputs disabled, no save, no Keys tab', async () => {
    setMe({ name: 'bi', scope: 'read', open: false })
    const { puts } = setup()
    expect(await screen.findByLabelText('Dimension 1 name')).toBeDisabled()
    expect(screen.getByRole('button', { name: 'Add grade' })).toBeDisabled()
    expect(screen.queryByTestId('settings-save')).toBeNull()
    expect(screen.queryByRole('link', { name: 'Keys' })).toBeNull()
    expect(puts()).toHaveLength(0)
  })

  it('offers the Keys tab to an admin key', async () => {
    setup()
    await screen.findByLabelText('Dimension 1 name')
    expect(screen.getByRole('link', { name: 'Keys' })).toHaveAttribute('href', '/settings/keys')
    expect(input('Dimension 1 name')).toBeEnabled()
  })
})
