// Rotation and bring your own key, on the real backend and its local KMS: turn on
// automatic rotation and rotate a key now (its last rotation shows, a second rotation the
// same day is refused with a translated message), then create an external key, import
// key material from a file (picked through the Go file dialog, answered by the dev
// build's hook), use the key, and delete the material again.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { alertCode, answerDialog, closeDrawer, createKey, open, openKey, pick, shot, uniq, WORK } from './harness.mjs'

let b
before(async () => {
  b = await open()
})
after(async () => {
  await b?.ctx.close()
})

test('rotate now: after turning on automatic rotation, once a day', async () => {
  const { page } = b
  const alias = uniq('e2e-rotate')
  await createKey(page, alias)
  await openKey(page, alias)
  const panel = '[data-testid="rotation-panel"]'
  assert.equal(await page.textContent(`${panel} [data-testid="rotation-last"]`), 'Never')
  assert.ok(await page.isDisabled('[data-testid="rotate-now"]'), 'Rotate now needs automatic rotation on')

  await page.click('[data-testid="drawer-rotation-switch"]')
  await page.fill('[data-testid="drawer-rotation-days"] input', '30')
  await page.click('[data-testid="drawer-rotation-save"]')
  await page.waitForSelector(`${panel} [data-testid="rotation-period"]:has-text("Every 30 days")`)

  await page.click('[data-testid="rotate-now"]')
  await page.waitForSelector('[data-testid="rotate-key-dialog"]:has-text("stays decryptable")')
  await shot(page, 'rotation-confirm')
  await page.click('[data-testid="rotate-key-submit"]')
  await page.waitForSelector('[data-testid="rotate-key-dialog"]', { state: 'hidden' })
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent !== 'Never', `${panel} [data-testid="rotation-last"]`)
  await shot(page, 'rotation-rotated')

  await page.click('[data-testid="rotate-now"]')
  await page.click('[data-testid="rotate-key-submit"]')
  const { code, text } = await alertCode(page, '[data-testid="rotate-key-dialog"]')
  assert.equal(code, 'RequestLimitExceeded.RotateRateLimited')
  assert.match(text, /less than 24 hours ago/)
  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="rotate-key-dialog"]', { state: 'hidden' })
  await closeDrawer(page)
})

test('bring your own key: create an external key, import material from a file, delete it', async () => {
  const { page } = b
  const alias = uniq('e2e-byok')
  await page.click('[data-testid="nav-keys"]')
  await page.click('[data-testid="create-key"]')
  await page.fill('[data-testid="alias-input"] input', alias)
  await page.click('[data-testid="origin-external"]')
  await page.click('[data-testid="create-key-submit"]')
  await openKey(page, alias)
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Pending import")')
  await page.waitForSelector('[data-testid="material-none"]')

  const wrong = join(WORK, `${alias}-short.key`)
  writeFileSync(wrong, randomBytes(16))
  const material = join(WORK, `${alias}.key`)
  const hex = randomBytes(32).toString('hex')
  writeFileSync(material, `${hex}\n`)

  await page.click('[data-testid="import-material"]')
  answerDialog(wrong)
  await page.click('[data-testid="material-pick"]')
  await page.waitForSelector('[data-testid="material-problem"]:has-text("128-bit key")')
  assert.ok(await page.isDisabled('[data-testid="import-material-submit"]'))

  answerDialog(material)
  await page.click('[data-testid="material-pick"]')
  await page.waitForSelector('[data-testid="material-bits"]:has-text("256-bit key")')
  await page.click('[data-testid="material-expiry-date"]')
  await page.fill('[data-testid="material-date"]', '2030-06-30')
  await pick(page, 'material-wrapping', 'RSA-OAEP with SHA-1')
  const dialog = await page.textContent('[data-testid="import-material-dialog"]')
  assert.ok(!dialog.includes(hex) && !dialog.includes(hex.slice(0, 16)), 'the material never shows in the UI')
  await shot(page, 'byok-import-dialog')
  await page.click('[data-testid="import-material-submit"]')
  await page.waitForSelector('[data-testid="import-material-dialog"]', { state: 'hidden' })
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Enabled")')
  assert.match(await page.textContent('[data-testid="material-expires"]'), /2030/)
  await shot(page, 'byok-imported')

  await page.click('[data-testid="delete-material"]')
  await page.waitForSelector('[data-testid="delete-material-dialog"]:has-text("stops working at once")')
  await page.click('[data-testid="delete-material-submit"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Pending import")')
  await page.waitForSelector('[data-testid="material-none"]')
  await shot(page, 'byok-deleted')
  await closeDrawer(page)
})
