// Accessibility: axe-core checks every main screen (each view, each Settings tab, the
// Files view with staged items and jobs) and every dialog and drawer of the real UI on
// the real backend, in the light and the dark theme and in both languages. Any serious
// or critical violation fails the test; every violation, of any impact, is counted in the
// summary printed at the end and saved as a11y-summary.json beside the screenshots.
//
// No axe rule is disabled. The scans run through page.evaluate (the DevTools protocol), so
// the page's strict Content-Security-Policy stays as it ships.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ARTIFACTS, createKey, drop, open, pick, shot, uniq, usePrefs, WORK } from './harness.mjs'

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const FAILING = new Set(['serious', 'critical'])
const IMPACTS = ['critical', 'serious', 'moderate', 'minor']
// Transitions and animations end at once: a dialog is scanned as it settles, not mid-fade,
// without waiting for it (what axe sees does not depend on the motion).
const NO_MOTION = '*, *::before, *::after { transition-duration: 0s !important; transition-delay: 0s !important; animation-duration: 0s !important; animation-delay: 0s !important }'
const DRAWER = '[data-testid="key-drawer"]'

let b
let prefsBefore
const root = join(WORK, uniq('a11y'))
const keys = { sym: uniq('a11y-key'), disabled: uniq('a11y-off'), external: uniq('a11y-byok'), ecc: uniq('a11y-ecc') }
const cloud = uniq('a11y-cloud')
const plain = join(root, 'notes.txt')
const sealed = join(root, 'report.txt.kmsenc')
// results[combo][screen] = violations (rule id, impact, nodes)
const results = {}

// ---- helpers ------------------------------------------------------------------------

// settle waits until nothing moves and no dropdown is left open: a dialog's fade and the
// ripples of the last click would otherwise be measured half transparent, a closing
// dropdown as content outside the landmarks. Endless animations (spinners) are left.
async function settle(page) {
  await page.mouse.move(0, 0)
  await gone(page, '.t-select__dropdown')
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity),
  )
}

// scan runs axe on the page, or on the element of selector scope (a dialog, a drawer),
// and records the violations under combo/name.
async function scan(page, combo, name, scope = null) {
  await settle(page)
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE)
  const violations = await page.evaluate(
    async (scope) => {
      const context = scope ? document.querySelector(scope) : document
      const r = await window.axe.run(context, { resultTypes: ['violations'] })
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary?.split('\n').slice(1, 2).join(' ').trim() })),
      }))
    },
    scope,
  )
  ;(results[combo] ??= {})[name] = violations
  return violations
}

// overlay opens a dialog or drawer (found by its data-testid) with openIt(), scans it,
// then closes it with close() (Escape by default) and waits until it is gone.
async function overlay(page, combo, name, testid, openIt, close) {
  const sel = `[data-testid="${testid}"]`
  await openIt()
  await shown(page, sel)
  await scan(page, combo, name, sel)
  await (close ? close() : page.keyboard.press('Escape'))
  await gone(page, sel)
}

