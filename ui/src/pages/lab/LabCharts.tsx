// The lab's charts: live and draft side by side. Each chart has its numbers
// in a small table under it too (what the tests and screen readers read).
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import {
  bandSeries,
  decileLabel,
  formatAUC,
  gradeSeries,
  histogramSeries,
  rocLine,
  type BandPoint,
} from './charts'
import type { Eval } from './types'

export const liveColour = '#98a2b3'
export const draftColour = 'var(--accent)'
const chartStyle = { width: '100%', height: 240 }
const axisTick = { fontSize: 11 }
const margin = { top: 8, right: 12, left: 0, bottom: 0 }

interface Sides { live: Eval; draft: Eval }

export function DistributionChart({ live, draft }: Sides) {
  const data = histogramSeries(live.histogram ?? [], draft.histogram ?? [])
  return (
    <section className="card" data-testid="lab-histogram" aria-labelledby="lab-histogram-title">
      <h2 id="lab-histogram-title">Score distribution</h2>
      {data.length === 0 ? (
        <p className="muted">No contact was scored in this window.</p>
      ) : (
        <BarChart responsive style={chartStyle} data={data} barCategoryGap={1} margin={margin}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={axisTick} />
          <YAxis tick={axisTick} width={40} />
          <Tooltip />
          <Legend />
          <Bar dataKey="live" name="Live" fill={liveColour} isAnimationActive={false} />
          <Bar dataKey="draft" name="Draft" fill={draftColour} isAnimationActive={false} />
        </BarChart>
      )}
    </section>
  )
}

export function GradesChart({ live, draft, order }: Sides & { order?: string[] }) {
  const data = gradeSeries(live.grades ?? {}, draft.grades ?? {}, order)
  return (
    <section className="card" data-testid="lab-grades" aria-labelledby="lab-grades-title">
      <h2 id="lab-grades-title">Contacts by grade</h2>
      {data.length === 0 ? (
        <p className="muted">No grades are configured.</p>
      ) : (
        <>
          <BarChart responsive style={chartStyle} data={data} margin={margin}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={axisTick} />
            <YAxis allowDecimals={false} tick={axisTick} width={40} />
            <Tooltip />
            <Legend />
            <Bar dataKey="live" name="Live" fill={liveColour} isAnimationActive={false} />
            <Bar dataKey="draft" name="Draft" fill={draftColour} isAnimationActive={false} />
          </BarChart>
          <table className="compact">
            <thead>
              <tr>
                <th>Grade</th>
                <th className="num">Live</th>
                <th className="num">Draft</th>
              </tr>
            </thead>
            <tbody>
              {data.map((g) => (
                <tr key={g.grade} data-testid={`lab-grade-${g.grade}`}>
                  <td>{g.label}</td>
                  <td className="num">{g.live.toLocaleString()}</td>
                  <td className="num">{g.draft.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}

const rate = (r: number | null) => (r === null ? '—' : `${r}%`)

function RateChart({ title, testId, data }: { title: string; testId: string; data: BandPoint[] }) {
  return (
    <section className="card" data-testid={testId} aria-labelledby={`${testId}-title`}>
      <h2 id={`${testId}-title`}>{title}</h2>
      {data.length === 0 ? (
        <p className="muted">No contact was judged in this window.</p>
      ) : (
        <>
          <BarChart responsive style={chartStyle} data={data} margin={margin}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={axisTick} />
            <YAxis tick={axisTick} width={40} unit="%" />
            <Tooltip />
            <Legend />
            <Bar dataKey="live" name="Live" fill={liveColour} unit="%" isAnimationActive={false} />
            <Bar dataKey="draft" name="Draft" fill={draftColour} unit="%" isAnimationActive={false} />
          </BarChart>
          <table className="compact">
            <thead>
              <tr>
                <th>Band</th>
                <th className="num">Live</th>
                <th className="num">Draft</th>
              </tr>
            </thead>
            <tbody>
              {data.map((b) => (
                <tr key={b.band} data-testid={`${testId}-row`}>
                  <td>{b.label}</td>
                  <td className="num" title={`${b.liveConverted} of ${b.liveContacts} converted`}>
                    {rate(b.live)} <span className="muted small">({b.liveConverted}/{b.liveContacts})</span>
                  </td>
                  <td className="num" title={`${b.draftConverted} of ${b.draftContacts} converted`}>
                    {rate(b.draft)} <span className="muted small">({b.draftConverted}/{b.draftContacts})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}

export function BandCharts({ live, draft }: Sides) {
  return (
    <>
      <RateChart title="Conversion rate by grade" testId="lab-bands" data={bandSeries(live.outcome?.bands, draft.outcome?.bands)} />
      <RateChart
        title="Conversion rate by score decile"
        testId="lab-deciles"
        data={bandSeries(live.outcome?.deciles, draft.outcome?.deciles, decileLabel)}
      />
    </>
  )
}

export function RocChart({ live, draft }: Sides) {
  const l = rocLine(live.outcome?.roc)
  const d = rocLine(draft.outcome?.roc)
  return (
    <section className="card" data-testid="lab-roc" aria-labelledby="lab-roc-title">
      <h2 id="lab-roc-title">
        ROC curve{' '}
        <span className="muted small">
          AUC live {formatAUC(live.outcome?.auc)} · draft {formatAUC(draft.outcome?.auc)}
        </span>
      </h2>
      {l.length === 0 && d.length === 0 ? (
        <p className="muted">No curve: the window needs both contacts that converted and contacts that did not.</p>
      ) : (
        <LineChart responsive style={chartStyle} margin={margin}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="fpr" domain={[0, 1]} tick={axisTick} name="False positive rate" />
          <YAxis type="number" dataKey="tpr" domain={[0, 1]} tick={axisTick} width={40} />
          <Tooltip />
          <Legend />
          <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#d0d5dd" strokeDasharray="4 4" />
          <Line data={l} dataKey="tpr" name="Live" stroke={liveColour} dot={false} strokeWidth={2} isAnimationActive={false} />
          <Line data={d} dataKey="tpr" name="Draft" stroke={draftColour} dot={false} strokeWidth={2} isAnimationActive={false} />
        </LineChart>
      )}
    </section>
  )
}
