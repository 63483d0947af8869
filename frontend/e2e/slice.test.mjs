// The first vertical slice: create a key, encrypt a text with it, decrypt it back.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createKey, open, pick, shot, uniq } from './harness.mjs'

let b
before(async () => {
  b = await open()
})
after(async () => {
  await b?.ctx.close()
})

test('create key → encrypt text → decrypt → same text', async () => {
  const { page } = b
  const alias = uniq('e2e-slice')
  await createKey(page, alias)
  await shot(page, 'keys')

  const secret = 'Hello KMS Desk — 你好，密钥 ✓ ' + alias
  await page.click('[data-testid="nav-text"]')
  await pick(page, 'key-picker', alias)
  await page.fill('[data-testid="plaintext-input"] textarea', secret)
  await page.click('[data-testid="encrypt-btn"]')
  const out = page.locator('[data-testid="ciphertext-output"] textarea')
  await out.waitFor()
  const blob = await out.inputValue()
  assert.match(blob, /^[A-Za-z0-9+/=]+-k-[A-Za-z0-9+/=]+-k-[A-Za-z0-9+/=]+$/, 'a CiphertextBlob in the service’s -k- form')
  assert.ok(!blob.includes(secret))
  await shot(page, 'text')

  await page.click('.t-tabs__nav-item:has-text("Decrypt")')
  await page.fill('[data-testid="ciphertext-input"] textarea', blob)
  await page.click('[data-testid="decrypt-btn"]')
  await page.waitForSelector('[data-testid="plaintext-hidden"]')
  await page.click('[data-testid="reveal-btn"]')
  const plain = await page.locator('[data-testid="plaintext-output"]').textContent()
  assert.equal(plain, secret)
})

test('a tampered ciphertext shows the translated error, not a raw message', async () => {
  const { page } = b
  await page.click('[data-testid="nav-text"]')
  await page.click('.t-tabs__nav-item:has-text("Decrypt")')
  await page.fill('[data-testid="ciphertext-input"] textarea', 'AAAA-k-BBBB-k-CCCC')
  await page.click('[data-testid="decrypt-btn"]')
  const alert = page.locator('[data-testid="error-alert"]').first()
  await alert.waitFor()
  assert.equal(await alert.getAttribute('data-code'), 'InvalidParameterValue.InvalidCiphertext')
  assert.match(await alert.textContent(), /cannot be decrypted/)
})
