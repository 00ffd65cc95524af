// The end-to-end harness: a real `scoreflow serve` on a free port with a
// fresh data directory, and Debian's chromium driven by playwright-core.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const screenshotDir = join(here, 'screenshots')

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

// startServer runs the binary in $SCOREFLOW_BIN (built by .ci/run) with
// extra serve flags, and waits for /readyz.
export async function startServer(args = []) {
  const bin = process.env.SCOREFLOW_BIN
  if (!bin) throw new Error('set SCOREFLOW_BIN to a built scoreflow binary (go build -o ui/e2e/.bin/scoreflow ./cmd/scoreflow)')
  const port = await freePort()
  const data = process.env.SCOREFLOW_E2E_DATA || mkdtempSync(join(tmpdir(), 'scoreflow-e2e-'))
  const proc = spawn(bin, ['serve', '--http', `127.0.0.1:${port}`, '--data', data, '--nats-listen', 'off', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  proc.stdout.on('data', (d) => (log += d))
  proc.stderr.on('data', (d) => (log += d))
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`scoreflow exited early:\n${log}`)
    try {
      const r = await fetch(base + '/readyz')
      if (r.ok) break
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`scoreflow not ready in 20s:\n${log}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    base,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)))
      if (!process.env.SCOREFLOW_E2E_DATA) rmSync(data, { recursive: true, force: true })
    },
  }
}

// The flags Chromium needs on this closed-network machine (see the env notes).
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

// api calls the server's JSON API.
export async function api(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

// waitFor polls fn until it returns a truthy value.
export async function waitFor(fn, what, ms = 10000) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
