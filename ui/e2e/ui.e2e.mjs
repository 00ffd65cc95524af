// End-to-end: a marketer builds a flow on the canvas, an event scores a
// contact, and the contact page explains the points. Real server, real
// browser (Debian's chromium through playwright-core).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { api, launchBrowser, screenshot, startServer, waitFor } from './harness.mjs'

let server, browser, page
const dialogs = []

before(async () => {
  server = await startServer(['--examples'])
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('dialog', async (d) => {
    // Leaving an editor with unsaved changes asks first: leave.
    if (d.type() === 'beforeunload') return d.accept()
    dialogs.push(d.message())
    await d.dismiss()
  })
  page.on('pageerror', (e) => dialogs.push('page error: ' + e.message))
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

// dropFromPalette drags a palette item onto the canvas at (x, y) of the pane.
async function dropFromPalette(type, x, y) {
  const search = page.getByTestId('palette-search')
  await search.fill('')
  await page.getByTestId(`palette-item-${type}`).dragTo(page.getByTestId('flow-canvas'), { targetPosition: { x, y } })
}

// connect drags from a node's source handle to another node's target handle.
async function connect(from, to, handle) {
  const src = page.locator(
    `[data-testid="node-${from}"] .react-flow__handle.source${handle ? `[data-handleid="${handle}"]` : ''}`,
  )
  const dst = page.locator(`[data-testid="node-${to}"] .react-flow__handle.target`)
  const a = await src.boundingBox()
  const b = await dst.boundingBox()
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
  await page.mouse.down()
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 })
  await page.mouse.up()
}

async function selectNode(id) {
  await page.getByTestId(`node-${id}`).click()
  await page.getByTestId('side-panel').waitFor()
}

test('build a flow on the canvas, score a contact, explain the points', async () => {
  await page.goto(server.base + '/flows/new')
  await page.getByTestId('flow-name').fill('E2E pricing interest')
  await page.getByTestId('flow-id').fill('e2e-pricing')
  // A new flow starts disabled; this one goes live on save.
  await page.getByTestId('flow-enabled').check()

  await dropFromPalette('trigger.page_visited', 150, 200)
  await dropFromPalette('action.adjust_score', 550, 200)
  await page.getByTestId('node-t1').waitFor()
  await page.getByTestId('node-a1').waitFor()
  await connect('t1', 'a1')
  await waitFor(async () => (await page.locator('.react-flow__edge').count()) === 1, 'the edge t1 → a1')

  await selectNode('t1')
  const panel = page.getByTestId('side-panel')
  await panel.getByLabel('url', { exact: false }).first().fill('/pricing')
  await selectNode('a1')
  await panel.getByLabel('score', { exact: false }).first().fill('engagement')
  await panel.getByLabel('points', { exact: false }).first().fill('7')

  await page.getByTestId('save-flow').click()
  await waitFor(async () => (await page.getByTestId('saved-version').textContent())?.includes('1'), 'saved version 1')
  await screenshot(page, 'flow-editor')

  const saved = await api(server.base, 'GET', '/api/v1/flows/e2e-pricing')
  assert.equal(saved.version, 1)
  const types = saved.nodes.map((n) => n.type).sort()
  assert.deepEqual(types, ['action.adjust_score', 'trigger.page_visited'])
  assert.deepEqual(saved.edges.map((e) => [e.from, e.to]), [['t1', 'a1']])
  assert.equal(saved.nodes.find((n) => n.id === 'a1').config.points, 7)

  await api(server.base, 'POST', '/api/v1/events', {
    id: 'e2e-ev-1', type: 'page_visited', contact_id: 'e2e-c1', email: 'e2e@acme.test',
    properties: { url: 'https://acme.test/pricing' },
  })
  let last = ''
  await waitFor(async () => {
    const r = await fetch(server.base + '/api/v1/contacts/e2e-c1')
    last = await r.text()
    return r.ok && JSON.parse(last).score === 7
  }, 'the event to be applied').catch((e) => {
    throw new Error(`${e.message}: contact ${last}, flow ${JSON.stringify(saved)}`)
  })

  await page.goto(server.base + '/contacts/e2e-c1')
  await waitFor(async () => (await page.getByTestId('contact-score').textContent())?.trim() === '7', 'score 7 on the page')
  const row = page.getByTestId('history-row').first()
  const text = await row.textContent()
  for (const want of ['engagement', '+7', 'e2e-pricing', 'a1', 'e2e-ev-1']) {
    assert.ok(text.includes(want), `history row "${text}" should mention ${want}`)
  }
  await page.getByTestId('score-chart').waitFor()
  await screenshot(page, 'contact')
})

test('a flow with an error shows it on the node', async () => {
  await page.goto(server.base + '/flows/new')
  await page.getByTestId('flow-name').fill('E2E broken')
  await dropFromPalette('trigger.event', 150, 200)
  await page.getByTestId('node-t1').waitFor()
  // trigger.event needs its event name: the validator names node and field.
  const err = page.getByTestId('node-error-t1')
  await err.waitFor({ timeout: 10000 })
  assert.match(await err.textContent(), /name/i)
})

