// A finished run: the metrics of both sides, the charts and the movers.
import { Link } from 'react-router-dom'
import { better, formatAUC, formatLift, moverRows } from './charts'
import { BandCharts, DistributionChart, GradesChart, RocChart } from './LabCharts'
import type { RunResult } from './types'

export default function ResultView({ result, grades }: { result: RunResult; grades?: string[] }) {
  const { live, draft } = result
  const auc = better(live.outcome?.auc, draft.outcome?.auc)
  const lift = better(live.outcome?.lift_top_decile, draft.outcome?.lift_top_decile)
  return (
    <div className="lab-result" data-testid="lab-result">
      <section className="card lab-metrics" aria-label="Summary">
        <Metric label="Contacts" value={result.contacts.toLocaleString()} testId="lab-contacts" />
        <Metric label="Events replayed" value={result.events.toLocaleString()} testId="lab-events" />
        <Metric label="Converted" value={(draft.outcome?.converted ?? 0).toLocaleString()} testId="lab-converted" />
        {result.changed !== undefined && <Metric label="Contacts that change" value={result.changed.toLocaleString()} testId="lab-changed" />}
        <Compare label="ROC AUC" live={formatAUC(live.outcome?.auc)} draft={formatAUC(draft.outcome?.auc)} winner={auc} testId="lab-auc" />
        <Compare
          label="Top-decile lift"
          live={formatLift(live.outcome?.lift_top_decile)}
          draft={formatLift(draft.outcome?.lift_top_decile)}
          winner={lift}
          testId="lab-lift"
        />
      </section>
      <div className="grid cols-2">
        <DistributionChart live={live} draft={draft} />
        <GradesChart live={live} draft={draft} order={grades} />
        <BandCharts live={live} draft={draft} />
        <RocChart live={live} draft={draft} />
        <Movers result={result} />
      </div>
    </div>
  )
}

function Metric({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="lab-metric">
      <div className="muted small">{label}</div>
      <div className="lab-metric-value" data-testid={testId}>
        {value}
      </div>
    </div>
  )
}

function Compare({ label, live, draft, winner, testId }: { label: string; live: string; draft: string; winner?: string; testId: string }) {
  return (
    <div className="lab-metric" data-testid={testId}>
      <div className="muted small">{label}</div>
      <div className="lab-metric-value">
        <span className="muted">live</span> <span data-testid={`${testId}-live`}>{live}</span> · <span className="muted">draft</span>{' '}
        <span data-testid={`${testId}-draft`} className={winner === 'draft' ? 'pos' : winner === 'live' ? 'neg' : undefined}>
          {draft}
        </span>
      </div>
    </div>
  )
}

function Movers({ result }: { result: RunResult }) {
  const rows = moverRows(result.movers)
  return (
    <section className="card" data-testid="lab-movers" aria-labelledby="lab-movers-title">
      <h2 id="lab-movers-title">
        Movers <span className="muted small">largest change first</span>
      </h2>
      {rows.length === 0 ? (
        <p className="muted">No contact scores differently under the draft.</p>
      ) : (
        <div className="lab-scroll">
          <table className="compact">
            <thead>
              <tr>
                <th>Contact</th>
                <th className="num">Live</th>
                <th className="num">Draft</th>
                <th className="num">Change</th>
                <th>Grade</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.contact} data-testid="mover-row">
                  <td>
                    <Link to={`/contacts/${encodeURIComponent(m.contact)}`}>{m.contact}</Link>
                  </td>
                  <td className="num">{m.live_score}</td>
                  <td className="num">{m.draft_score}</td>
                  <td className={`num ${m.delta > 0 ? 'pos' : m.delta < 0 ? 'neg' : ''}`}>{m.delta > 0 ? `+${m.delta}` : m.delta}</td>
                  <td>
                    {m.gradeChanged ? (
                      <>
                        {m.live_grade || '—'} → <strong>{m.draft_grade || '—'}</strong>
                      </>
                    ) : (
                      m.draft_grade || '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
