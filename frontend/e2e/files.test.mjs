// Files: drop two files and a folder, encrypt them with progress to 100 %, decrypt the
// results into another folder and compare bytes; inspect and verify a .kmsenc file; the
// conflict question; cancel a large file mid-way and leave nothing behind.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { after, before, test } from 'node:test'
import { createKey, drop, jobIds, newJob, open, pick, shot, uniq, WORK } from './harness.mjs'

let b
let alias
const root = join(WORK, uniq('files'))
before(async () => {
  mkdirSync(root, { recursive: true })
  b = await open()
  alias = uniq('e2e-files')
  await createKey(b.page, alias)
})
after(async () => {
  await b?.ctx.close()
  rmSync(root, { recursive: true, force: true })
})

// tree lists the regular files under dir as relative path → content.
function tree(dir) {
  const out = new Map()
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.set(relative(dir, p), readFileSync(p))
    }
  }
  walk(dir)
  return out
}

async function useFolder(page, dir) {
  mkdirSync(dir, { recursive: true })
  await page.click('[data-testid="files-output-mode"] .t-radio:nth-child(2)')
  await page.fill('[data-testid="files-output-dir"] input', dir)
}

// waitJob waits for the card of the job of kind this test started (not among known) to
// end in state, and returns it.
async function waitJob(page, kind, known, state = 'done') {
  const card = await newJob(page, kind, known)
  await page.waitForSelector(`[data-testid="job-card"][data-job-id="${await card.getAttribute('data-job-id')}"][data-state="${state}"]`, { timeout: 60000 })
  return card
}

test('encrypt two files and a folder → 100 % → decrypt into another folder → identical bytes', async () => {
  const { page } = b
  const input = join(root, 'in')
  mkdirSync(join(input, 'Project files', 'sub'), { recursive: true })
  writeFileSync(join(input, 'report.txt'), 'Quarterly report — 季度报告\n'.repeat(500))
  writeFileSync(join(input, 'photo.bin'), randomBytes(3 * 1024 * 1024 + 17))
  writeFileSync(join(input, 'Project files', 'notes.md'), '# notes\n')
  writeFileSync(join(input, 'Project files', 'sub', 'data.bin'), randomBytes(1024 * 1024))
  writeFileSync(join(input, 'Project files', 'empty.txt'), '')

  await page.click('[data-testid="nav-keys"]') // the drop works from any view
  await drop(page, [join(input, 'report.txt'), join(input, 'photo.bin'), join(input, 'Project files')])
  await page.waitForSelector('[data-testid="files-view"]')
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"][data-action="encrypt"]').length === 3)
  assert.equal(await page.locator('[data-testid="files-item"][data-kind="folder"]').count(), 1)

  await pick(page, 'files-key-picker', alias)
  const enc = join(root, 'enc')
  await useFolder(page, enc)
  let known = await jobIds(page)
  await page.click('[data-testid="files-start"]')
  // The first encryption with the local KMS warns that the files open only here.
  const warning = page.locator('[data-testid="local-warning"]')
  await warning.waitFor()
  assert.match(await warning.textContent(), /only on this computer/)
  await shot(page, 'local-warning')
  await page.click('[data-testid="local-warning-dont-show"]')
  await page.click('[data-testid="local-warning-continue"]')
  const card = await waitJob(page, 'encrypt', known)
  assert.equal(await card.locator('[data-testid="job-progress"]').getAttribute('data-percent'), '100')
  assert.equal(await card.locator('[data-testid="job-result"][data-status="done"]').count(), 5)
  assert.equal(await card.locator('[data-testid="job-result"][data-status="failed"]').count(), 0)
  await shot(page, 'files')

  // The results are ciphertext: nothing of the plaintext is in them.
  const encrypted = tree(enc)
  assert.equal(encrypted.size, 5)
  for (const [name, bytes] of encrypted) {
    assert.ok(!bytes.includes(Buffer.from('Quarterly report')), `${name} holds no plaintext`)
  }

  await drop(page, readdirSync(enc).map((n) => join(enc, n)))
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="files-item"][data-action="decrypt"]').length === 3)
  const dec = join(root, 'dec')
  await useFolder(page, dec)
  known = await jobIds(page)
  await page.click('[data-testid="files-start"]')
  const dcard = await waitJob(page, 'decrypt', known)
  assert.equal(await dcard.locator('[data-testid="job-progress"]').getAttribute('data-percent'), '100')

  const want = tree(input)
  const got = tree(dec)
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same files come back')
  for (const [name, bytes] of want) assert.ok(got.get(name).equals(bytes), `${name} is byte-identical`)
})

