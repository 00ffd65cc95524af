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
