import { cleanup, render, screen, waitFor, within } from '@testing-library/react'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import Dashboard from './Dashboard'
import { dashboardFixture, emptyDashboard } from './dashboard/fixtures'
import { stubFetch } from './fetchStub'

const settings = {
  scores: [{ name: 'engagement', min: null, max: null }],
  grades: [{ name: 'cold', min: null }, { name: 'warm', min: 20 }, { name: 'hot', min: 50 }],
  pipeline: ['new'],
}

function renderDashboard() {
  return render(
    <MemoryRouter>
      <Dashboard />
    </MemoryRouter>,
  )
}

afterEach(() => {
  cleanup()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('Dashboard', () => {
  it('shows the numbers of the dashboard', async () => {
    // The fixture's events are at 10:58 and 10:59: "the last hour" must
    // hold them whenever the test runs.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-11-23T11:00:30Z'))
    stubFetch({ 'GET /api/v1/dashboard': { body: dashboardFixture }, 'GET /api/v1/settings': { body: settings } })
    renderDashboard()
    expect(await screen.findByTestId('dashboard-contacts')).toHaveTextContent('42')
    expect(screen.queryByTestId('dashboard-empty')).toBeNull()

    // Grades in the settings' order, then the one the settings no longer name.
    await waitFor(() => {
      const items = within(screen.getByTestId('grade-chart')).getAllByRole('listitem')
      expect(items.map((li) => [li.dataset.grade, li.querySelector('.grade-count')?.textContent])).toEqual([
        ['cold', '30'],
        ['warm', '6'],
        ['hot', '5'],
        ['legacy', '1'],
      ])
    })
    const swatch = (g: string) =>
      (screen.getByTestId('grade-chart').querySelector(`[data-grade="${g}"] .grade-swatch`) as HTMLElement).style.background
    expect(swatch('cold')).toBe('rgb(46, 120, 210)')
    expect(swatch('hot')).toBe('rgb(217, 45, 32)')
    expect(swatch('legacy')).toBe('rgb(152, 162, 179)')

    expect(screen.getByTestId('events-chart')).toHaveTextContent('10 events')
    expect(screen.getByTestId('score-histogram')).not.toHaveTextContent('No scores yet')

    const flows = within(screen.getByTestId('busiest-flows')).getAllByRole('row').slice(1)
    expect(flows[0]).toHaveTextContent('Pricing page interest1202')
    expect(within(flows[0]).getByRole('link')).toHaveAttribute('href', '/flows/pricing-interest')
    expect(within(flows[0]).getAllByRole('cell')[2]).toHaveClass('neg')

    const dq = within(screen.getByTestId('recent-disqualifications')).getAllByRole('row').slice(1)
    expect(dq).toHaveLength(2)
    expect(dq[0]).toHaveTextContent('spam@bad.test')
    expect(dq[0]).toHaveTextContent('Competitor')
    expect(within(dq[1]).getByRole('link', { name: 'student@uni.test' })).toHaveAttribute(
      'href',
      '/contacts/student%40uni.test',
    )
  })

  it('says how to get started when there are no contacts', async () => {
    stubFetch({ 'GET /api/v1/dashboard': { body: emptyDashboard }, 'GET /api/v1/settings': { body: settings } })
    renderDashboard()
    expect(await screen.findByTestId('dashboard-contacts')).toHaveTextContent('0')
    const empty = screen.getByTestId('dashboard-empty')
    expect(empty).toHaveTextContent('No contacts yet — send an event')
    expect(empty).toHaveTextContent(/curl -X POST http:\/\/localhost(:\d+)?\/api\/v1\/events/)
    expect(screen.getByTestId('busiest-flows')).toHaveTextContent('No flow has run in the last 24 hours')
    expect(screen.getByTestId('recent-disqualifications')).toHaveTextContent('No contact has been disqualified')
    // The charts are their own chunk: they may arrive after the numbers.
    expect(await screen.findByTestId('events-chart')).toHaveTextContent('No events in the last hour')
    expect(screen.getByTestId('score-histogram')).toHaveTextContent('No scores yet')
  })

  it('refreshes every 10 seconds', async () => {
    // Only intervals are faked, so Testing Library's own timeouts still run.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    let contacts = 1
    const { calls } = stubFetch({
      'GET /api/v1/dashboard': () => ({ body: { ...emptyDashboard, contacts: contacts++ } }),
      'GET /api/v1/settings': { body: settings },
    })
    renderDashboard()
    expect(await screen.findByTestId('dashboard-contacts')).toHaveTextContent('1')
    vi.advanceTimersByTime(10_000)
    await waitFor(() => expect(screen.getByTestId('dashboard-contacts')).toHaveTextContent('2'))
    expect(calls.filter((c) => c.path === '/api/v1/dashboard')).toHaveLength(2)
    expect(calls.filter((c) => c.path === '/api/v1/settings')).toHaveLength(1)
  })

  it('keeps the last numbers and says so when a refresh fails', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    let fail = false
    stubFetch({
      'GET /api/v1/dashboard': () =>
        fail ? { status: 500, body: { error: { code: 'internal', message: 'store unavailable' } } } : { body: dashboardFixture },
      'GET /api/v1/settings': { body: settings },
    })
    renderDashboard()
    expect(await screen.findByTestId('dashboard-contacts')).toHaveTextContent('42')
    fail = true
    vi.advanceTimersByTime(10_000)
    expect(await screen.findByRole('alert')).toHaveTextContent('store unavailable')
    expect(screen.getByTestId('dashboard-contacts')).toHaveTextContent('42')
  })
})