test('inspect and verify a .kmsenc file; a conflict asks and Skip keeps the existing file', async () => {
  const { page } = b
  const enc = join(root, 'enc')
  const file = join(enc, 'photo.bin.kmsenc')
  await drop(page, [file])
  const item = page.locator('[data-testid="files-item"][data-kind="envelope"]').first()
  await item.waitFor()
  await item.locator('[data-testid="files-inspect"]').click()
  await page.waitForSelector('[data-testid="inspect-key"]')
  assert.match(await page.locator('[data-testid="inspect-facts"]').textContent(), /[0-9a-f]{8}-[0-9a-f]{4}-/)
  // The local KMS is not a national-standard region: "Region standard" wrote AES.
  assert.match(await page.locator('[data-testid="inspect-suite"]').textContent(), /AES-256-GCM/)
  await page.keyboard.press('Escape')
  const known = await jobIds(page)
  await item.locator('[data-testid="files-verify"]').click()
  const vcard = await waitJob(page, 'verify', known)
  assert.equal(await vcard.locator('[data-testid="job-result"][data-status="failed"]').count(), 0)

  // Decrypt it again into the folder that already holds its plaintext, asking first.
  const existing = join(root, 'dec', 'photo.bin')
  const before = statSync(existing).mtimeMs
  await page.click('[data-testid="files-overwrite"]')
  await page.click('.t-select-option:has-text("Ask me")')
  await useFolder(page, join(root, 'dec'))
  await page.click('[data-testid="files-start"]')
  await page.waitForSelector('[data-testid="conflict-dialog"] [data-testid="conflict-output"]')
  await page.click('[data-testid="conflict-skip"]')
  await page.waitForSelector('[data-testid="conflict-output"]', { state: 'detached' })
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="job-card"][data-kind="decrypt"]')].some((c) => c.dataset.state !== 'running' && c.querySelector('[data-testid="job-result"][data-status="skipped"]')))
  assert.equal(statSync(existing).mtimeMs, before, 'the existing file was left alone')
  assert.deepEqual(readdirSync(join(root, 'dec')).filter((n) => n.startsWith('photo')), ['photo.bin'], 'and no renamed copy was made')
})

test('cancel a large file mid-way → no partial file and no output remain', async () => {
  const { page } = b
  const big = join(root, 'big.iso')
  writeFileSync(big, '')
  truncateSync(big, 2 * 1024 * 1024 * 1024) // sparse: 2 GiB that encryption still has to read
  const out = join(root, 'cancel-out')
  await drop(page, [big])
  await page.waitForSelector('[data-testid="files-item"]:has-text("big.iso")')
  await useFolder(page, out)
  await page.click('[data-testid="files-start"]')
  const running = page.locator('[data-testid="job-card"][data-kind="encrypt"][data-state="running"]').first()
  await running.waitFor()
  // This job, by its id: the list also shows the jobs of the tests before, cancelled ones too.
  const id = await running.getAttribute('data-job-id')
  const card = page.locator(`[data-testid="job-card"][data-job-id="${id}"]`)
  await page.waitForFunction(() => {
    const p = document.querySelector('[data-testid="job-card"][data-state="running"] [data-testid="job-progress"]')
    return p && Number(p.getAttribute('data-percent')) > 0
  })
  const at = Number(await card.locator('[data-testid="job-progress"]').getAttribute('data-percent'))
  assert.ok(at < 100, `cancelled mid-way (at ${at} %)`)
  await card.locator('[data-testid="job-cancel"]').click()
  await page.waitForSelector(`[data-testid="job-card"][data-job-id="${id}"][data-state="cancelled"]`)
  assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'nothing written to the output folder')
  assert.deepEqual(readdirSync(root).filter((n) => n.includes('big.iso') && n !== 'big.iso'), [], 'no partial next to the original')
  assert.equal(statSync(big).size, 2 * 1024 * 1024 * 1024, 'the original is untouched')
})
