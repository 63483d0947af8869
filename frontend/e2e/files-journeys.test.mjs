// Files, as people who never use a command line meet it (the hands-on review): a file
// named .kmsenc that is not one, a drop that mixes both kinds of work, Start and the
// running jobs in sight at 960×640, one file cancelled inside a batch, a folder encrypted
// again, a cut-off encrypted file, and the keyboard on "Where to save" and the dropdowns.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createKey, drop, jobCard, jobIds, newJob, pick, shot, suite, uniq } from './harness.mjs'

const s = suite('journeys')
const alias = uniq('e2e-journeys')
let setUp

// ready gives the page, with this file's key made (once) and the Files view open.
function ready() {
  setUp ??= (async () => {
    await createKey(s.b.page, alias)
    await s.b.page.click('[data-testid="nav-files"]')
    return s.b.page
  })()
  return setUp
}

// startJob starts the staged items as one job of kind and gives its card: the card of
// the job this click started, never an older one; the local-KMS warning is answered
// when it shows, and a refusal shown in the action bar fails the test with its text.
async function startJob(page, kind) {
  const before = await jobIds(page)
  await page.click('[data-testid="files-action-bar"] [data-testid="files-start"]')
  const next = () =>
    page
      .waitForFunction(
        ([kind, before]) => {
          const card = [...document.querySelectorAll('[data-testid="job-card"]')].find((c) => c.getAttribute('data-kind') === kind && !before.includes(c.getAttribute('data-job-id')))
          if (card) return { id: card.getAttribute('data-job-id') }
          if (document.querySelector('[data-testid="local-warning-continue"]')?.checkVisibility()) return { warning: true }
          const refused = document.querySelector('[data-testid="files-action-bar"] [data-testid="error-alert"]')
          return refused ? { error: refused.textContent } : null
        },
        [kind, before],
      )
      .then((h) => h.jsonValue())
  let got = await next()
  if (got.warning) {
    await page.click('[data-testid="local-warning-continue"]')
    await page.locator('[data-testid="local-warning-continue"]').waitFor({ state: 'hidden' })
    got = await next()
  }
  assert.ok(!got.error, `Start was refused: ${got.error}`)
  return jobCard(page, got.id)
}

async function stageEncrypt(page, paths, out) {
  await drop(page, paths)
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="files-item"][data-action="encrypt"]').length >= n, paths.length)
  await pick(page, 'files-key-picker', alias)
  if (out) await useFolder(page, out)
  else await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(1)')
}

async function useFolder(page, dir) {
  mkdirSync(dir, { recursive: true })
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(2)')
  await page.fill('[data-testid="files-output-dir"] input', dir)
}

async function waitEnded(page, card) {
  await page.waitForFunction((id) => document.querySelector(`[data-testid="job-card"][data-job-id="${id}"]`)?.getAttribute('data-state') !== 'running', await card.getAttribute('data-job-id'), { timeout: 60000 })
}

async function clearAll(page) {
  if (await page.locator('[data-testid="files-items"]').count()) await page.click('.items-head button:has-text("Clear list")')
  const finished = page.locator('button:has-text("Clear finished")')
  if (await finished.count()) await finished.click()
}

test('a file named .kmsenc that is not one: "Cannot process", and Remove names it', async () => {
  const page = await ready()
  const fake = join(s.root, 'fake.kmsenc')
  writeFileSync(fake, 'just a renamed text file\n')
  await drop(page, [fake])
  const it = page.locator('[data-testid="files-item"]:has-text("fake.kmsenc")')
  await it.waitFor()
  assert.match(await it.textContent(), /Cannot process/)
  assert.equal(await it.locator('[data-testid="files-item-error"]').getAttribute('data-code'), 'Envelope.NotEnvelope')
  assert.equal(await it.locator('[data-testid="files-encrypt-anyway"]').count(), 1)
  await shot(page, 'files-cannot-process')
  await page.click('[data-testid="files-remove"][aria-label="Remove fake.kmsenc"]')
  await page.waitForSelector('[data-testid="files-items"]', { state: 'detached' })
})

