// Keys and Text, as people meet them (the hands-on review): the focus lands in the field
// to fill, a pasted long alias is reported and not cut, the Keys table at 960×640 keeps
// every column reachable and the state tag whole, a deletion still to come is "Will be
// deleted on", local keys show no cloud jargon, and Text names keys by alias with a
// labelled Copy.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { closeDrawer, createKey, openKey, pick, row, shot, suite, uniq } from './harness.mjs'

const s = suite('keys-journeys')

test('create key: the focus is in Alias; a pasted 300-character alias is reported, not cut', async () => {
  const { page } = s.b
  await page.click('[data-testid="nav-keys"]')
  await page.click('[data-testid="create-key"]')
  await page.waitForSelector('[data-testid="alias-input"] input')
  await page.waitForFunction(() => document.activeElement === document.querySelector('[data-testid="alias-input"] input'))
  const long = 'q'.repeat(300)
  await page.fill('[data-testid="alias-input"] input', long)
  assert.equal((await page.inputValue('[data-testid="alias-input"] input')).length, 300, 'nothing was cut')
  assert.equal(await page.textContent('[data-testid="alias-count"]'), '300 / 60')
  assert.match(await page.textContent('[data-testid="alias-item"]'), /The alias is 300 characters long; at most 60 are allowed/)
  await shot(page, 'create-key-long-alias')
  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="alias-input"]', { state: 'detached' })
})

test('keys at 960×640: the state tag is whole, every column is reachable; "Will be deleted on"', async () => {
  const { page } = s.b
  const alias = uniq('e2e-doomed')
  await createKey(page, alias)
  await openKey(page, alias)
  // Local keys: no creator account, no cloud resource id.
  assert.equal(await page.locator('[data-testid="key-drawer"] :text("Creator UIN")').count(), 0)
  assert.equal(await page.locator('[data-testid="key-drawer"] :text("Resource ID")').count(), 0)
  await page.click('[data-testid="drawer-disable"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Disabled")')
  await page.click('[data-testid="drawer-schedule-deletion"]')
  await page.waitForFunction(() => document.activeElement === document.querySelector('[data-testid="delete-confirm"] input'))
  await page.keyboard.type(alias)
  await page.click('[data-testid="delete-submit"]')
  await page.waitForSelector('[data-testid="drawer-state"]:has-text("Pending deletion")')
  assert.equal(await page.textContent('[data-testid="drawer-deletion-label"]'), 'Will be deleted on')
  await shot(page, 'key-drawer-pending-deletion')
  await closeDrawer(page)

  await page.setViewportSize({ width: 960, height: 640 })
  try {
    await page.fill('[data-testid="keys-search"] input', '')
    await row(page, alias).waitFor()
    const tag = row(page, alias).locator('[data-testid="key-state"]')
    assert.equal((await tag.textContent()).trim(), 'Pending deletion')
    const clipped = await tag.evaluate((el) => [el, ...el.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1))
    assert.equal(clipped, false, 'the state tag is not cut off')
    await shot(page, 'keys-960x640')
    // The table scrolls sideways to the last column; the alias column stays.
    const scroller = page.locator('[data-testid="keys-table"] .t-table__content')
    assert.ok(await scroller.evaluate((el) => el.scrollWidth > el.clientWidth), 'the table scrolls sideways at 960 px')
    await scroller.evaluate((el) => el.scrollTo(el.scrollWidth, 0))
    for (const title of ['Created', 'Rotation', 'Description', 'Alias']) {
      const th = page.locator(`[data-testid="keys-table"] th:has-text("${title}")`).first()
      const box = await th.boundingBox()
      const view = await scroller.boundingBox()
      assert.ok(box && box.x >= view.x - 1 && box.x + 20 <= view.x + view.width, `${title} is reachable (${JSON.stringify(box)})`)
    }
    await shot(page, 'keys-960x640-scrolled')
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 })
  }
})

test('text: the result names the key by its alias; Copy says what it copies', async () => {
  const { page } = s.b
  const alias = uniq('e2e-text')
  await createKey(page, alias)
  await page.click('[data-testid="nav-text"]')
  await pick(page, 'key-picker', alias)
  await page.fill('[data-testid="plaintext-input"] textarea', 'x'.repeat(59))
  await page.click('[data-testid="encrypt-btn"]')
  await page.waitForSelector('[data-testid="encrypted-with"]')
  await page.waitForFunction((a) => document.querySelector('[data-testid="encrypted-with"]')?.textContent === `Encrypted 59 bytes with key ${a}`, alias)
  assert.equal((await page.textContent('[data-testid="copy-ciphertext"]')).trim(), 'Copy ciphertext')
  await shot(page, 'text-alias')
})
