// The dashboard's three charts. Each shows a sentence instead of an empty
// chart when there is nothing to draw. Charts use recharts' `responsive`
// mode: they take the width of their card and a fixed height.
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import type { Dashboard } from '../../types'
import { bucketLabel, type GradeBar, type MinutePoint } from './series'

const chartStyle = { width: '100%', height: 220 }
const axisTick = { fontSize: 11 }

export function GradeChart({ bars, total }: { bars: GradeBar[]; total: number }) {
  return (
    <section className="card" data-testid="grade-chart" aria-labelledby="grade-chart-title">
      <h2 id="grade-chart-title">Contacts by grade</h2>
      {bars.length === 0 ? (
        <p className="muted">No grades are configured — add them in Settings.</p>
      ) : (
        <>
          <BarChart responsive style={chartStyle} data={bars} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={axisTick} />
            <YAxis allowDecimals={false} tick={axisTick} width={40} />
            <Tooltip />
            <Bar dataKey="count" name="Contacts" isAnimationActive={false}>
              {bars.map((b) => (
                <Cell key={b.grade} fill={b.colour} />
              ))}
            </Bar>
          </BarChart>
          <ul className="grade-counts">
            {bars.map((b) => (
              <li key={b.grade} data-grade={b.grade}>
                <span className="grade-swatch" style={{ background: b.colour }} aria-hidden="true" />
                <span className="grade-name">{b.label}</span>
                <span className="grade-count">{b.count.toLocaleString()}</span>
                <span className="muted small">{total > 0 ? `${Math.round((b.count / total) * 100)}%` : ''}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

export function ScoreHistogram({ buckets }: { buckets: Dashboard['score_histogram'] }) {
  const data = buckets.map((b) => ({ label: bucketLabel(b), count: b.count }))
  const empty = buckets.every((b) => b.count === 0)
  return (
    <section className="card" data-testid="score-histogram" aria-labelledby="score-histogram-title">
      <h2 id="score-histogram-title">Distribution of scores</h2>
      {empty ? (
        <p className="muted">No scores yet — contacts gain points when their events match a flow with an “Adjust score” action.</p>
      ) : (
        <BarChart responsive style={chartStyle} data={data} barCategoryGap={1} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={axisTick} />
          <YAxis allowDecimals={false} tick={axisTick} width={40} />
          <Tooltip />
          <Bar dataKey="count" name="Contacts" fill="var(--accent)" isAnimationActive={false} />
        </BarChart>
      )}
    </section>
  )
}

export function EventsChart({ series }: { series: MinutePoint[] }) {
  const total = series.reduce((n, p) => n + p.count, 0)
  return (
    <section className="card" data-testid="events-chart" aria-labelledby="events-chart-title">
      <h2 id="events-chart-title">
        Events per minute <span className="muted small">last hour · {total.toLocaleString()} events</span>
      </h2>
      {total === 0 ? (
        <p className="muted">No events in the last hour — events arrive from POST /api/v1/events, NATS, the Segment API or webhooks.</p>
      ) : (
        <AreaChart responsive style={chartStyle} data={series} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={axisTick} interval={9} />
          <YAxis allowDecimals={false} tick={axisTick} width={40} />
          <Tooltip />
          <Area
            type="monotone"
            dataKey="count"
            name="Events"
            stroke="var(--accent)"
            fill="var(--accent-soft)"
            isAnimationActive={false}
          />
        </AreaChart>
      )}
    </section>
  )
}
