// The account's total score over time (loaded on demand with recharts).
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { AccountPoint } from '../../types'

const moment = (t: number) => new Date(t).toLocaleString()
const day = (t: number) => new Date(t).toLocaleDateString()

export default function AccountChart({ history }: { history: AccountPoint[] }) {
  const points = history.map((p) => ({ t: Date.parse(p.at), score: p.score }))
  return (
    <div className="card" data-testid="account-chart">
      <h3>Account score over time</h3>
      {points.length === 0 ? (
        <p className="muted">No score changes yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ef" />
            <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={day} />
            <YAxis allowDecimals={false} width={48} />
            <Tooltip labelFormatter={(t) => moment(Number(t))} formatter={(v) => [String(v), 'account score']} />
            <Line type="stepAfter" dataKey="score" stroke="var(--accent)" strokeWidth={2} dot={points.length < 60} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  )
}
