// Named keys end to end: an admin makes a read key in Settings → Keys and
// copies it; a fresh browser signs in with it and sees everything
// read-only; the admin revokes it and its next request fails.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launchBrowser, screenshot, startServer, waitFor } from './harness.mjs'

const adminKey = 'e2e-admin-key'
let server, browser

before(async () => {
  server = await startServer(['--admin-key', adminKey])
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

// call is the JSON API with a bearer key; it returns the status and body.
async function call(method, path, key, body) {
  const r = await fetch(server.base + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  return { status: r.status, body: text ? JSON.parse(text) : undefined }
}

// signIn answers the key prompt of a fresh page.
async function signIn(page, key) {
  const prompt = page.getByRole('dialog')
  await prompt.waitFor()
  await prompt.getByLabel('API key').fill(key)
  await prompt.getByRole('button', { name: 'Unlock' }).click()
  await prompt.waitFor({ state: 'detached' })
}

const flow = {
  id: 'e2e-keys-flow',
  name: 'E2E keys flow',
  enabled: false,
  entry: { mode: 'every_time' },
  nodes: [
    { id: 't1', type: 'trigger.page_visited', config: { url: '/pricing' }, position: { x: 0, y: 0 } },
    { id: 'a1', type: 'action.adjust_score', config: { score: 'engagement', points: 5 }, position: { x: 300, y: 0 } },
  ],
  edges: [{ from: 't1', to: 'a1' }],
}

test('a read key: made in the UI, copied, read-only in a fresh browser, revoked', async () => {
  // A flow with two versions, for the read key to look at and compare.
  const created = await call('POST', '/api/v1/flows', adminKey, flow)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const updated = await call('PUT', `/api/v1/flows/${flow.id}`, adminKey, {
    ...flow,
    version: created.body.version,
    nodes: [flow.nodes[0], { ...flow.nodes[1], config: { score: 'engagement', points: 10 } }],
  })
  assert.equal(updated.status, 200, JSON.stringify(updated.body))

  const adminCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  await adminCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base })
  const admin = await adminCtx.newPage()
  await admin.goto(server.base + '/settings/keys')
  await signIn(admin, adminKey)

  // Create: the secret is shown once, and the copy button puts it on the clipboard.
  await admin.getByTestId('key-name-input').fill('e2e-reader')
  await admin.getByTestId('key-scope').selectOption('read')
  await admin.getByTestId('create-key').click()
  const dialog = admin.getByRole('dialog')
  await dialog.waitFor()
  const secret = await dialog.getByTestId('new-key-secret').inputValue()
  assert.ok(secret.length >= 20, `a high-entropy secret, got ${secret.length} characters`)
  assert.match(await dialog.getByTestId('secret-once').innerText(), /you won't see it again/)
  await dialog.getByTestId('copy-key').click()
  await dialog.getByText('Copied.').waitFor()
  const copied = await admin.evaluate(() => navigator.clipboard.readText())
  assert.equal(copied, secret)
  await screenshot(admin, 'keys-secret-once')
  await dialog.getByTestId('secret-done').click()
  await admin.getByTestId('key-row-e2e-reader').waitFor()
  assert.ok(!(await admin.content()).includes(secret), 'the secret is gone from the page once the dialog is closed')
  assert.equal(await admin.getByTestId('key-row-e2e-reader').getByText('read', { exact: true }).count(), 1)
  await screenshot(admin, 'keys-list')

  // A fresh browser signs in with the copied key and can only look.
  const readerCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const reader = await readerCtx.newPage()
  const errors = []
  reader.on('pageerror', (e) => errors.push(e.message))
  await reader.goto(server.base + '/flows')
  await signIn(reader, copied)
  await reader.getByTestId('read-only-note').waitFor()
  assert.match(await reader.getByTestId('read-only-note').innerText(), /Read-only key: you can look but not change anything/)
  await reader.getByTestId(`flow-row-${flow.id}`).waitFor()
  assert.equal(await reader.getByTestId('new-flow').count(), 0, 'no New flow for a read key')
  assert.equal(await reader.getByTestId(`delete-${flow.id}`).count(), 0, 'no Delete for a read key')
  assert.ok(await reader.getByTestId(`toggle-${flow.id}`).isDisabled())
  const nav = reader.getByRole('navigation').first()
  assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0, 'no Audit in the nav')

  // The canvas: readable, not editable; the version history compares v1 and v2.
  await reader.getByRole('link', { name: flow.name }).click()
  await reader.getByTestId('flow-canvas').waitFor()
  assert.ok(await reader.getByTestId('save-flow').isDisabled())
  assert.equal(await reader.getByTestId('palette-search').count(), 0, 'no palette for a read key')
  await reader.getByTestId('history-toggle').click()
  const diff = reader.getByTestId('version-diff')
  await diff.waitFor()
  assert.match(await diff.innerText(), /v1 → v2: 1 change/)
  assert.match(await reader.getByTestId('diff-node-a1').innerText(), /points\s*5 → 10/)
  await screenshot(reader, 'keys-read-only-canvas')

  // The server agrees: the key changes nothing.
  assert.equal((await call('DELETE', `/api/v1/flows/${flow.id}`, copied)).status, 403)
  assert.equal((await call('GET', '/api/v1/keys', copied)).status, 403)

  // The audit log names the key made in the UI and the flow's saves.
  await admin.getByRole('navigation').first().getByRole('link', { name: 'Audit' }).click()
  // The table (its header) shows while the first page loads: wait for rows.
  await admin.getByTestId('audit-row').first().waitFor()
  const auditText = await admin.getByTestId('audit-table').innerText()
  assert.match(auditText, /key\.create\s+e2e-reader/)
  assert.match(auditText, /flow\.update\s+e2e-keys-flow/)
  assert.ok(!auditText.includes(secret), 'no secret in the audit log')
  await screenshot(admin, 'audit')

  // Revoke, with confirmation; the reader's next request fails.
  await admin.goto(server.base + '/settings/keys')
  await admin.getByTestId('revoke-e2e-reader').click()
  await admin.getByTestId('confirm-revoke').click()
  await admin.getByTestId('key-row-e2e-reader').waitFor({ state: 'detached' })
  await waitFor(async () => (await call('GET', '/api/v1/flows', copied)).status === 401, 'the revoked key to fail', 1000)
  await reader.reload()
  await reader.getByRole('dialog').getByLabel('API key').waitFor()
  await screenshot(reader, 'keys-revoked')
  assert.deepEqual(errors, [])

  await readerCtx.close()
  await adminCtx.close()
})