test('a drop that mixes both kinds of work asks once, with good grammar, then starts both', async () => {
  const page = await ready()
  const dir = join(s.root, 'mixed')
  mkdirSync(dir)
  writeFileSync(join(dir, 'letter.txt'), 'Dear all,\n')
  await stageEncrypt(page, [join(dir, 'letter.txt')])
  await waitEnded(page, await startJob(page, 'encrypt'))
  writeFileSync(join(dir, 'minutes.txt'), 'Minutes of the meeting\n')
  writeFileSync(join(dir, 'agenda.txt'), 'Agenda\n')
  await drop(page, [join(dir, 'minutes.txt'), join(dir, 'agenda.txt'), join(dir, 'letter.txt.kmsenc')])
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"]').length === 3)
  await useFolder(page, join(dir, 'out'))
  const button = page.locator('[data-testid="files-action-bar"] [data-testid="files-start"]')
  assert.equal((await button.textContent()).trim(), 'Encrypt 2 items and decrypt 1 item')
  const before = await jobIds(page)
  await button.click()
  const dialog = page.locator('[data-testid="mixed-start"]')
  await dialog.waitFor()
  assert.match(await page.locator('[data-testid="mixed-start"] .t-dialog__header').textContent(), /Encrypt 2 items and decrypt 1 item\?/)
  assert.match(await page.locator('[data-testid="mixed-decrypt"]').textContent(), /letter\.txt\.kmsenc/)
  await shot(page, 'files-mixed-start')
  await page.click('[data-testid="mixed-start-both"]')
  await waitEnded(page, await newJob(page, 'encrypt', before))
  await waitEnded(page, await newJob(page, 'decrypt', before))
  assert.deepEqual(readdirSync(join(dir, 'out')).sort(), ['agenda.txt.kmsenc', 'letter.txt', 'minutes.txt.kmsenc'])
  await clearAll(page)
})

test('at 960×640 Start and the running job stay in sight; one file is cancelled, the rest goes on', async () => {
  const page = await ready()
  await page.setViewportSize({ width: 960, height: 640 })
  try {
    const dir = join(s.root, 'big')
    mkdirSync(dir)
    const bigs = ['video-a.iso', 'video-b.iso'].map((n) => join(dir, n))
    for (const p of bigs) {
      writeFileSync(p, '')
      truncateSync(p, 2 * 1024 * 1024 * 1024) // sparse: 2 GiB that encryption still has to read
    }
    const out = join(dir, 'out')
    await stageEncrypt(page, bigs, out)
    const card = await startJob(page, 'encrypt')
    const jobId = await card.getAttribute('data-job-id')
    await card.locator('[data-testid="job-current"]').waitFor()

    // Files staged meanwhile push the job card down; the bar keeps Start and the job.
    const more = Array.from({ length: 8 }, (_, i) => join(dir, `scan-${i + 1}.pdf`))
    for (const p of more) writeFileSync(p, randomBytes(2048))
    await drop(page, more)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"]').length === 8)
    await page.evaluate(() => document.querySelector('.content')?.scrollTo(0, 0))
    const bar = page.locator('[data-testid="files-action-bar"]')
    const startBox = await bar.locator('[data-testid="files-start"]').boundingBox()
    assert.ok(startBox && startBox.y >= 0 && startBox.y + startBox.height <= 640, `Start is in sight (${JSON.stringify(startBox)})`)
    const jobBox = await bar.locator('[data-testid="files-bar-job"]').boundingBox()
    assert.ok(jobBox && jobBox.y + jobBox.height <= 640, 'the running job is in sight')
    assert.ok(!(await card.isVisible()) || (await card.boundingBox()).y > 640 - 1, 'the job card itself is below the fold')
    await shot(page, 'files-960x640-sticky')
    await page.evaluate(() => document.querySelector('.content')?.scrollTo(0, 1e6))
    assert.ok((await bar.boundingBox()).y + (await bar.boundingBox()).height <= 640, 'the bar stays at the bottom when scrolled')

    // Cancel the file in progress: it ends cancelled, the other goes on.
    await card.scrollIntoViewIfNeeded()
    await shot(page, 'files-job-running')
    const current = await card.locator('[data-testid="job-current"] .name').getAttribute('title')
    await card.locator('[data-testid="job-cancel-file"]').click()
    await card.locator('[data-testid="job-result"][data-status="cancelled"]').waitFor()
    assert.equal(await card.getAttribute('data-state'), 'running', 'the job goes on with the other file')
    assert.match(await card.locator('[data-testid="job-result"][data-status="cancelled"]').textContent(), new RegExp(current.split('/').pop().replace('.', '\\.')))
    await shot(page, 'files-job-file-cancelled')
    await card.locator('[data-testid="job-cancel"]').click()
    await page.waitForSelector(`[data-testid="job-card"][data-job-id="${jobId}"][data-state="cancelled"]`)
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'nothing written to the output folder')
    await clearAll(page)
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 })
  }
})

