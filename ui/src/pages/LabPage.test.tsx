import { cleanup, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Flow } from '../types'
import { stubFetch, type Call } from './fetchStub'
import LabPage from './LabPage'
import { loadDraft, stashedForCanvas, testOnLab } from './lab/draft'
import type { Eval, Run, RunResult } from './lab/types'

const catalog = { event_types: ['Booked call', 'Deal won'], tags: [], fields: [], scores: ['engagement', 'fit'], stages: ['new', 'won'], segments: [] }
const settings = {
  scores: [{ name: 'engagement' }, { name: 'fit' }],
  grades: [{ name: 'cold', min: null }, { name: 'warm', min: 20 }, { name: 'hot', min: 50 }],
  pipeline: ['new', 'won'],
}
const liveFlow: Flow = {
  id: 'pricing', name: 'Pricing interest', enabled: true, entry: { mode: 'every_time' },
  nodes: [{ id: 't1', type: 'trigger.page_visited', config: { url: '/pricing' } }, { id: 'a1', type: 'action.adjust_score', config: { score: 'engagement', points: 5 } }],
  edges: [{ from: 't1', to: 'a1' }],
}
const edited: Flow = { ...liveFlow, nodes: [liveFlow.nodes[0], { id: 'a1', type: 'action.adjust_score', config: { score: 'engagement', points: 25 } }] }

function evalOf(auc: number, lift: number, hot: number): Eval {
  return {
    histogram: [{ min: 0, max: 25, contacts: 10 - hot }, { min: 25, max: 50, contacts: hot }],
    grades: { cold: 10 - hot, warm: 0, hot },
    outcome: {
      converted: 4,
      bands: [
        { band: 'cold', min: null, max: 20, contacts: 10 - hot, converted: 1, rate: 1 / (10 - hot) },
        { band: 'warm', min: 20, max: 50, contacts: 0, converted: 0, rate: 0 },
        { band: 'hot', min: 50, max: null, contacts: hot, converted: 3, rate: 3 / hot },
      ],
      deciles: [{ band: '1', min: 0, max: 0, contacts: 1, converted: 0, rate: 0 }, { band: '10', min: 40, max: 50, contacts: 1, converted: 1, rate: 1 }],
      auc, lift_top_decile: lift,
      roc: [{ fpr: 0, tpr: 0 }, { fpr: 0.2, tpr: 0.7 }, { fpr: 1, tpr: 1 }],
    },
  }
}
const result: RunResult = {
  contacts: 10, events: 120, changed: 37,
  live: evalOf(0.61, 1.2, 2), draft: evalOf(0.83, 2.5, 4),
  movers: [{ contact: 'c-7', live_score: 5, draft_score: 45, live_grade: 'cold', draft_grade: 'warm' }],
}

// runAnswers answers GET /lab/runs/r1 with each run in turn, then the last forever.
function runAnswers(runs: Run[]) {
  let i = 0
  return () => ({ body: runs[Math.min(i++, runs.length - 1)] })
}

function routes(extra: Record<string, unknown> = {}) {
  return {
    'GET /api/v1/catalog': { body: catalog },
    'GET /api/v1/settings': { body: settings },
    'GET /api/v1/flows': { body: { flows: [liveFlow] } },
    ...extra,
  } as Parameters<typeof stubFetch>[0]
}

function Where() {
  const l = useLocation()
  return <div data-testid="location">{l.pathname + l.search}</div>
}

function renderLab() {
  return render(
    <MemoryRouter initialEntries={['/lab']}>
      <Routes>
        <Route path="/lab" element={<LabPage />} />
        <Route path="*" element={<Where />} />
      </Routes>
    </MemoryRouter>,
  )
}

const bodyOf = (calls: Call[], method: string, path: string) => calls.find((c) => c.method === method && c.path === path)?.body

afterEach(() => {
  cleanup()
  sessionStorage.clear()
  vi.unstubAllGlobals()
})

