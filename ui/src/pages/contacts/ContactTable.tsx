// ContactTable lists contacts: the contacts page, a segment's members and
// the live preview of a segment all show them the same way.
import type { ReactNode } from 'react'
import { Link } from 'react-router-dom'
import type { Contact } from '../../types'
import { contactPath, gradeClass } from './format'
import './contacts.css'

interface Props {
  contacts: Contact[]
  // Score dimensions to show as columns; none = no dimension columns.
  dimensions?: string[]
  // The score column's header (the contacts page makes it a sort toggle).
  scoreHeader?: ReactNode
  // compact drops tags, deal stage and disqualification.
  compact?: boolean
  empty?: ReactNode
}

export default function ContactTable({ contacts, dimensions = [], scoreHeader = 'Score', compact, empty }: Props) {
  if (contacts.length === 0) return <p className="muted">{empty ?? 'No contacts.'}</p>
  return (
    <table className="contact-table">
      <thead>
        <tr>
          <th>Contact</th>
          <th className="num">{scoreHeader}</th>
          <th>Grade</th>
          {dimensions.map((d) => (
            <th key={d} className="num">
              {d}
            </th>
          ))}
          {!compact && (
            <>
              <th>Tags</th>
              <th>Deal stage</th>
              <th>Disqualified</th>
            </>
          )}
        </tr>
      </thead>
      <tbody>
        {contacts.map((c) => (
          <tr key={c.id} data-testid={`contact-row-${c.id}`}>
            <td>
              <Link to={contactPath(c.id)}>{c.email || c.id}</Link>
              {c.email && c.email !== c.id && <div className="muted small mono">{c.id}</div>}
            </td>
            <td className="num">
              <strong>{c.score}</strong>
            </td>
            <td>
              <span className={gradeClass(c.grade)}>{c.grade}</span>
            </td>
            {dimensions.map((d) => (
              <td key={d} className="num">
                {c.scores?.[d] ?? <span className="muted">—</span>}
              </td>
            ))}
            {!compact && (
              <>
                <td>
                  <Tags tags={c.tags} />
                </td>
                <td>{c.deal_stage}</td>
                <td>
                  {c.disqualified ? (
                    <span className="badge disq" title={c.disqualified.reason}>
                      disqualified
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function Tags({ tags }: { tags: string[] | undefined }) {
  if (!tags?.length) return <span className="muted">—</span>
  return (
    <span className="chips">
      {tags.map((t) => (
        <span key={t} className="chip">
          {t}
        </span>
      ))}
    </span>
  )
}

// dimensionsOf lists score dimensions: those of the settings first, in
// their order, then any others the contacts carry.
export function dimensionsOf(settingsDims: string[], contacts: Contact[]): string[] {
  const out = [...settingsDims]
  for (const c of contacts) for (const d of Object.keys(c.scores ?? {})) if (!out.includes(d)) out.push(d)
  return out
}
