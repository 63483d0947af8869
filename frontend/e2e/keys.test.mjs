// Keys: keyboard use, the detail drawer (edit, disable, delete/cancel), batch enable,
// strings rendered as text, and the translated "key disabled" error in the Text tool.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { alertCode, closeDrawer, createKey, open, openKey, pick, row, shot, uniq } from './harness.mjs'

let b
before(async () => {
  b = await open()
})
after(async () => {
  await b?.ctx.close()
})

test('keyboard: Tab reaches "Create key", Enter opens the dialog, Escape closes it', async () => {
  const { page } = b
  await page.click('[data-testid="nav-keys"]')
  await page.waitForSelector('[data-testid="keys-table"]')
  await page.evaluate(() => document.activeElement?.blur())
  let reached = false
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'create-key')
  }
  assert.ok(reached, 'the Create key button is reachable with Tab')
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)
  assert.notEqual(ring, 'none', 'the focused button shows a focus ring')
  await page.keyboard.press('Enter')
  await page.waitForSelector('[data-testid="alias-input"] input', { state: 'visible' })
  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="alias-input"] input', { state: 'hidden' })
})

test('keyboard: Enter on a focused row opens the drawer', async () => {
  const { page } = b
  const alias = uniq('e2e-kbd')
  await createKey(page, alias)
  await page.fill('[data-testid="keys-search"] input', alias)
  const r = row(page, alias)
  await r.waitFor()
  await r.focus()
  await page.keyboard.press('Enter')
  await page.waitForSelector('[data-testid="key-drawer"] [data-testid="drawer-keyid"]')
  assert.equal(await page.inputValue('[data-testid="drawer-alias"] input'), alias)
  await closeDrawer(page)
  await page.fill('[data-testid="keys-search"] input', '')
})

test('disable a key → encrypting with it shows the translated "key disabled" error', async () => {
  const { page } = b
  const alias = uniq('e2e-disable')
  await createKey(page, alias)
  await page.click('[data-testid="nav-text"]')
  await pick(page, 'key-picker', alias)

  await openKey(page, alias)
  await page.click('[data-testid="drawer-disable"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Disabled")')
  await closeDrawer(page)
  await row(page, alias).locator('[data-testid="key-state"]:has-text("Disabled")').waitFor()

  await page.click('[data-testid="nav-text"]')
  await page.fill('[data-testid="plaintext-input"] textarea', 'hello')
  await page.click('[data-testid="encrypt-btn"]')
  const { code, text } = await alertCode(page, '[data-testid="text-view"]')
  assert.equal(code, 'ResourceUnavailable.CmkDisabled')
  assert.match(text, /The key is disabled/)
  assert.match(text, /Enable the key in Keys/)
  assert.doesNotMatch(text, /kms Encrypt|request/i, 'no raw Go or service message')
})

test('drawer: edit alias and description (shown as text), rotation, delete and cancel deletion', async () => {
  const { page } = b
  const alias = uniq('e2e-drawer')
  await createKey(page, alias)
  await openKey(page, alias)

  const renamed = `${alias}-x`
  await page.fill('[data-testid="drawer-alias"] input', renamed)
  await page.click('[data-testid="drawer-alias-save"]')
  const evil = '<img src=x onerror="window.__xss=1"> & <b>not bold</b>'
  await page.fill('[data-testid="drawer-description"] textarea', evil)
  await page.click('[data-testid="drawer-description-save"]')
  await page.waitForSelector('[data-testid="drawer-description-save"][disabled]')

  await page.click('[data-testid="drawer-rotation-switch"]')
  await page.fill('[data-testid="drawer-rotation-days"] input', '90')
  await page.click('[data-testid="drawer-rotation-save"]')
  await page.waitForSelector('[data-testid="key-drawer"] :text("Next rotation")')
  await closeDrawer(page)

  await page.fill('[data-testid="keys-search"] input', renamed)
  const r = row(page, renamed)
  await r.waitFor()
  assert.equal(await r.locator('[data-testid="key-description"]').textContent(), evil)
  assert.equal(await page.locator('[data-testid="keys-table"] img, [data-testid="keys-table"] b').count(), 0)
  assert.equal(await page.evaluate(() => window.__xss), undefined)
  assert.equal(await r.locator('td').nth(6).textContent(), 'On')

  // Deletion needs a disabled key and the alias typed exactly.
  await openKey(page, renamed)
  await page.click('[data-testid="drawer-disable"]')
  await page.click('[data-testid="drawer-schedule-deletion"]')
  await page.fill('[data-testid="delete-days"] input', '7')
  await page.fill('[data-testid="delete-confirm"] input', alias)
  assert.ok(await page.isDisabled('[data-testid="delete-submit"]'), 'a wrong confirmation keeps the button disabled')
  await page.fill('[data-testid="delete-confirm"] input', renamed)
  await page.click('[data-testid="delete-submit"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Pending deletion")')
  await page.click('[data-testid="drawer-cancel-deletion"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Disabled")')
  await closeDrawer(page)
})

test('batch: select rows and enable them together', async () => {
  const { page } = b
  const prefix = uniq('e2e-batch')
  for (const n of ['a', 'b']) await createKey(page, `${prefix}-${n}`)
  await page.fill('[data-testid="keys-search"] input', prefix)
  await row(page, `${prefix}-b`).waitFor()
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="keys-table"] tbody tr[data-key-id]').length === 2)
  for (const n of ['a', 'b']) await row(page, `${prefix}-${n}`).locator('.t-checkbox').click()
  await page.click('[data-testid="batch-disable"]')
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="key-state"]')].every((e) => e.textContent === 'Disabled'))
  for (const n of ['a', 'b']) await row(page, `${prefix}-${n}`).locator('.t-checkbox').click()
  await page.click('[data-testid="batch-enable"]')
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="key-state"]')].every((e) => e.textContent === 'Enabled'))
  await page.fill('[data-testid="keys-search"] input', '')
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="keys-table"] tbody tr[data-key-id]').length > 2)
  await shot(page, 'keys')
})

test('asymmetric key: public key PEM, sign and verify a message', async () => {
  const { page } = b
  const alias = uniq('e2e-ecc')
  await createKey(page, alias, 'ECC P-256 sign/verify')
  await openKey(page, alias)
  await page.click('[data-testid="drawer-show-pem"]')
  assert.match(await page.locator('[data-testid="drawer-pem"]').textContent(), /-----BEGIN PUBLIC KEY-----/)
  await page.fill('[data-testid="sign-message"] textarea', 'approve invoice 42')
  await page.click('[data-testid="sign-btn"]')
  await page.waitForFunction(() => document.querySelector('[data-testid="sign-signature"] textarea')?.value.length > 20)
  await page.click('[data-testid="verify-btn"]')
  await page.waitForSelector('[data-testid="sign-valid"]')
  await page.fill('[data-testid="sign-message"] textarea', 'approve invoice 43')
  await page.click('[data-testid="verify-btn"]')
  await page.waitForSelector('[data-testid="sign-invalid"]')
  await shot(page, 'key-drawer')
  await closeDrawer(page)
})
