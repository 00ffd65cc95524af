// The scoring matrix (/scoring): every adjust-score rule of the enabled flows
// in one table, grouped by dimension, highest points first. Each row links to
// its node on the flow canvas.
import { useMemo, useState } from 'react'
import { Link } from 'react-router-dom'
import { get } from '../api'
import { useAsync } from '../hooks'
import type { ScoringRule } from '../types'
import {
  buildRows,
  dimensions,
  filterRows,
  formatPoints,
  groupRows,
  nodeLink,
  type DimensionGroup,
  type MatrixRow,
} from './scoring/rows'
import './scoring/scoring.css'

interface MatrixResponse { rules: ScoringRule[] }

export default function ScoringMatrix() {
  const { data, error, loading } = useAsync(() => get<MatrixResponse>('/api/v1/scoring-matrix'), [])
  const [text, setText] = useState('')
  const [dimension, setDimension] = useState('')

  const rows = useMemo(() => buildRows(data?.rules ?? []), [data])
  const dims = useMemo(() => dimensions(rows), [rows])
  const shown = useMemo(() => filterRows(rows, { text, dimension }), [rows, text, dimension])
  const groups = useMemo(() => groupRows(shown), [shown])

  return (
    <div className="page">
      <h1>Scoring matrix</h1>
      <p className="muted">
        Every score rule of the enabled flows, as a scoring sheet. Open a row to edit its node on the flow canvas.
      </p>
      {error && <div className="banner error">Could not load the scoring rules: {error.message}</div>}
      {loading && !data && <p className="muted">Loading…</p>}
      {data && rows.length === 0 && (
        <div className="card">
          No scoring rules yet — add an “Adjust score” action to a flow and enable it. <Link to="/flows">Go to flows</Link>.
        </div>
      )}
      {rows.length > 0 && (
        <>
          <div className="row matrix-tools">
            <input
              type="search"
              placeholder="Search criteria and flows"
              aria-label="Search criteria and flows"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
            <select aria-label="Dimension" value={dimension} onChange={(e) => setDimension(e.target.value)}>
              <option value="">All dimensions</option>
              {dims.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
            <span className="muted small">
              {shown.length} of {rows.length} rules
            </span>
          </div>
          <MatrixTable groups={groups} />
          {shown.length === 0 && <p className="muted">No rule matches the filter.</p>}
        </>
      )}
    </div>
  )
}

function MatrixTable({ groups }: { groups: DimensionGroup[] }) {
  return (
    <table data-testid="matrix-table">
      <thead>
        <tr>
          <th>Criterion</th>
          <th>Dimension</th>
          <th className="num">Points</th>
          <th>Flow</th>
        </tr>
      </thead>
      {groups.map((g) => (
        <tbody key={g.dimension}>
          <tr className="matrix-group" data-testid="matrix-group" data-dimension={g.dimension}>
            <th colSpan={4} scope="rowgroup">
              {g.dimension}
              <span className="matrix-total">
                {g.rows.length} {g.rows.length === 1 ? 'rule' : 'rules'} · total of positive points{' '}
                <span className="pos">{formatPoints(g.maxPositive)}</span>
              </span>
            </th>
          </tr>
          {g.rows.map((r) => (
            <MatrixRowView key={r.key} row={r} />
          ))}
        </tbody>
      ))}
    </table>
  )
}

function MatrixRowView({ row }: { row: MatrixRow }) {
  return (
    <tr data-testid="matrix-row" data-flow={row.flowId} data-node={row.nodeId}>
      <td className="matrix-criterion">
        <Link to={nodeLink(row)} title="Open this node on the flow canvas">
          <span className="matrix-trigger">{row.trigger}</span>
        </Link>
        {row.qualifiers.map((q, i) => (
          <span key={i} className={`matrix-qualifier ${q.kind}`}>
            {', '}
            {q.text}
          </span>
        ))}
      </td>
      <td>{row.dimension}</td>
      <td className={`num matrix-points ${row.points > 0 ? 'pos' : row.points < 0 ? 'neg' : 'muted'}`}>
        {formatPoints(row.points)}
      </td>
      <td>
        <Link to={nodeLink(row)}>{row.flowName}</Link>
      </td>
    </tr>
  )
}
