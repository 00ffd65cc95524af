// AccountTable lists accounts with their score, grade and member count.
import type { ReactNode } from 'react'
import { Link } from 'react-router-dom'
import type { Account } from '../../types'
import { gradeClass } from '../contacts/format'
import { accountPath } from './format'

interface Props {
  accounts: Account[]
  dimensions: string[]
  scoreHeader?: ReactNode
  empty?: ReactNode
}

export default function AccountTable({ accounts, dimensions, scoreHeader = 'Score', empty }: Props) {
  if (accounts.length === 0) return <p className="muted">{empty ?? 'No accounts.'}</p>
  return (
    <table className="contact-table">
      <thead>
        <tr>
          <th>Account</th>
          <th className="num">{scoreHeader}</th>
          <th>Grade</th>
          {dimensions.map((d) => (
            <th key={d} className="num">
              {d}
            </th>
          ))}
          <th className="num">Contacts</th>
        </tr>
      </thead>
      <tbody>
        {accounts.map((a) => (
          <tr key={a.id} data-testid={`account-row-${a.id}`}>
            <td>
              <Link to={accountPath(a.id)}>{a.name || a.id}</Link>
              {a.name && a.name !== a.id && <div className="muted small mono">{a.id}</div>}
            </td>
            <td className="num">
              <strong>{a.score}</strong>
            </td>
            <td>
              <span className={gradeClass(a.grade)}>{a.grade}</span>
            </td>
            {dimensions.map((d) => (
              <td key={d} className="num">
                {a.scores?.[d] ?? <span className="muted">—</span>}
              </td>
            ))}
            <td className="num">{a.contacts}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

// accountDimensions lists the settings' dimensions, then any others the
// accounts carry.
export function accountDimensions(settingsDims: string[], accounts: Account[]): string[] {
  const out = [...settingsDims]
  for (const a of accounts) for (const d of Object.keys(a.scores ?? {})) if (!out.includes(d)) out.push(d)
  return out
}
