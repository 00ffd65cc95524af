// A dashboard answer for tests, in the API's shape.
import type { Dashboard } from '../../types'

export const dashboardFixture: Dashboard = {
  contacts: 42,
  // Deliberately not in the settings' order, with a grade the settings lack.
  grades: [
    { grade: 'hot', count: 5 },
    { grade: 'cold', count: 30 },
    { grade: 'legacy', count: 1 },
    { grade: 'warm', count: 6 },
  ],
  score_histogram: [
    { from: 0, to: 10, count: 30 },
    { from: 10, to: 20, count: 4 },
    { from: 20, to: 30, count: 8 },
  ],
  events_per_minute: [
    { minute: '2026-11-23T10:58:00Z', count: 7 },
    { minute: '2026-11-23T10:59:00Z', count: 3 },
  ],
  busiest_flows: [
    { id: 'pricing-interest', name: 'Pricing page interest', runs: 120, failed: 2 },
    { id: 'fit-age', name: 'Fit: age 25 to 45', runs: 40, failed: 0 },
  ],
  recent_disqualifications: [
    { id: 'c-7', email: 'spam@bad.test', reason: 'Competitor', at: '2026-11-23T10:30:00Z' },
    { id: 'student@uni.test', reason: 'Student', at: '2026-11-23T09:00:00Z' },
  ],
}

export const emptyDashboard: Dashboard = {
  contacts: 0,
  grades: [],
  score_histogram: [],
  events_per_minute: [],
  busiest_flows: [],
  recent_disqualifications: [],
}
