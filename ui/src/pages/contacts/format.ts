// Formatting of API values for display. Everything here returns plain
// strings that React renders as text: user data is never HTML.

export function formatTime(iso?: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

// formatValue shows an attribute or property value: text as it is, other
// JSON (numbers, lists, objects) as JSON.
export function formatValue(v: unknown): string {
  if (v === undefined) return ''
  return typeof v === 'string' ? v : JSON.stringify(v)
}

// signed writes a score change with its sign: +5, −3 (a real minus sign).
export function signed(n: number): string {
  if (n > 0) return `+${n}`
  if (n < 0) return `\u2212${Math.abs(n)}`
  return '0'
}

// Grades that styles.css colours; other (custom) grades get the plain badge.
const GRADE_CLASSES = new Set(['hot', 'warm', 'cold'])

export function gradeClass(grade: string | undefined): string {
  return 'badge' + (grade && GRADE_CLASSES.has(grade) ? ' ' + grade : '')
}

export const contactPath = (id: string) => `/contacts/${encodeURIComponent(id)}`
export const segmentPath = (id: string) => `/segments/${encodeURIComponent(id)}`

const relativeUnits: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
]

// formatAgo writes a past time relative to now ("5 minutes ago"); the
// absolute time belongs in a title next to it.
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never'
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return iso
  const secs = Math.round((t - now) / 1000)
  if (Math.abs(secs) < 45) return 'just now'
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
  for (const [unit, size] of relativeUnits) {
    if (Math.abs(secs) >= size) return rtf.format(Math.round(secs / size), unit)
  }
  return rtf.format(Math.round(secs / 60), 'minute')
}
