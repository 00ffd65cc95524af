// Page load times on a large database: how long each page takes from
// navigation until its data is on screen (an element that only renders
// once the page's API answers arrived).
//
//   go run ./cmd/scoreflow bench -events 300000 -contacts 100000 -data /tmp/sf100k
//   go build -o ui/e2e/.bin/scoreflow ./cmd/scoreflow
//   cd ui && SCOREFLOW_BIN=$PWD/e2e/.bin/scoreflow SCOREFLOW_E2E_DATA=/tmp/sf100k node e2e/perf.mjs
import { api, launchBrowser, startServer } from './harness.mjs'

const runs = Number(process.env.RUNS || 5)
const server = await startServer()
const browser = await launchBrowser()
try {
  const flows = (await api(server.base, 'GET', '/api/v1/flows')).flows
  const top = (await api(server.base, 'GET', '/api/v1/contacts?limit=1')).contacts[0]
  const total = (await api(server.base, 'GET', '/api/v1/dashboard')).contacts
  let segs = (await api(server.base, 'GET', '/api/v1/segments')).segments
  if (segs.length === 0) {
    // A database from `bench` has none: add a score segment (back-filled).
    await api(server.base, 'POST', '/api/v1/segments', { id: 'perf-hot', name: 'Hot', where: { field: 'score', op: 'gte', value: 50 } })
    segs = (await api(server.base, 'GET', '/api/v1/segments')).segments
  }
  const seg = segs[0].id
  console.log(`database: ${total} contacts, ${flows.length} flows, ${segs.length} segments`)
  const pages = [
    ['/', 'dashboard-contacts'],
    ['/flows', `flow-row-${flows[0].id}`],
    [`/flows/${flows.find((f) => f.nodes.length > 2)?.id ?? flows[0].id}`, 'node-t1'],
    ['/contacts', `contact-row-${top.id}`],
    [`/contacts/${encodeURIComponent(top.id)}`, 'history-row'],
    ['/segments', `segment-row-${seg}`],
    [`/segments/${seg}`, 'segment-members'],
    ['/scoring', 'matrix-table'],
    ['/settings', 'settings-save'],
  ]
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const page = await ctx.newPage()
  // A first visit downloads the app (gzip, then cached for a year). Each
  // is measured in a new browser context (empty cache); the browser's own
  // first start is left out by a throwaway visit. The times are taken in
  // the page, from navigation start: when the contact count is painted (a
  // frame after it is in the DOM) and when the first chart is drawn.
  // Playwright's own waiting runs on the page's main thread, so while the
  // charts render it would see the number late.
  const painted = []
  const charted = []
  for (let i = 0; i <= runs; i++) {
    const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    await fresh.addInitScript(() => {
      new MutationObserver(() => {
        if (!window.__seen && document.querySelector('[data-testid="dashboard-contacts"]')) {
          window.__seen = true
          requestAnimationFrame(() => setTimeout(() => (window.__painted = performance.now())))
        }
        if (!window.__charted && document.querySelector('[data-testid="grade-chart"] svg')) window.__charted = performance.now()
      }).observe(document, { subtree: true, childList: true })
    })
    const p = await fresh.newPage()
    await p.goto(server.base + '/', { waitUntil: 'commit' })
    await p.waitForFunction(() => window.__painted && window.__charted, null, { timeout: 30000 })
    const t = await p.evaluate(() => [window.__painted, window.__charted].map(Math.round))
    if (i > 0) {
      painted.push(t[0])
      charted.push(t[1])
    }
    await fresh.close()
  }
  const summary = (xs) => {
    xs.sort((a, b) => a - b)
    return `median ${xs[Math.floor(xs.length / 2)]} ms (max ${xs[xs.length - 1]})`
  }
  console.log(`first visit, empty cache: contact count painted ${summary(painted)}, charts drawn ${summary(charted)}`)
  // Warm the cache, as a returning user has it.
  await page.goto(server.base + '/')
  console.log('page                                   median    max   (ms, navigation → data on screen)')
  let worst = 0
  for (const [path, testid] of pages) {
    const times = []
    for (let i = 0; i < runs; i++) {
      const t0 = Date.now()
      await page.goto(server.base + path, { waitUntil: 'commit' })
      const sel = /^[\w.-]+$/.test(testid) ? `[data-testid="${testid}"]` : testid
      await page.locator(sel).first().waitFor({ timeout: 30000 })
      times.push(Date.now() - t0)
    }
    times.sort((a, b) => a - b)
    const med = times[Math.floor(times.length / 2)]
    worst = Math.max(worst, times[times.length - 1])
    console.log(`${path.padEnd(38)} ${String(med).padStart(6)} ${String(times[times.length - 1]).padStart(6)}`)
  }
  console.log(`slowest load: ${worst} ms`)
} finally {
  await browser.close()
  await server.stop()
}
