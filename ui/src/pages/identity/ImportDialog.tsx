// The CSV import dialog of the contact list: pick a file, see its first
// rows, say what each column is, then upload with progress and read the
// report (each bad row by number).
import { useState } from 'react'
import './identity.css'
import { guessRoles, importQuery, mappingProblem, parseCSV, roles, type ImportReport, type Role } from './csvPreview'
import { uploadCSV, type Upload } from './transfer'

const PREVIEW_BYTES = 64 << 10
const PREVIEW_ROWS = 6

const roleLabel: Record<Role, string> = {
  id: 'contact id',
  email: 'email',
  account_id: 'account id',
  attribute: 'attribute',
  skip: 'skip',
}

export default function ImportDialog({ onClose, onDone, upload = uploadCSV }: { onClose: () => void; onDone: () => void; upload?: Upload }) {
  const [file, setFile] = useState<File>()
  const [rows, setRows] = useState<string[][]>([])
  const [mapping, setMapping] = useState<Role[]>([])
  const [progress, setProgress] = useState<number>()
  const [report, setReport] = useState<ImportReport>()
  const [error, setError] = useState('')

  const choose = async (f: File | undefined) => {
    setFile(f)
    setReport(undefined)
    setError('')
    if (!f) return
    const head = await f.slice(0, PREVIEW_BYTES).text()
    const parsed = parseCSV(head, PREVIEW_ROWS + 1, f.size <= PREVIEW_BYTES)
    if (parsed.length === 0) {
      setError('The file is empty.')
      return
    }
    setRows(parsed)
    setMapping(guessRoles(parsed[0]))
  }

  const header = rows[0] ?? []
  const problem = file && header.length ? mappingProblem(mapping) : ''
  const start = async () => {
    if (!file) return
    setError('')
    setProgress(0)
    try {
      setReport(await upload(importQuery(header, mapping), file, setProgress))
      onDone()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setProgress(undefined)
    }
  }

  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" aria-labelledby="import-title">
      <div className="modal import-dialog">
        <h3 id="import-title">Import contacts from CSV</h3>
        <p className="muted small">One row per contact, a header row first. Each row is applied as an identify event, so flows run on it.</p>
        <input type="file" accept=".csv,text/csv" data-testid="import-file" aria-label="CSV file" onChange={(e) => choose(e.target.files?.[0])} />
        {header.length > 0 && (
          <div className="import-preview" data-testid="import-preview">
            <table>
              <thead>
                <tr>
                  {header.map((h, i) => (
                    <th key={i}>
                      <div>{h || <span className="muted">(no name)</span>}</div>
                      <select
                        aria-label={`role of column ${h || i + 1}`}
                        data-testid={`import-role-${i}`}
                        value={mapping[i]}
                        onChange={(e) => setMapping(mapping.map((m, j) => (j === i ? (e.target.value as Role) : m)))}
                      >
                        {roles.map((r) => (
                          <option key={r} value={r}>
                            {roleLabel[r]}
                          </option>
                        ))}
                      </select>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.slice(1).map((r, i) => (
                  <tr key={i}>
                    {header.map((_, j) => (
                      <td key={j}>{r[j] ?? ''}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {problem && <p className="banner error">{problem}</p>}
        {error && (
          <p className="banner error" data-testid="import-error">
            {error}
          </p>
        )}
        {progress !== undefined && (
          <progress data-testid="import-progress" max={1} value={progress}>
            {Math.round(progress * 100)}%
          </progress>
        )}
        {report && (
          <div data-testid="import-report">
            <p>
              {report.accepted} of {report.rows} rows imported.
            </p>
            {report.errors.length > 0 && (
              <ul className="import-errors">
                {report.errors.map((e) => (
                  <li key={e.row}>
                    Row {e.row}: {e.message}
                  </li>
                ))}
                {report.more_errors ? <li>… and {report.more_errors} more</li> : null}
              </ul>
            )}
          </div>
        )}
        <div className="row modal-actions">
          <span className="spacer" />
          <button type="button" onClick={onClose}>
            {report ? 'Close' : 'Cancel'}
          </button>
          {!report && (
            <button type="button" className="primary" data-testid="import-start" disabled={!file || !!problem || progress !== undefined} onClick={start}>
              Import
            </button>
          )}
        </div>
      </div>
    </div>
  )
}
