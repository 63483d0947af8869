// Local keys: back up through Settings (the warning, the passphrase twice, the save
// dialog), then the lost-computer story: a file made with another computer's local KMS
// does not decrypt here; that computer's backup is restored through the open dialog (a
// wrong passphrase first); then the file decrypts and the key is listed. The file dialogs
// are answered through the dev build's scripted dialogs (answerDialog).
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { WORK, answerDialog, drop, settingsTab, shot, suite } from './harness.mjs'

// The known-answer backup of a local KMS that no longer exists (see its README).
const VECTOR = fileURLToPath(new URL('../../testdata/localkms-backup/', import.meta.url))
const VECTOR_PASSPHRASE = 'e2e fixture passphrase'
const VECTOR_INSTANCE = '1e5efab8-0512-418a-b2a0-6c24e150e5a1'

const s = suite('localkeys')

const text = async (page, sel) => (await page.locator(sel).textContent()) ?? ''

// decryptInFiles drops a file on the window and decrypts it into dir; it returns the job
// card once the job ended in state. The card is told apart by its job id: the Files view
// also lists the jobs of the tests before (the backend keeps them).
async function decryptInFiles(page, file, dir, state) {
  await drop(page, [file])
  await page.waitForSelector('[data-testid="files-view"]')
  await page.waitForSelector('[data-testid="files-item"][data-action="decrypt"]')
  mkdirSync(dir, { recursive: true })
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(2)')
  await page.fill('[data-testid="files-output-dir"] input', dir)
  const known = await page.locator('[data-testid="job-card"]').evaluateAll((cards) => cards.map((c) => c.dataset.jobId))
  await page.click('[data-testid="files-start"]')
  const id = await (
    await page.waitForFunction((ids) => [...document.querySelectorAll('[data-testid="job-card"]')].map((c) => c.dataset.jobId).find((j) => !ids.includes(j)), known)
  ).jsonValue()
  const card = page.locator(`[data-testid="job-card"][data-job-id="${id}"]`)
  await page.waitForSelector(`[data-testid="job-card"][data-job-id="${id}"][data-state="${state}"]`, { timeout: 60000 })
  return card
}

test('back up local keys: the warning, 12 characters twice, an age file only the owner reads', async () => {
  const { page } = s.b
  await settingsTab(page, 'Local keys')
  await page.waitForSelector('[data-testid="local-keys"]')
  await page.click('[data-testid="local-backup"]')
  await page.waitForSelector('[data-testid="backup-warning"]')
  assert.match(await text(page, '[data-testid="backup-warning"]'), /Anyone with this file and passphrase can decrypt your files\. Without them, a lost computer means lost files\./)
  const submit = page.locator('[data-testid="local-backup-submit"]')
  await page.fill('[data-testid="backup-passphrase"] input', 'too short')
  await page.fill('[data-testid="backup-passphrase-again"] input', 'too short')
  assert.ok(await submit.isDisabled(), 'a short passphrase is refused')
  assert.match(await text(page, '[data-testid="local-backup-dialog"]'), /9 characters; at least 12 are needed/)
  await page.fill('[data-testid="backup-passphrase"] input', 'e2e backup passphrase')
  await page.fill('[data-testid="backup-passphrase-again"] input', 'e2e backup passphrase')
  assert.ok(await submit.isEnabled())
  await page.waitForTimeout(300) // let the fields' border colour transition finish for the picture
  await shot(page, 'local-backup-dialog')

  const path = join(s.root, 'local-keys.age')
  answerDialog(path)
  await submit.click()
  await page.waitForSelector('[data-testid="backup-result"]')
  assert.match(await text(page, '[data-testid="backup-result"]'), new RegExp(`are in ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`))
  await shot(page, 'local-backup-done')
  assert.ok(readFileSync(path, 'utf8').startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n'))
  assert.equal(statSync(path).mode & 0o777, 0o600)
  assert.ok(!(await page.content()).includes('e2e backup passphrase'), 'the passphrase is nowhere in the page')
  await page.click('[data-testid="local-backup-close"]')
  await page.waitForSelector('[data-testid="backup-result"]', { state: 'detached' })
})

test("restore another computer's backup: its file fails first, decrypts afterwards", async () => {
  const { page } = s.b
  const lost = join(s.root, 'lost-computer.txt.kmsenc')
  const backup = join(s.root, 'other-computer.age')
  copyFileSync(join(VECTOR, 'lost-computer.txt.kmsenc'), lost)
  copyFileSync(join(VECTOR, 'v1.age'), backup)

  const before = await decryptInFiles(page, lost, join(s.root, 'before'), 'failed')
  assert.equal(await before.locator('[data-testid="job-result-error"]').first().getAttribute('data-code'), 'LocalKMS.OtherComputer')

  await settingsTab(page, 'Local keys')
  await page.click('[data-testid="local-restore"]')
  await page.waitForSelector('[data-testid="local-backup-dialog"][data-mode="restore"]')
  answerDialog(backup)
  await page.click('[data-testid="restore-choose"]')
  await page.waitForFunction((p) => document.querySelector('[data-testid="restore-file"]')?.textContent === p, backup)

  await page.fill('[data-testid="restore-passphrase"] input', 'not the passphrase')
  await page.click('[data-testid="local-backup-submit"]')
  const alert = page.locator('[data-testid="local-backup-dialog"] [data-testid="error-alert"]')
  await alert.waitFor()
  assert.equal(await alert.getAttribute('data-code'), 'LocalKMS.BackupPassphrase')
  assert.match(await alert.textContent(), /Wrong passphrase/)
  await shot(page, 'local-restore-wrong-passphrase')

  await page.fill('[data-testid="restore-passphrase"] input', VECTOR_PASSPHRASE)
  await page.click('[data-testid="local-backup-submit"]')
  await page.waitForSelector('[data-testid="restore-result"]')
  assert.match(await text(page, '[data-testid="restore-added"]'), /^1 e2e-fixture$/)
  assert.equal(await text(page, '[data-testid="restore-instances"]'), VECTOR_INSTANCE)
  await shot(page, 'local-restore-done')
  await page.click('[data-testid="local-backup-close"]')

  await page.click('[data-testid="nav-keys"]')
  await page.fill('[data-testid="keys-search"] input', 'e2e-fixture')
  await page.waitForSelector('[data-testid="keys-table"] tbody tr:has-text("e2e-fixture")')

  const afterDir = join(s.root, 'after')
  await decryptInFiles(page, lost, afterDir, 'done')
  assert.equal(readFileSync(join(afterDir, 'lost-computer.txt'), 'utf8'), 'Made on a computer that is gone.\n')
})

test('no passphrase reached a file of the app (settings, local KMS data, logs)', () => {
  // scripts/e2e.sh runs the app with KMSDESK_HOME=$KMSDESK_E2E_WORK/home.
  const home = join(WORK, 'home')
  assert.ok(existsSync(home), `the app's KMSDESK_HOME ${home} (run the suite with scripts/e2e.sh)`)
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]))
  for (const f of walk(home)) {
    const data = readFileSync(f)
    for (const p of ['e2e backup passphrase', VECTOR_PASSPHRASE]) assert.ok(!data.includes(p), `${f} holds a passphrase`)
  }
})
