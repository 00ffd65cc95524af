// With an admin key set, the UI asks for it once per browser session and
// then works; a wrong key keeps asking.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launchBrowser, screenshot, startServer } from './harness.mjs'

let server, browser

before(async () => {
  server = await startServer(['--admin-key', 'e2e-admin-key'])
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('the admin key prompt', async () => {
  const page = await browser.newPage()
  await page.goto(server.base + '/')
  const prompt = page.getByRole('dialog')
  await prompt.waitFor()
  await screenshot(page, 'admin-key-prompt')

  await prompt.getByLabel('API key').fill('wrong')
  await prompt.getByRole('button', { name: 'Unlock' }).click()
  await page.getByRole('dialog').waitFor()
  assert.equal(await page.getByTestId('dashboard-contacts').count(), 0, 'nothing loads with a wrong key')

  await page.getByRole('dialog').getByLabel('API key').fill('e2e-admin-key')
  await page.getByRole('dialog').getByRole('button', { name: 'Unlock' }).click()
  await page.getByTestId('dashboard-contacts').waitFor()
  assert.equal(await page.getByRole('dialog').count(), 0)

  // The key lasts for the tab's session: a reload needs no prompt.
  await page.reload()
  await page.getByTestId('dashboard-contacts').waitFor()
  assert.equal(await page.getByRole('dialog').count(), 0)
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'the key is not kept in localStorage')
})
