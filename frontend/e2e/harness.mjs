// Harness for the browser end-to-end tests: headless Debian Chromium driven by
// playwright-core against the real KMS Desk backend (see scripts/e2e.sh).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

export const URL = process.env.KMSDESK_E2E_URL ?? 'http://127.0.0.1:34115/'
export const ARTIFACTS = process.env.KMSDESK_E2E_ARTIFACTS ?? 'build/test-artifacts'
export const WORK = process.env.KMSDESK_E2E_WORK ?? tmpdir()

// open starts a browser on the app and waits until it has loaded its preferences.
export async function open({ locale = 'en-US' } = {}) {
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'kmsdesk-chromium-')), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    locale,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const page = ctx.pages()[0] ?? (await ctx.newPage())
  const consoleErrors = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  await page.goto(URL)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 })
  return { ctx, page, consoleErrors }
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false })
}

// pick chooses an option of a TDesign select.
export async function pick(page, selectTestId, optionText) {
  await page.click(`[data-testid="${selectTestId}"]`)
  await page.click(`.t-select-option:has-text("${optionText}")`)
}

export function uniq(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`
}

// createKey creates a key through the Keys view and waits for its row.
export async function createKey(page, alias, usage) {
  await page.click('[data-testid="nav-keys"]')
  await page.click('[data-testid="create-key"]')
  await page.fill('[data-testid="alias-input"] input', alias)
  if (usage) await pick(page, 'usage-select', usage)
  await page.click('[data-testid="create-key-submit"]')
  await page.waitForSelector(`[data-testid="keys-table"] tr:has-text("${alias}")`)
}

// row returns the keys-table row of a key by alias.
export function row(page, alias) {
  return page.locator(`[data-testid="keys-table"] tbody tr:has-text("${alias}")`)
}

// openKey opens the detail drawer of a key by clicking its row in the Keys view.
export async function openKey(page, alias) {
  await page.click('[data-testid="nav-keys"]')
  await page.fill('[data-testid="keys-search"] input', alias)
  const r = row(page, alias)
  await r.waitFor()
  await r.locator('td').nth(1).click()
  await page.waitForSelector('[data-testid="key-drawer"] [data-testid="drawer-keyid"]')
}

// closeDrawer closes the open drawer with Escape.
export async function closeDrawer(page) {
  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="key-drawer"] [data-testid="drawer-keyid"]', { state: 'detached' })
}

// drop hands paths to the app exactly like a native drop on the window: the Go file-drop
// hook receives the runtime's wails:file-drop event and emits app:open-files back.
export async function drop(page, paths) {
  await page.evaluate((p) => window.runtime.EventsEmit('wails:file-drop', 0, 0, p), paths)
}

// alertCode waits for the first visible error alert and returns its code and text.
export async function alertCode(page, scope = 'body') {
  const a = page.locator(`${scope} [data-testid="error-alert"]`).first()
  await a.waitFor()
  return { code: await a.getAttribute('data-code'), text: await a.textContent() }
}
