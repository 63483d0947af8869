// Harness for the browser end-to-end tests: headless Debian Chromium driven by
// playwright-core against the real KMS Desk backend (see scripts/e2e.sh).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { chromium } from 'playwright-core'

export const URL = process.env.KMSDESK_E2E_URL ?? 'http://127.0.0.1:34115/'
export const ARTIFACTS = process.env.KMSDESK_E2E_ARTIFACTS ?? 'build/test-artifacts'
export const WORK = process.env.KMSDESK_E2E_WORK ?? tmpdir()
// DIALOGS is where the next answer of a file dialog goes (a dev build of the app reads it
// instead of showing a native dialog; see backend/service/scripted_dialogs.go).
export const DIALOGS = process.env.KMSDESK_E2E_DIALOGS ?? ''

// answerDialog makes the next file dialog of the app answer paths (as if the user chose
// them).
export function answerDialog(...paths) {
  if (!DIALOGS) throw new Error('KMSDESK_E2E_DIALOGS is not set')
  writeFileSync(join(DIALOGS, 'next.json'), JSON.stringify({ paths }))
}

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

// suite gives the tests of a file one browser and a work folder of their own: s.b (what
// open returns) and s.root are set before the first test; both go after the last.
export function suite(prefix) {
  const s = { b: null, root: join(WORK, uniq(prefix)) }
  before(async () => {
    mkdirSync(s.root, { recursive: true })
    s.b = await open()
  })
  after(async () => {
    await s.b?.ctx.close()
    rmSync(s.root, { recursive: true, force: true })
  })
  return s
}

// usePrefs saves preferences (theme, language) in the backend, as the Settings view does,
// and reloads, so the app starts in them as it would after a restart; it returns the
// preferences it replaced.
export async function usePrefs(page, patch) {
  const before = await page.evaluate(async (p) => {
    const svc = window.go.service.AppService
    const cur = await svc.Preferences()
    await svc.SavePreferences({ ...cur, ...p })
    return cur
  }, patch)
  await page.reload()
  await page.waitForSelector('body[data-ready="true"]')
  const want = { theme: patch.theme === 'auto' ? null : patch.theme, language: patch.language === 'auto' ? null : patch.language }
  await page.waitForFunction((w) => (!w.theme || document.documentElement.getAttribute('theme-mode') === w.theme) && (!w.language || document.documentElement.lang === w.language), want)
  return before
}

export async function shot(page, name) {
  // Animations are finished at once, so a dialog is drawn as it settles, not mid-fade.
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false, animations: 'disabled' })
}

// pick chooses an option of a TDesign select.
// settingsTab opens Settings on the tab labelled label (Settings remembers the last tab,
// which a test must not depend on).
export async function settingsTab(page, label) {
  await page.click('[data-testid="nav-settings"]')
  await page.click(`.t-tabs__nav-item:has-text("${label}")`)
}

export async function pick(page, selectTestId, optionText) {
  await page.click(`[data-testid="${selectTestId}"]`)
  await page.click(`.t-select-option:has-text("${optionText}")`)
}

// switchProfile makes a profile the active one through the header's profile switcher.
export async function switchProfile(page, name) {
  await page.click('[data-testid="profile-switcher"]')
  await page.click(`.t-select-option:has-text("${name} —")`)
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

// jobIds lists the job cards shown (the list also shows the jobs of the tests before).
export const jobIds = (page) => page.locator('[data-testid="job-card"]').evaluateAll((cards) => cards.map((c) => c.dataset.jobId))

// jobCard is the card of job id.
export const jobCard = (page, id) => page.locator(`[data-testid="job-card"][data-job-id="${id}"]`)

// newJob waits for a card of kind that is not among known (the job a test started, not
// an older one) and gives it.
export async function newJob(page, kind, known) {
  const h = await page.waitForFunction(
    ([k, ids]) => [...document.querySelectorAll(`[data-testid="job-card"][data-kind="${k}"]`)].map((c) => c.dataset.jobId).find((id) => !ids.includes(id)),
    [kind, known],
  )
  return jobCard(page, await h.jsonValue())
}