// shown and gone wait until something of selector is shown, or nothing, checking every
// frame (waitForSelector backs off to half a second, which adds up over 150 dialogs).
async function shown(page, sel) {
  await page.waitForFunction((s) => [...document.querySelectorAll(s)].some((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden'), sel, { polling: 'raf' })
}

async function gone(page, sel) {
  await page.waitForFunction((s) => [...document.querySelectorAll(s)].every((el) => !el.getClientRects().length || getComputedStyle(el).visibility === 'hidden'), sel, { polling: 'raf' })
}

async function closeDrawer(page) {
  await page.keyboard.press('Escape')
  await gone(page, DRAWER)
}

async function view(page, v) {
  await page.click(`[data-testid="nav-${v}"]`)
  await shown(page, `[data-testid="${v}-view"]`)
}

// openKey opens the drawer of a key from the Keys view.
async function openKey(page, alias) {
  await view(page, 'keys')
  await page.fill('[data-testid="keys-search"] input', alias)
  await page.locator(`[data-testid="keys-table"] tbody tr:has-text("${alias}") td >> nth=1`).click()
  await shown(page, `${DRAWER} [data-testid="drawer-keyid"]`)
}

// settingsTab opens a tab of the Settings view by position (the labels are translated).
async function settingsTab(page, n) {
  await view(page, 'settings')
  await page.click(`[data-testid="settings-view"] .t-tabs__nav-item >> nth=${n}`)
}

// ---- set-up: keys in every state a dialog needs, a cloud profile, an encrypted file -----

before(async () => {
  mkdirSync(root, { recursive: true })
  b = await open()
  const { page } = b
  prefsBefore = await usePrefs(page, { theme: 'light', language: 'en' })
  await page.addStyleTag({ content: NO_MOTION })

  await createKey(page, keys.sym)
  await createKey(page, keys.disabled)
  await createKey(page, keys.ecc, 'ECC P-256 sign/verify')
  await page.click('[data-testid="create-key"]')
  await page.fill('[data-testid="alias-input"] input', keys.external)
  await page.click('[data-testid="origin-external"]')
  await page.click('[data-testid="create-key-submit"]')
  await page.waitForSelector(`[data-testid="keys-table"] tr:has-text("${keys.external}")`)

  await openKey(page, keys.disabled)
  await page.click('[data-testid="drawer-disable"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Disabled")')
  await closeDrawer(page)
  // Rotate now needs automatic rotation on.
  await openKey(page, keys.sym)
  await page.click('[data-testid="drawer-rotation-switch"]')
  await page.fill('[data-testid="drawer-rotation-days"] input', '30')
  await page.click('[data-testid="drawer-rotation-save"]')
  await page.waitForSelector('[data-testid="rotation-period"]:has-text("Every 30 days")')
  await closeDrawer(page)

  // A cloud profile (never used: its endpoint refuses connections) for the edit and
  // temporary-credentials dialogs.
  await view(page, 'settings')
  await page.click('[data-testid="profile-create"]')
  await page.fill('[data-testid="profile-name"] input', cloud)
  await page.fill('[data-testid="profile-endpoint"] input', 'http://127.0.0.1:9')
  await page.fill('[data-testid="profile-secret-id"] input', 'AKIDa11yTESTsecretid0123456789')
  await page.fill('[data-testid="profile-secret-key"] input', 'a11yTestSecretKey')
  await page.click('[data-testid="profile-save"]')
  await page.waitForSelector(`[data-testid="profile-row"][data-name="${cloud}"]`)

  // An encrypted file (Inspect, Change keys, the conflict question) that also makes the
  // key's inventory non-empty (the guard before disabling it).
  writeFileSync(plain, 'meeting notes\n')
  writeFileSync(join(root, 'report.txt'), 'quarterly report\n')
  await drop(page, [join(root, 'report.txt')])
  await page.waitForSelector('[data-testid="files-item"][data-action="encrypt"]')
  await pick(page, 'files-key-picker', keys.sym)
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(1)')
  const jobs = await page.locator('[data-testid="job-card"]').count()
  await page.click('[data-testid="files-start"]')
  await page.click('[data-testid="local-warning-continue"]')
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-card"]').length > n && !document.querySelector('[data-testid="job-card"][data-state="running"]'), jobs, { timeout: 60000 })
  assert.ok(existsSync(sealed), `${sealed} was written`)
})

after(async () => {
  const { page } = b ?? {}
  if (page && prefsBefore) {
    // Leave the app as the other test files expect it: the preferences it had, no extra profile.
    await page.evaluate((p) => window.go.service.AppService.SavePreferences(p), prefsBefore)
    await page.evaluate((n) => window.go.service.SettingsService.DeleteProfile(n), cloud).catch(() => undefined)
  }
  await b?.ctx.close()
  rmSync(root, { recursive: true, force: true })
  report()
})

// ---- the scans ------------------------------------------------------------------------

// Every screen is scanned in the four pairs of theme and language; every dialog and
// drawer in two of them, light and English and dark and Chinese, so each is seen in both
// themes and both languages (all four would take the file past a minute on two cores).
const combos = [
  { theme: 'light', language: 'en', dialogs: true },
  { theme: 'dark', language: 'en', dialogs: false },
  { theme: 'light', language: 'zh-CN', dialogs: false },
  { theme: 'dark', language: 'zh-CN', dialogs: true },
]

for (const { theme, language, dialogs } of combos) {
  const combo = `${theme}/${language}`
  test(`axe: no serious or critical violation, ${combo}${dialogs ? ', with the dialogs' : ''}`, async () => {
    const { page } = b
    await usePrefs(page, { theme, language })
    await page.addStyleTag({ content: NO_MOTION })
    const tag = `a11y-${theme}-${language}`

    // Keys: the view; the create dialog and the drawer of a key in each state, with the
    // dialogs each one opens.
    await view(page, 'keys')
    await page.waitForSelector(`[data-testid="keys-table"] tr:has-text("${keys.sym}")`)
    await scan(page, combo, 'keys')
    if (theme === 'dark' || language !== 'en') await shot(page, `${tag}-keys`)
    if (dialogs) {
      await overlay(page, combo, 'create key', 'create-key-dialog', () => page.click('[data-testid="create-key"]'))
      await openKey(page, keys.sym)
      await scan(page, combo, 'key drawer', DRAWER)
      await overlay(page, combo, 'rotate now', 'rotate-key-dialog', () => page.click('[data-testid="rotate-now"]'))
      await overlay(page, combo, 'disable: files need the key', 'key-guard-dialog', () => page.click('[data-testid="drawer-disable"]'))
      await page.click('[data-testid="drawer-disable"]')
      await overlay(page, combo, 'move files to another key', 'move-files-dialog', () => page.click('[data-testid="guard-move"]'))
      await shown(page, '[data-testid="key-guard-dialog"]') // back at the guard
      await page.keyboard.press('Escape')
      await gone(page, '[data-testid="key-guard-dialog"]')
      await closeDrawer(page)
      await openKey(page, keys.disabled)
      await overlay(page, combo, 'schedule deletion', 'delete-key-dialog', () => page.click('[data-testid="drawer-schedule-deletion"]'))
      await closeDrawer(page)
      await openKey(page, keys.external)
      await overlay(page, combo, 'import key material', 'import-material-dialog', () => page.click('[data-testid="import-material"]'))
      await closeDrawer(page)
      await openKey(page, keys.ecc)
      await scan(page, combo, 'key drawer: sign/verify', DRAWER)
      await closeDrawer(page)
    }

    // Text: both tabs, and an error.
    await view(page, 'text')
    await scan(page, combo, 'text')
    await page.click('[data-testid="text-view"] .t-tabs__nav-item >> nth=1')
    await page.fill('[data-testid="ciphertext-input"] textarea', 'AAAA-k-BBBB-k-CCCC')
    await page.click('[data-testid="decrypt-btn"]')
    await page.waitForSelector('[data-testid="text-view"] [data-testid="error-alert"]')
    await scan(page, combo, 'text: decrypt error')
    await page.click('[data-testid="text-view"] .t-tabs__nav-item >> nth=0')

    // Files: the view with the finished jobs, then a drop of both kinds and the questions
    // it leads to.
    await view(page, 'files')
    await page.waitForSelector('[data-testid="job-card"]')
    await scan(page, combo, 'files')
    await drop(page, [plain, sealed])
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"]').length === 2)
    await pick(page, 'files-key-picker', keys.sym)
    await scan(page, combo, 'files: staged')
    if (theme === 'dark' && language === 'zh-CN') await shot(page, `${tag}-files`)
    if (dialogs) {
      const item = page.locator('[data-testid="files-item"][data-kind="envelope"]')
      await overlay(page, combo, 'inspect', 'inspect-dialog', () => item.locator('[data-testid="files-inspect"]').click())
      await overlay(page, combo, 'change keys', 'rewrap-dialog', () => item.locator('[data-testid="files-change-keys"]').click())
      const start = () => page.click('[data-testid="files-action-bar"] [data-testid="files-start"]')
      await overlay(page, combo, 'encrypt and decrypt?', 'mixed-start', start, () => page.click('[data-testid="mixed-start-both"]'))
      // Then the first local encryption of this window warns; Cancel starts nothing.
      await shown(page, '[data-testid="local-warning"]')
      if (theme === 'dark' && language === 'zh-CN') await shot(page, `${tag}-local-warning`)
      await overlay(page, combo, 'local-KMS warning', 'local-warning', async () => {})
      // The conflict question: decrypt next to the plaintext that is there, asking first.
      await page.click('[data-testid="files-item"][data-kind="file"] [data-testid="files-remove"]')
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"]').length === 1)
      await page.click('[data-testid="files-overwrite"]')
      await page.click('.t-select-option >> nth=1') // "Ask me"
      const jobs = await page.locator('[data-testid="job-card"]').count()
      await overlay(page, combo, 'file exists', 'conflict-dialog', start, () => page.click('[data-testid="conflict-skip"]'))
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-card"]').length > n && !document.querySelector('[data-testid="job-card"][data-state="running"]'), jobs)
      // The close question while jobs run: the event the Go side sends when the window's
      // close button is pressed with jobs running (Ctrl+Q would quit the app under test).
      await overlay(page, combo, 'close while jobs run', 'close-dialog', () => page.evaluate(() => window.runtime.EventsEmit('app:confirm-close', [{ id: 'a11y', state: 'running' }])))
    }

    // Settings: every tab and the dialogs each opens.
    const row = `[data-testid="profile-row"][data-name="${cloud}"]`
    await settingsTab(page, 0)
    await page.waitForSelector(row)
    await scan(page, combo, 'settings: profiles')
    if (dialogs) {
      await overlay(page, combo, 'profile: new', 'profile-dialog', () => page.click('[data-testid="profile-create"]'))
      await overlay(page, combo, 'profile: edit', 'profile-dialog', () => page.click(`${row} [data-testid="profile-edit"]`))
      await overlay(page, combo, 'profile: temporary credentials', 'temp-dialog', () => page.click(`${row} [data-testid="profile-temp"]`))
      await overlay(page, combo, 'profile: delete?', 'profile-delete-dialog', () => page.click(`${row} [data-testid="profile-delete"]`))
      await overlay(page, combo, 'profiles: import from environment', 'import-dialog', () => page.click('[data-testid="profile-import-env"]'))
    }
    await settingsTab(page, 1)
    await page.waitForSelector('[data-testid="recovery-panel"]')
    await scan(page, combo, 'settings: recovery')
    if (dialogs) await overlay(page, combo, 'new recovery key', 'recovery-key-dialog', () => page.click('[data-testid="recovery-new"]'))
    await settingsTab(page, 2)
    await page.waitForSelector('[data-testid="local-panel"]')
    await scan(page, combo, 'settings: local keys')
    if (dialogs) {
      await overlay(page, combo, 'back up local keys', 'local-backup-dialog', () => page.click('[data-testid="local-backup"]'))
      await overlay(page, combo, 'restore local keys', 'local-backup-dialog', () => page.click('[data-testid="local-restore"]'))
    }
    await settingsTab(page, 3)
    await page.waitForSelector('[data-testid="pref-theme"]')
    await scan(page, combo, 'settings: preferences')
    await settingsTab(page, 4)
    await page.waitForSelector('[data-testid="notice-row"]')
    await scan(page, combo, 'settings: about')
    if (language === 'zh-CN' && theme === 'light') await shot(page, `${tag}-about`)
    if (dialogs) await overlay(page, combo, 'license text', 'notice-dialog', () => page.click('[data-testid="notice-show"] >> nth=0'))

    const failing = Object.entries(results[combo]).flatMap(([screen, vs]) =>
      vs.filter((v) => FAILING.has(v.impact)).map((v) => `${screen}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => `${n.target} — ${n.summary}`).join('; ')}`),
    )
    assert.deepEqual(failing, [], `serious or critical accessibility violations in ${combo}`)
  })
}

// report prints the violations per screen and impact and saves them (with the rules and
// the elements) as a11y-summary.json.
function report() {
  const rows = []
  const byRule = {}
  for (const [combo, screens] of Object.entries(results)) {
    for (const [screen, vs] of Object.entries(screens)) {
      const count = Object.fromEntries(IMPACTS.map((i) => [i, 0]))
      for (const v of vs) {
        count[v.impact] += v.nodes.length
        byRule[`${v.impact} ${v.id}`] = (byRule[`${v.impact} ${v.id}`] ?? 0) + v.nodes.length
      }
      rows.push({ combo, screen, ...count })
    }
  }
  const w = Math.max(...rows.map((r) => r.screen.length), 6)
  const lines = [`a11y: ${rows.length} scans; elements in violation per screen (critical serious moderate minor)`]
  for (const r of rows) lines.push(`  ${r.combo.padEnd(13)} ${r.screen.padEnd(w)} ${IMPACTS.map((i) => String(r[i]).padStart(3)).join(' ')}`)
  lines.push('  by rule: ' + (Object.entries(byRule).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'))
  console.log(lines.join('\n'))
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(join(ARTIFACTS, 'a11y-summary.json'), JSON.stringify({ scans: rows, byRule, violations: results }, null, 2))
}
