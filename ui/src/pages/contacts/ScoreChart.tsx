// The total score over time, from the ledger.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { LedgerEntry } from '../../types'
import { scoreSeries } from './scoreSeries'

const DAY_MS = 24 * 3600 * 1000
const day = (t: number) => new Date(t).toLocaleDateString()
const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
const moment = (t: number) => new Date(t).toLocaleString()

// from is the contact's creation time: the score was 0 then, unless the
// history was cut short (the API returns at most its limit of entries).
export default function ScoreChart({ history, from }: { history: LedgerEntry[]; from?: string }) {
  const points = scoreSeries(history, { from, until: Date.now() })
  // Ticks name days, or hours when everything happened within two days.
  const span = points.length ? points[points.length - 1].t - points[0].t : 0
  const tick = span < 2 * DAY_MS ? time : day
  return (
    <div className="card" data-testid="score-chart">
      <h3>Total score over time</h3>
      {points.length === 0 ? (
        <p className="muted">No score changes yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ef" />
            <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={tick} />
            <YAxis allowDecimals={false} width={48} />
            <Tooltip labelFormatter={(t) => moment(Number(t))} formatter={(v) => [String(v), 'total']} />
            <Line type="stepAfter" dataKey="total" stroke="var(--accent)" strokeWidth={2} dot={points.length < 60} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  )
}