test('a folder encrypted again: up-to-date copies are skipped and say why', async () => {
  const page = await ready()
  const dir = join(s.root, 'contracts')
  mkdirSync(dir)
  writeFileSync(join(dir, 'contract.pdf'), randomBytes(30000))
  writeFileSync(join(dir, 'annex.pdf'), randomBytes(5000))
  await stageEncrypt(page, [dir])
  await waitEnded(page, await startJob(page, 'encrypt'))
  await clearAll(page)

  await stageEncrypt(page, [dir])
  assert.ok(await page.isChecked('[data-testid="files-skip-current"] input'), 'on by default')
  const card = await startJob(page, 'encrypt')
  await waitEnded(page, card)
  assert.equal(await card.locator('[data-testid="job-result"][data-status="skipped"]').count(), 4)
  const copy = card.locator('[data-testid="job-result"]:has-text("contract.pdf") [data-code="File.UpToDate"]')
  assert.match(await copy.textContent(), /An up-to-date encrypted copy already exists/)
  assert.match(await copy.locator('[data-testid="job-result-subject"]').textContent(), /Encrypted copy: .*contract\.pdf\.kmsenc/)
  assert.match(await card.locator('[data-code="File.AlreadyEncrypted"]').first().textContent(), /The file is already encrypted/)
  await card.scrollIntoViewIfNeeded()
  await shot(page, 'files-job-skipped')
  assert.deepEqual(readdirSync(dir).sort(), ['annex.pdf', 'annex.pdf.kmsenc', 'contract.pdf', 'contract.pdf.kmsenc'], 'no "(1)" copies')
  await clearAll(page)
})

test('a cut-off encrypted file is "incomplete", not "tampered with"', async () => {
  const page = await ready()
  const dir = join(s.root, 'cut')
  mkdirSync(dir)
  writeFileSync(join(dir, 'photo.jpg'), randomBytes(120000))
  await stageEncrypt(page, [join(dir, 'photo.jpg')])
  await waitEnded(page, await startJob(page, 'encrypt'))
  const whole = readFileSync(join(dir, 'photo.jpg.kmsenc'))
  const cut = join(dir, 'copy of photo.jpg.kmsenc')
  writeFileSync(cut, whole.subarray(0, 70000))
  await drop(page, [cut])
  await page.waitForSelector('[data-testid="files-item"][data-action="decrypt"]')
  await useFolder(page, join(dir, 'out'))
  const card = await startJob(page, 'decrypt')
  await waitEnded(page, card)
  const err = card.locator('[data-testid="job-result-error"]')
  assert.equal(await err.getAttribute('data-code'), 'Envelope.Truncated')
  assert.match(await err.textContent(), /The encrypted file is incomplete/)
  await card.scrollIntoViewIfNeeded()
  await shot(page, 'files-job-truncated')
  assert.deepEqual(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : [], [])
  await clearAll(page)
})

test('keyboard: arrow keys move "Where to save"; dropdowns show where the focus is', async () => {
  const page = await ready()
  const p = join(s.root, 'keyboard.txt')
  writeFileSync(p, 'keys')
  await drop(page, [p])
  await page.waitForSelector('[data-testid="files-output-mode"]')
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(1)')
  await page.focus('[data-testid="files-output-mode"] .t-radio:nth-child(1)')
  await page.keyboard.press('ArrowDown')
  await page.waitForSelector('[data-testid="files-output-dir"]')
  assert.ok(await page.isChecked('[data-testid="files-output-mode"] .t-radio:nth-child(2) input'), 'ArrowDown chose "In this folder"')
  await page.keyboard.press('ArrowUp')
  await page.waitForSelector('[data-testid="files-output-dir"]', { state: 'detached' })

  // Tab on to the dropdown of "If a result already exists": its field shows a ring.
  let ring = ''
  for (let i = 0; i < 12 && !ring; i++) {
    await page.keyboard.press('Tab')
    ring = await page.evaluate(() => {
      const field = document.activeElement?.closest('[data-testid="files-overwrite"] .t-input')
      if (!field) return ''
      const s = getComputedStyle(field)
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? s.outlineColor : 'none'
    })
  }
  assert.ok(ring && ring !== 'none', `the overwrite dropdown has a visible focus ring (${ring})`)
  await shot(page, 'files-focus-ring')
  await clearAll(page)
})
