// Recovery: make an offline recovery key in Settings and give it to the profile; files
// encrypted then carry it; change a file's keys in place (add a key, then move it to
// another key); decrypt with the recovery key file alone.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { WORK, answerDialog, createKey, drop, open, pick, settingsTab, shot, uniq } from './harness.mjs'

let b
let first
let second
const root = join(WORK, uniq('recovery'))
before(async () => {
  mkdirSync(root, { recursive: true })
  b = await open()
  first = uniq('e2e-rec-a')
  second = uniq('e2e-rec-b')
  await createKey(b.page, first)
  await createKey(b.page, second)
})
after(async () => {
  // Leave the profile as the other tests expect it: without a recovery key.
  const { page } = b
  await settingsTab(page, 'Recovery')
  const rm = page.locator('[data-testid="recovery-profile"] [data-testid="recipient"] button[aria-label^="Remove"]')
  for (let n = await rm.count(); n > 0; n = await rm.count()) {
    await rm.first().click()
    await page.waitForFunction((m) => document.querySelectorAll('[data-testid="recovery-profile"] [data-testid="recipient"]').length < m, n)
  }
  await b?.ctx.close()
  rmSync(root, { recursive: true, force: true })
})

// slotKinds reads the key slots the Inspect dialog shows for a staged .kmsenc item.
async function slotKinds(page, name) {
  await page.locator(`[data-testid="files-item"]:has-text("${name}") [data-testid="files-inspect"]`).click()
  const dlg = page.locator('[data-testid="inspect-dialog"]')
  await dlg.locator('[data-testid="inspect-key"]').first().waitFor()
  const kinds = await dlg.locator('[data-testid="inspect-key"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))
  return { dlg, kinds }
}

async function closeDialog(page, dlg) {
  await page.keyboard.press('Escape')
  await dlg.waitFor({ state: 'hidden' })
}

async function waitJob(page, kind) {
  const card = page.locator(`[data-testid="job-card"][data-kind="${kind}"]`).first()
  await card.waitFor()
  await page.waitForSelector(`[data-testid="job-card"][data-kind="${kind}"]:not([data-state="running"])`, { timeout: 60000 })
  return card
}

test('a recovery key made in Settings goes into every file of the profile and opens them without KMS', async () => {
  const { page } = b
  const keyFile = join(root, 'usb', 'break-glass.txt')
  mkdirSync(join(root, 'usb'))

  await settingsTab(page, 'Recovery')
  await page.click('[data-testid="recovery-new"]')
  await page.waitForSelector('[data-testid="recovery-key-dialog"] [data-testid="recovery-create"]')
  answerDialog(keyFile)
  await page.click('[data-testid="recovery-create"]')
  const recipient = (await page.locator('[data-testid="recovery-recipient"]').textContent()).trim()
  assert.match(recipient, /^age1[0-9a-z]+$/)
  assert.equal(statSync(keyFile).mode & 0o777, 0o600)
  assert.match(readFileSync(keyFile, 'utf8'), /AGE-SECRET-KEY-1/)
  await page.click('[data-testid="recovery-show-secret"]')
  const secret = await page.locator('[data-testid="recovery-secret"]').textContent()
  assert.ok(readFileSync(keyFile, 'utf8').includes(secret.trim()), 'the paper copy is the saved key')
  await shot(page, 'recovery-key-dialog')
  await page.click('[data-testid="recovery-use-profile"]')
  await page.waitForSelector('[data-testid="recovery-use-profile"][disabled]')
  await page.click('[data-testid="recovery-done"]')
  await page.locator('[data-testid="recovery-profile"] [data-testid="recipient"]').first().waitFor()
  await shot(page, 'recovery-settings')

  // Encrypt a file: it carries the profile's recovery key.
  const src = join(root, 'contract.pdf')
  writeFileSync(src, 'signed contract — 合同\n'.repeat(200))
  await drop(page, [src])
  await page.waitForSelector('[data-testid="files-item"][data-action="encrypt"]')
  assert.match(await page.locator('[data-testid="files-recovery"]').textContent(), /1 recovery key of profile/)
  await pick(page, 'files-key-picker', first)
  await page.click('[data-testid="files-start"]')
  // The local-KMS warning comes first unless an earlier test file turned it off.
  const warning = page.locator('[data-testid="local-warning-continue"]')
  await warning.or(page.locator('[data-testid="job-card"][data-kind="encrypt"]')).first().waitFor()
  if (await warning.isVisible()) await warning.click()
  await waitJob(page, 'encrypt')
  const enc = `${src}.kmsenc`
  assert.ok(existsSync(enc))

  // Inspect: the local KMS of this computer and the recovery key.
  await page.click('[data-testid="files-queue"] button:has-text("Clear finished")')
  await drop(page, [enc])
  await page.waitForSelector('[data-testid="files-item"][data-kind="envelope"]')
  let { dlg, kinds } = await slotKinds(page, 'contract.pdf.kmsenc')
  assert.deepEqual(kinds, ['local', 'recovery'])
  await shot(page, 'inspect-slots')
  await closeDialog(page, dlg)

  // Change keys: add the second key, in place; the payload stays byte for byte.
  const before = readFileSync(enc)
  await page.click('[data-testid="files-change-keys"]')
  const rw = page.locator('[data-testid="rewrap-dialog"]')
  await rw.locator('[data-testid="inspect-key"]').first().waitFor()
  await rw.locator('[data-testid="rewrap-mode-add"]').click()
  await pick(page, 'rewrap-key-picker', second)
  await shot(page, 'rewrap-dialog')
  await rw.locator('[data-testid="rewrap-submit"]').click()
  const card = await waitJob(page, 'rewrap')
  assert.equal(await card.getAttribute('data-state'), 'done')
  const afterAdd = readFileSync(enc)
  assert.ok(afterAdd.length > before.length, 'a slot was added')
  assert.deepEqual(afterAdd.subarray(afterAdd.length - 1000), before.subarray(before.length - 1000), 'the payload is unchanged')
  await drop(page, [enc])
  ;({ dlg, kinds } = await slotKinds(page, 'contract.pdf.kmsenc'))
  assert.deepEqual(kinds, ['local', 'recovery', 'local'])
  await closeDialog(page, dlg)

  // Decrypt with the recovery key file: it needs no KMS.
  const out = join(root, 'out')
  mkdirSync(out)
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(2)')
  await page.fill('[data-testid="files-output-dir"] input', out)
  answerDialog(keyFile)
  await page.click('[data-testid="files-identity-pick"]')
  await page.waitForSelector(`[data-testid="files-identity"]:has-text("break-glass.txt")`)
  await page.click('[data-testid="files-start"]')
  const dec = await waitJob(page, 'decrypt')
  assert.equal(await dec.getAttribute('data-state'), 'done')
  assert.deepEqual(readFileSync(join(out, 'contract.pdf')), readFileSync(src))
  assert.deepEqual(b.consoleErrors, [])
})
