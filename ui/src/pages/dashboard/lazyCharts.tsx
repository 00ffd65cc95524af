// The charts (recharts: half of the app's code) load on demand, so a first
// visit shows the dashboard's numbers without waiting for them.
import { lazyModule } from '../../lazyModule'

export const dashboardCharts = lazyModule(() => import('./Charts'))
export const scoreChart = lazyModule(() => import('../contacts/ScoreChart'))

// ChartPlaceholder holds a chart's place (its card, title and height) until
// the chart's code is there.
export function ChartPlaceholder({ title, failed, heading: H = 'h2' }: { title: string; failed: boolean; heading?: 'h2' | 'h3' }) {
  return (
    <section className="card chart-placeholder" aria-busy={!failed}>
      <H>{title}</H>
      <div className="chart-placeholder-body muted small">
        {failed ? 'The chart could not be loaded — reload the page.' : 'Loading chart…'}
      </div>
    </section>
  )
}
