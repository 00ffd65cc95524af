// The dashboard (/): contacts and their grades and scores, the event rate of
// the last hour, the busiest flows and recent disqualifications. It refreshes
// itself every 10 seconds.
import { useDeferredValue, useMemo } from 'react'
import { adminKey, get } from '../api'
import { useAsync } from '../hooks'
import type { Dashboard as DashboardData, Settings } from '../types'
import { ChartPlaceholder, dashboardCharts } from './dashboard/lazyCharts'
import { BusiestFlows, RecentDisqualifications } from './dashboard/Tables'
import { curlExample, gradeBars, minuteSeries } from './dashboard/series'
import { useInterval } from './dashboard/useInterval'
import './dashboard/dashboard.css'

// How often the dashboard reloads while the tab is visible.
const refreshMs = 10_000

interface Loaded { data: DashboardData; at: Date }

export default function Dashboard() {
  // The time of each answer anchors the per-minute chart and the "updated" note.
  const dash = useAsync<Loaded>(async () => ({ data: await get<DashboardData>('/api/v1/dashboard'), at: new Date() }), [])
  // Settings give the order of grades; without them the dashboard's order is used.
  const settings = useAsync(() => get<Settings>('/api/v1/settings'), [])
  useInterval(dash.reload, refreshMs)

  const d = dash.data?.data
  const charts = dashboardCharts.use()
  // Drawing the charts takes a few hundred milliseconds on a cold start:
  // the numbers and tables are painted first, the charts in a background
  // render right after.
  const drawCharts = useDeferredValue(d !== undefined)
  const C = drawCharts ? charts.mod : undefined
  const bars = useMemo(() => (d ? gradeBars(d.grades ?? [], settings.data?.grades) : []), [d, settings.data])
  const series = useMemo(() => (dash.data ? minuteSeries(dash.data.data.events_per_minute ?? [], dash.data.at) : []), [dash.data])

  return (
    <div className="page">
      <h1>Dashboard</h1>
      {dash.error && (
        <div className="banner error" role="alert">
          Could not load the dashboard: {dash.error.message}
          {d ? ' — showing the last numbers, retrying every 10 s.' : ''}
        </div>
      )}
      {!d && dash.loading && <p className="muted">Loading…</p>}
      {d && (
        <>
          <section className="card">
            <div className="dashboard-headline">
              <div>
                <div className="muted">Contacts</div>
                <div className="dashboard-total" data-testid="dashboard-contacts">
                  {d.contacts.toLocaleString()}
                </div>
              </div>
              {dash.data && (
                <span className="muted small dashboard-updated" title="Refreshes every 10 seconds">
                  Updated {dash.data.at.toLocaleTimeString()}
                </span>
              )}
            </div>
            {d.contacts === 0 && <EmptyState />}
          </section>
          <div className="grid cols-2 dashboard-grid">
            {C ? <C.GradeChart bars={bars} total={d.contacts} /> : <ChartPlaceholder title="Contacts by grade" failed={charts.failed} />}
            {C ? <C.ScoreHistogram buckets={d.score_histogram ?? []} /> : <ChartPlaceholder title="Distribution of scores" failed={charts.failed} />}
            {C ? <C.EventsChart series={series} /> : <ChartPlaceholder title="Events per minute" failed={charts.failed} />}
            <BusiestFlows flows={d.busiest_flows ?? []} />
          </div>
          <div className="dashboard-grid">
            <RecentDisqualifications items={d.recent_disqualifications ?? []} />
          </div>
        </>
      )}
    </div>
  )
}

function EmptyState() {
  return (
    <div className="dashboard-empty" data-testid="dashboard-empty">
      <p>No contacts yet — send an event and a contact is created from its email:</p>
      <pre className="mono">{curlExample(window.location.origin, adminKey() !== '')}</pre>
      <p className="muted small">Then add flows that score what contacts do; this page refreshes every 10 seconds.</p>
    </div>
  )
}