test('a stale save says so plainly and can overwrite', async () => {
  await page.goto(server.base + '/flows/e2e-pricing')
  await page.getByTestId('node-a1').waitFor()
  // Someone else saves version 2 meanwhile.
  const remote = await api(server.base, 'GET', '/api/v1/flows/e2e-pricing')
  await api(server.base, 'PUT', '/api/v1/flows/e2e-pricing', { ...remote, name: 'Changed elsewhere' })

  await selectNode('a1')
  await page.getByTestId('side-panel').getByLabel('points', { exact: true }).fill('8')
  await page.getByTestId('save-flow').click()
  const conflict = page.getByTestId('save-conflict')
  await conflict.waitFor()
  assert.match(await conflict.textContent(), /version 2/)
  await page.getByTestId('conflict-overwrite').click()
  await waitFor(async () => (await page.getByTestId('saved-version').textContent())?.trim() === '3', 'saved as version 3')
  const saved = await api(server.base, 'GET', '/api/v1/flows/e2e-pricing')
  assert.equal(saved.version, 3)
  assert.equal(saved.nodes.find((n) => n.id === 'a1').config.points, 8)
})

test('the flow list: disable, duplicate, export, import, delete', async () => {
  const id = 'engagement-cancelled-call'
  await page.goto(server.base + '/flows')
  await page.getByTestId(`flow-row-${id}`).waitFor()

  // The switch follows the saved state, so it flips once the PUT answered.
  const toggle = page.getByTestId(`toggle-${id}`)
  await toggle.click()
  await waitFor(async () => (await api(server.base, 'GET', `/api/v1/flows/${id}`)).enabled === false, 'the flow disabled')
  await waitFor(async () => !(await toggle.isChecked()), 'the switch off')
  await toggle.click()
  await waitFor(async () => (await api(server.base, 'GET', `/api/v1/flows/${id}`)).enabled === true, 'the flow enabled again')
  await waitFor(async () => toggle.isChecked(), 'the switch on')

  await page.getByTestId(`duplicate-${id}`).click()
  await page.getByTestId(`flow-row-${id}-copy`).waitFor()
  const copy = await api(server.base, 'GET', `/api/v1/flows/${id}-copy`)
  assert.equal(copy.enabled, false, 'a copy starts disabled, so it never scores twice')

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${id}`).click()])
  const exported = JSON.parse(await streamText(await download.createReadStream()))
  assert.equal(exported.id, id)
  assert.equal(exported.runs_24h, undefined, 'the export is the flow document only')

  const doc = { ...exported, id: 'imported-flow', name: 'Imported flow' }
  delete doc.version
  await page.getByTestId('import-flow').setInputFiles({
    name: 'imported-flow.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)),
  })
  await page.getByTestId('flow-row-imported-flow').waitFor()

  await page.getByTestId('delete-imported-flow').click()
  await page.getByTestId('confirm-delete').click()
  await page.getByTestId('flow-row-imported-flow').waitFor({ state: 'detached' })
  const gone = await fetch(server.base + '/api/v1/flows/imported-flow')
  assert.equal(gone.status, 404)
})

async function streamText(stream) {
  const chunks = []
  for await (const c of stream) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

test('user strings render as text, never as HTML', async () => {
  const evil = '<img src=x onerror=alert(1)>'
  await api(server.base, 'POST', '/api/v1/events', {
    id: 'e2e-xss', type: 'identify', contact_id: 'xss-1', email: 'xss@acme.test', traits: { name: evil, company: evil },
  })
  await waitFor(async () => (await fetch(server.base + '/api/v1/contacts/xss-1')).ok, 'the xss contact')
  await page.goto(server.base + '/contacts/xss-1')
  await page.getByTestId('contact-email').waitFor()
  await waitFor(async () => (await page.locator('body').textContent()).includes(evil), 'the literal string on the page')
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img> element was created')
  await page.goto(server.base + '/contacts?q=xss')
  await page.getByTestId('contact-row-xss-1').waitFor()
  assert.equal(await page.locator('img[src="x"]').count(), 0)
  assert.deepEqual(dialogs.filter((d) => d.includes('1')), [], 'no alert ran')
})

test('every page loads, and screenshots of each', async () => {
  const pages = [
    ['/', 'dashboard', 'dashboard-contacts'],
    ['/flows', 'flows', 'flow-row-engagement-booked-call'],
    ['/flows/engagement-created-task', 'flow-canvas', 'node-c1'],
    ['/contacts', 'contacts', 'contact-row-e2e-c1'],
    ['/segments/dead-end', 'segment', 'segment-count'],
    ['/scoring', 'scoring-matrix', 'matrix-table'],
    ['/settings', 'settings', 'settings-save'],
  ]
  for (const [path, name, testid] of pages) {
    await page.goto(server.base + path)
    await page.getByTestId(testid).first().waitFor({ timeout: 10000 })
    await screenshot(page, name)
  }
  assert.deepEqual(dialogs, [], 'no dialog or page error on any page')
})
