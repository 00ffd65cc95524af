import { lazyModule } from '../../lazyModule'

// recharts stays in its own chunk, as for the other charts.
export const accountChart = lazyModule(() => import('./AccountChart'))
