// Pure helpers of the dashboard: the order and colours of grades, chart
// labels, and a gap-free per-minute series. Free of React for unit tests.
import type { Dashboard, Grade } from '../../types'

export interface GradeBar { grade: string; label: string; count: number; colour: string }

// The colours marketers expect of temperature grades; any other grade is grey.
const gradeColours: Record<string, string> = {
  cold: '#2e78d2',
  warm: '#f08c00',
  hot: '#d92d20',
}
export const otherGradeColour = '#98a2b3'

export function gradeColour(grade: string): string {
  return gradeColours[grade.toLowerCase()] ?? otherGradeColour
}

// gradeBars lists the grades in the order of the settings (lowest first),
// including configured grades nobody has yet, then any grade the dashboard
// reports that the settings no longer name (a grade renamed since).
export function gradeBars(counts: Dashboard['grades'], settings: Grade[] | undefined): GradeBar[] {
  const byName = new Map(counts.map((g) => [g.grade, g.count]))
  const names = (settings ?? []).map((g) => g.name)
  for (const g of counts) if (!names.includes(g.grade)) names.push(g.grade)
  return names.map((grade) => ({
    grade,
    // The API reports contacts without a grade under "".
    label: grade || '(no grade)',
    count: byName.get(grade) ?? 0,
    colour: gradeColour(grade),
  }))
}

// bucketLabel names a histogram bucket, which holds from <= score < to
// (scores are whole numbers, so its last score is to - 1).
export function bucketLabel(b: { from: number; to: number }): string {
  const last = b.to - 1
  return last <= b.from ? String(b.from) : `${b.from}\u2013${last}`
}

export interface MinutePoint { minute: string; label: string; count: number }

const minuteMs = 60_000

// minuteSeries returns one point per minute of the last hour ending at the
// later of now and the newest minute reported (so a server clock ahead of
// ours loses nothing), with 0 for minutes the server left out.
export function minuteSeries(points: Dashboard['events_per_minute'], now: Date, minutes = 60): MinutePoint[] {
  const counts = new Map<number, number>()
  let newest = Math.floor(now.getTime() / minuteMs) * minuteMs
  for (const p of points) {
    const t = Date.parse(p.minute)
    if (Number.isNaN(t)) continue
    const m = Math.floor(t / minuteMs) * minuteMs
    counts.set(m, (counts.get(m) ?? 0) + p.count)
    if (m > newest) newest = m
  }
  const out: MinutePoint[] = []
  for (let i = minutes - 1; i >= 0; i--) {
    const m = newest - i * minuteMs
    out.push({ minute: new Date(m).toISOString(), label: hhmm(new Date(m)), count: counts.get(m) ?? 0 })
  }
  return out
}

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

// curlExample is the command the empty dashboard offers: one event that
// creates a contact. It names the key variable, never the key itself.
export function curlExample(origin: string, needsKey: boolean): string {
  const body = JSON.stringify({
    type: 'page_visited',
    email: 'ivan@acme.test',
    properties: { url: 'https://acme.test/pricing' },
  })
  return [
    `curl -X POST ${origin}/api/v1/events`,
    `  -H 'Content-Type: application/json'`,
    ...(needsKey ? [`  -H "Authorization: Bearer $SCOREFLOW_WRITE_KEY"`] : []),
    `  -d '${body}'`,
  ].join(' \\\n')
}

export function formatTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}
