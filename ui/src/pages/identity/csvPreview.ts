// The CSV import dialog's logic, kept out of React: read the first rows of
// a file for the preview, guess each column's role, and turn the chosen
// roles into the import's query (the server reads the whole file itself,
// as a stream; the browser only ever reads its first bytes).

export type Role = 'id' | 'email' | 'account_id' | 'attribute' | 'skip'

export const roles: Role[] = ['id', 'email', 'account_id', 'attribute', 'skip']

// parseCSV reads up to maxRows records of RFC 4180 CSV (quotes, doubled
// quotes, newlines inside quotes, CRLF). A record cut off at the end of
// the text (the preview reads only the file's start) is dropped when
// complete is false.
export function parseCSV(text: string, maxRows: number, complete = true): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  if (text.charCodeAt(0) === 0xfeff) i = 1 // a spreadsheet's byte-order mark
  const endRow = () => {
    row.push(field)
    rows.push(row)
    row = []
    field = ''
  }
  for (; i < text.length && rows.length < maxRows; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
      continue
    }
    if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n') endRow()
    else if (ch === '\r') {
      if (text[i + 1] === '\n') i++
      endRow()
    } else field += ch
  }
  if (rows.length < maxRows && complete && (field !== '' || row.length > 0)) endRow()
  return rows
}

// guessRoles maps columns to roles by their names, as the server does.
export function guessRoles(header: string[]): Role[] {
  return header.map((h) => {
    const name = h.trim().toLowerCase()
    if (name === 'id') return 'id'
    if (name === 'email' || name === 'e-mail') return 'email'
    if (name === 'account_id') return 'account_id'
    if (name === '') return 'skip'
    return 'attribute'
  })
}

// mappingProblem says why a mapping cannot be imported, or '' when it can.
export function mappingProblem(roles: Role[]): string {
  for (const r of ['id', 'email', 'account_id'] as const) {
    if (roles.filter((x) => x === r).length > 1) return `Only one column can be the ${r}.`
  }
  if (!roles.includes('id') && !roles.includes('email')) return 'Choose a column for the id or the email: each row must say whom it is about.'
  return ''
}

// importQuery is the query string of POST /api/v1/contacts/import for a
// mapping: the columns that are id, email and account_id by name, and
// those to skip.
export function importQuery(header: string[], roles: Role[]): string {
  const q = new URLSearchParams()
  header.forEach((h, i) => {
    const name = h.trim()
    const r = roles[i]
    if (r === 'id' || r === 'email' || r === 'account_id') q.set(r, name)
    else if (r === 'skip') q.append('skip', name)
  })
  return q.toString()
}

export interface ImportReport {
  rows: number
  accepted: number
  errors: { row: number; message: string }[]
  more_errors?: number
}