// The machine is shared and recharts is slow to draw under jsdom.
const slow = { timeout: 20_000 }

describe('LabPage', () => {
  it('runs the draft from the canvas: progress, then the result side by side', slow, async () => {
    testOnLab(edited)
    const { calls } = stubFetch(routes({
      'POST /api/v1/lab/runs': { status: 202, body: { id: 'r1' } },
      'GET /api/v1/lab/runs/r1': runAnswers([
        { id: 'r1', state: 'running', progress: 0.4 },
        { id: 'r1', state: 'running', progress: 0.4 },
        { id: 'r1', state: 'done', progress: 1, result },
      ]),
    }))
    renderLab()
    const user = userEvent.setup()
    // The edited flow replaces the live one of the same id.
    const row = await screen.findByTestId('draft-flow-pricing')
    await waitFor(() => expect(row).toHaveTextContent('replaces live'))
    // The event picker guessed the sale event from the catalog.
    await waitFor(() => expect(screen.getByTestId('outcome-event-name')).toHaveValue('Deal won'))
    await user.clear(screen.getByTestId('outcome-horizon'))
    await user.type(screen.getByTestId('outcome-horizon'), '30d')
    await user.click(screen.getByTestId('lab-run'))

    const progress = await screen.findByTestId('lab-progress')
    expect(progress).toHaveAttribute('value', '40')
    expect(screen.getByTestId('lab-progress-text')).toHaveTextContent('40%')
    const sent = bodyOf(calls, 'POST', '/api/v1/lab/runs') as { model: { add: Flow[]; remove: string[] }; outcome: unknown; from: string; to: string }
    expect(sent.model).toEqual({ base: 'live', add: [edited], remove: [] })
    expect(sent.outcome).toEqual({ event: 'Deal won', horizon: '30d' })
    expect(Date.parse(sent.to) - Date.parse(sent.from)).toBe(90 * 86_400_000)

    await screen.findByTestId('lab-result', {}, { timeout: 3000 })
    expect(screen.queryByTestId('lab-progress')).toBeNull()
    expect(screen.getByTestId('lab-auc-live')).toHaveTextContent('0.610')
    expect(screen.getByTestId('lab-auc-draft')).toHaveTextContent('0.830')
    expect(screen.getByTestId('lab-auc-draft')).toHaveClass('pos')
    expect(screen.getByTestId('lab-lift-draft')).toHaveTextContent('2.50×')
    expect(screen.getByTestId('lab-changed')).toHaveTextContent('37')
    expect(screen.getByTestId('lab-roc')).toHaveTextContent('AUC live 0.610 · draft 0.830')
    const bands = within(screen.getByTestId('lab-bands')).getAllByTestId('lab-bands-row')
    expect(bands.map((r) => r.textContent)).toEqual(['cold12.5% (1/8)16.7% (1/6)', 'warm— (0/0)— (0/0)', 'hot150% (3/2)75% (3/4)'])
    const deciles = within(screen.getByTestId('lab-deciles')).getAllByTestId('lab-deciles-row')
    expect(deciles.map((r) => r.firstChild?.textContent)).toEqual(['D1', 'top 10%'])
    expect(screen.getByTestId('lab-grade-hot')).toHaveTextContent('hot24')
    const mover = screen.getByTestId('mover-row')
    expect(mover).toHaveTextContent('c-7545+40cold → warm')
    expect(within(mover).getByRole('link')).toHaveAttribute('href', '/contacts/c-7')
  })

  it('cancels a running run', async () => {
    const { calls } = stubFetch(routes({
      'POST /api/v1/lab/runs': { status: 202, body: { id: 'r1' } },
      'GET /api/v1/lab/runs/r1': () =>
        ({ body: calls.some((x) => x.method === 'DELETE') ? { id: 'r1', state: 'cancelled', progress: 0.2 } : { id: 'r1', state: 'running', progress: 0.2 } }),
      'DELETE /api/v1/lab/runs/r1': { status: 204 },
    }))
    renderLab()
    const user = userEvent.setup()
    await user.type(screen.getByTestId('outcome-event-name'), 'Deal won')
    await user.click(screen.getByTestId('lab-run'))
    await user.click(await screen.findByTestId('lab-cancel'))
    await screen.findByTestId('lab-cancelled')
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/lab/runs/r1'])
    expect(screen.queryByTestId('lab-progress')).toBeNull()
  })

  it('says what the setup lacks instead of starting a run', async () => {
    const { calls } = stubFetch(routes({ 'GET /api/v1/catalog': { body: { ...catalog, event_types: [] } } }))
    renderLab()
    await userEvent.setup().click(screen.getByTestId('lab-run'))
    expect(await screen.findByTestId('lab-run-error')).toHaveTextContent('Pick the event that means a contact converted.')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
  })

  it('shows why the server refused the draft, naming the field', async () => {
    testOnLab(edited)
    stubFetch(routes({
      'POST /api/v1/lab/runs': {
        status: 400,
        body: { error: { code: 'invalid_model', message: 'flow pricing: node a1: points must be an integer', details: [{ path: 'model.add[0].nodes[1].config.points', message: 'must be an integer' }] } },
      },
    }))
    renderLab()
    const user = userEvent.setup()
    await waitFor(() => expect(screen.getByTestId('outcome-event-name')).toHaveValue('Deal won'))
    await user.click(screen.getByTestId('lab-run'))
    const err = await screen.findByTestId('lab-run-error')
    expect(err).toHaveTextContent('Could not start the run: flow pricing: node a1: points must be an integer')
    expect(err).toHaveTextContent('model.add[0].nodes[1].config.points: must be an integer')
    expect(screen.queryByTestId('lab-progress')).toBeNull()
  })

  it('shows the last run again after a reload', slow, async () => {
    sessionStorage.setItem('scoreflow.lab.run', JSON.stringify('r9'))
    stubFetch(routes({ 'GET /api/v1/lab/runs/r9': { body: { id: 'r9', state: 'done', progress: 1, result } } }))
    renderLab()
    expect(await screen.findByTestId('lab-auc-draft')).toHaveTextContent('0.830')
  })

  it('suggests a draft from history and opens it, each flow openable on the canvas', slow, async () => {
    const suggested: Flow = {
      id: 'suggest-event-booked-call', name: 'Suggested: Booked call', enabled: true, entry: { mode: 'every_time' },
      nodes: [{ id: 't1', type: 'trigger.event', config: { name: 'Booked call' } }, { id: 'a1', type: 'action.adjust_score', config: { score: 'fit', points: 18 } }],
      edges: [{ from: 't1', to: 'a1' }],
    }
    const { calls } = stubFetch(routes({
      'POST /api/v1/lab/suggest': {
        body: {
          auc: 0.91, holdout_auc: 0.88,
          features: [{ feature: 'event:Booked call', weight: 1.734, points: 18 }, { feature: 'page:/careers', weight: -0.4, points: -4 }],
          model: { base: 'live', add: [suggested] },
        },
      },
    }))
    renderLab()
    const user = userEvent.setup()
    await waitFor(() => expect(screen.getByTestId('outcome-event-name')).toHaveValue('Deal won'))
    await user.selectOptions(screen.getByTestId('suggest-score'), 'fit')
    await user.click(screen.getByTestId('suggest'))
    const rows = await screen.findAllByTestId('feature-row')
    expect(rows.map((r) => r.textContent)).toEqual(['event:Booked call1.734+18', 'page:/careers-0.400-4'])
    expect(screen.getByTestId('suggest-holdout-auc')).toHaveTextContent('0.880')
    expect(bodyOf(calls, 'POST', '/api/v1/lab/suggest')).toMatchObject({ outcome: { event: 'Deal won', horizon: '90d' }, score: 'fit' })

    await user.click(screen.getByTestId('open-as-draft'))
    expect(await screen.findByTestId('draft-flow-suggest-event-booked-call')).toHaveTextContent('added')
    expect(loadDraft().add).toEqual([suggested])

    await user.click(screen.getByTestId('draft-open-suggest-event-booked-call'))
    expect(await screen.findByTestId('location')).toHaveTextContent('/flows/new?from=lab')
    expect(stashedForCanvas()).toEqual(suggested)
  })

  it('shows the too-little-history answer as its message', async () => {
    stubFetch(routes({
      'POST /api/v1/lab/suggest': {
        status: 400,
        body: { error: { code: 'too_little_history', message: 'Suggest needs at least 50 conversions in the window; it has 12: 38 more are needed.' } },
      },
    }))
    renderLab()
    const user = userEvent.setup()
    await waitFor(() => expect(screen.getByTestId('outcome-event-name')).toHaveValue('Deal won'))
    await user.click(screen.getByTestId('suggest'))
    expect(await screen.findByTestId('suggest-error')).toHaveTextContent('Suggest needs at least 50 conversions in the window; it has 12: 38 more are needed.')
    expect(screen.queryByTestId('suggestion')).toBeNull()
  })

  it('applies after a confirmation naming how many contacts change, then shows the job', slow, async () => {
    sessionStorage.setItem('scoreflow.lab.run', JSON.stringify('r1'))
    testOnLab(edited)
    let jobsAsked = 0
    const { calls } = stubFetch(routes({
      'GET /api/v1/lab/runs/r1': { body: { id: 'r1', state: 'done', progress: 1, result } },
      'POST /api/v1/lab/runs/r1/apply': { status: 202, body: { job: 'rescore-1' } },
      'GET /api/v1/jobs': () => ({
        body: {
          jobs: [{ name: 'decay', schedule: '0 * * * *', outcome: 'ok' }],
          lab_jobs: [
            { id: 'rescore-0', run: 'r0', state: 'done', progress: 1, done: 3, total: 3, changed: 1 },
            jobsAsked++ === 0
              ? { id: 'rescore-1', run: 'r1', state: 'rescoring', progress: 0.5, done: 5, total: 10, changed: 0 }
              : { id: 'rescore-1', run: 'r1', state: 'done', progress: 1, done: 10, total: 10, changed: 37 },
          ],
        },
      }),
    }))
    renderLab()
    const user = userEvent.setup()
    await user.click(await screen.findByTestId('apply'))
    const dialog = screen.getByRole('dialog')
    expect(within(dialog).getByTestId('apply-count')).toHaveTextContent('37 contacts change score or grade.')
    expect(calls.some((c) => c.path.endsWith('/apply'))).toBe(false)
    // Cancel leaves everything as it was.
    await user.click(within(dialog).getByText('Cancel'))
    expect(screen.queryByRole('dialog')).toBeNull()

    await user.click(screen.getByTestId('apply'))
    await user.click(screen.getByTestId('apply-confirm'))
    expect(await screen.findByTestId('apply-job')).toHaveTextContent('rescore-1')
    await waitFor(() => expect(screen.getByTestId('apply-job-state')).toHaveTextContent('rescoring'))
    expect(screen.getByTestId('apply-job-progress')).toHaveAttribute('value', '50')
    expect(screen.getByTestId('apply-job')).toHaveTextContent('5 of 10 contacts')
    await waitFor(() => expect(screen.getByTestId('apply-job-state')).toHaveTextContent('done'), { timeout: 3000 })
    expect(screen.getByTestId('apply-job-changed')).toHaveTextContent('37 changed')
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/lab/runs/r1/apply'])
    // The draft is live now.
    expect(loadDraft()).toEqual({ add: [], remove: [] })
    expect(screen.getByTestId('lab-draft-empty')).toBeInTheDocument()
  })
})
