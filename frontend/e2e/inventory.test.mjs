// Key-lifecycle guard: files encrypted with a key are in the inventory; disabling the key
// warns with their count, "Move files to another key…" re-wraps them to another key (the
// data stays, the key slots change), and then the key is disabled.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { closeDrawer, createKey, drop, open, openKey, pick, shot, uniq, WORK } from './harness.mjs'

let b
const root = join(WORK, uniq('inventory'))
before(async () => {
  mkdirSync(root, { recursive: true })
  b = await open()
})
after(async () => {
  await b?.ctx.close()
  rmSync(root, { recursive: true, force: true })
})

async function keyIdOf(page, alias) {
  await openKey(page, alias)
  const id = (await page.locator('[data-testid="drawer-keyid"]').textContent()).trim()
  await closeDrawer(page)
  return id
}

test('disable a key with files → warning with the count → move the files → disable goes through', async () => {
  const { page } = b
  const from = uniq('e2e-from')
  const to = uniq('e2e-to')
  await createKey(page, from)
  await createKey(page, to)
  const fromId = await keyIdOf(page, from)
  const toId = await keyIdOf(page, to)

  const files = ['salaries.xlsx', 'contracts.pdf'].map((n) => join(root, n))
  for (const f of files) writeFileSync(f, `content of ${f}\n`.repeat(100))
  await drop(page, files)
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"][data-action="encrypt"]').length === 2)
  await pick(page, 'files-key-picker', from)
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(1)') // next to the originals
  await page.click('[data-testid="files-start"]')
  // The local-KMS warning comes first unless an earlier test file turned it off; the job's
  // card is found by its files (the Files view also lists the jobs earlier files ran).
  const warning = page.locator('[data-testid="local-warning-continue"]')
  const card = '[data-testid="job-card"][data-kind="encrypt"]:has-text("salaries.xlsx")'
  await warning.or(page.locator(card)).first().waitFor()
  if (await warning.isVisible()) await warning.click()
  await page.waitForSelector(`${card}[data-state="done"]`, { timeout: 60000 })
  const encrypted = files.map((f) => `${f}.kmsenc`)
  const before = encrypted.map((f) => readFileSync(f))
  for (const bytes of before) assert.ok(bytes.includes(Buffer.from(fromId)), 'the file names the first key')

  // The drawer offers to move them on its own, with their count.
  await openKey(page, from)
  await page.waitForSelector('[data-testid="drawer-files"] [data-testid="drawer-move-files"]')
  assert.match(await page.locator('[data-testid="drawer-files"]').textContent(), /2 encrypted files on this computer open with this key/)
  await page.locator('[data-testid="drawer-files"]').scrollIntoViewIfNeeded()
  await shot(page, 'key-drawer-move-files')

  // Disable: the guard shows how many files need the key, and only it.
  await page.click('[data-testid="drawer-disable"]')
  const guard = page.locator('[data-testid="key-guard-dialog"]')
  await guard.waitFor()
  assert.equal(await guard.getAttribute('data-count'), '2')
  assert.equal(await guard.getAttribute('data-only'), '2')
  assert.match(await page.locator('[data-testid="guard-summary"]').textContent(), /2 encrypted files on this computer open with/)
  assert.equal(await page.locator('[data-testid="guard-file"]').count(), 2)
  assert.equal(await page.locator('[data-testid="drawer-state"]').textContent(), 'Enabled', 'nothing changed yet')
  await page.waitForTimeout(300) // the dialog's opening animation, for the picture
  await shot(page, 'key-guard')

  // Move files to another key: a re-wrap job, listed in Files too.
  await page.click('[data-testid="guard-move"]')
  await page.waitForSelector('[data-testid="move-files-dialog"] [data-testid="move-target"]')
  await pick(page, 'move-target', to)
  await page.waitForTimeout(300)
  await shot(page, 'move-files')
  await page.click('[data-testid="move-submit"]')
  await page.waitForSelector('[data-testid="move-done"]', { timeout: 60000 })
  assert.doesNotMatch(await page.locator('[data-testid="move-files-dialog"]').textContent(), /Give 0 files/)
  await page.waitForTimeout(500) // the progress bar's transition, for the picture
  await shot(page, 'move-files-done')

  for (const [i, f] of encrypted.entries()) {
    const now = readFileSync(f)
    assert.ok(now.includes(Buffer.from(toId)) && !now.includes(Buffer.from(fromId)), `${f} opens with the new key only`)
    // The payload is byte for byte the same: only the header changed.
    assert.ok(now.subarray(now.length - 64).equals(before[i].subarray(before[i].length - 64)), 'the data was not re-encrypted')
  }

  // Back at the guard: nothing depends on the key any more; disabling goes through.
  await page.click('[data-testid="move-close"]')
  await page.waitForFunction(() => document.querySelector('[data-testid="key-guard-dialog"]')?.getAttribute('data-count') === '0')
  await page.click('[data-testid="guard-proceed"]')
  await page.waitForFunction(() => document.querySelector('[data-testid="drawer-state"]')?.textContent === 'Disabled')
  await closeDrawer(page)

  // The re-wrap job is in the Files view's job list.
  await page.click('[data-testid="nav-files"]')
  await page.waitForSelector('[data-testid="job-card"][data-kind="rewrap"][data-state="done"]')
})
