// Settings: a cloud profile (SecretKey sent once, only a mask shown), switching the
// active profile from the header, the connection test, and the UI language.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { open, settingsTab, shot, switchProfile as switchTo, uniq } from './harness.mjs'

let b
before(async () => {
  b = await open()
})
after(async () => {
  await b?.ctx.close()
})

test('cloud profile: saved with a masked SecretId, switched to and back, tested', async () => {
  const { page } = b
  const name = uniq('e2e-cloud')
  // scripts/e2e.sh scans every file the app wrote for these after the suite.
  const secretId = process.env.KMSDESK_E2E_SECRET_ID ?? 'AKIDe2eTESTsecretid0123456789'
  const secretKey = process.env.KMSDESK_E2E_SECRET_KEY ?? 'e2eSecretKeyThatMustNeverBeShown42'
  await page.click('[data-testid="nav-settings"]')
  await page.click('[data-testid="profile-create"]')
  await page.fill('[data-testid="profile-name"] input', name)
  await page.click('[data-testid="profile-region"]')
  await page.click('.t-select-option:has-text("ap-shanghai)")')
  // A local endpoint that refuses connections: the test needs no network.
  await page.fill('[data-testid="profile-endpoint"] input', 'http://127.0.0.1:9')
  await page.fill('[data-testid="profile-secret-id"] input', secretId)
  await page.fill('[data-testid="profile-secret-key"] input', secretKey)
  await page.click('[data-testid="profile-save"]')
  const rowSel = `[data-testid="profile-row"][data-name="${name}"]`
  await page.waitForSelector(rowSel)
  const rowText = await page.locator(rowSel).textContent()
  assert.match(rowText, /AKID\*\*\*\*6789/, 'the SecretId is shown masked')
  assert.ok(!rowText.includes(secretId))
  // Once the form is gone, neither the key nor the full id is left anywhere in the page.
  await page.waitForSelector('[data-testid="profile-secret-key"]', { state: 'detached' })
  const html = await page.content()
  assert.ok(!html.includes(secretKey), 'the SecretKey is nowhere in the page')
  assert.ok(!html.includes(secretId), 'nor the full SecretId')

  await page.locator(rowSel).locator('[data-testid="profile-test"]').click()
  const res = page.locator(rowSel).locator('[data-testid="profile-test-result"]')
  await res.waitFor()
  assert.equal(await res.getAttribute('data-ok'), 'false')
  assert.match(await res.textContent(), /KMS could not be reached/)

  await switchTo(page, name)
  await page.waitForSelector('[data-testid="connection-badge"][data-kind="tencent"]')
  assert.equal(await page.locator('[data-testid="connection-badge"]').textContent(), 'Tencent Cloud · Shanghai')
  await page.click('[data-testid="nav-keys"]')
  const alert = page.locator('[data-testid="keys-view"] [data-testid="error-alert"]')
  await alert.waitFor()
  assert.equal(await alert.getAttribute('data-code'), 'Client.NetworkError')

  await switchTo(page, 'local')
  await page.waitForSelector('[data-testid="connection-badge"][data-kind="local"]')
  assert.equal(await page.locator('[data-testid="connection-badge"]').textContent(), 'Local KMS (offline)')
  await page.waitForSelector('[data-testid="keys-view"] [data-testid="error-alert"]', { state: 'detached' })

  await page.click('[data-testid="nav-settings"]')
  const local = page.locator('[data-testid="profile-row"][data-name="local"]')
  await local.locator('[data-testid="profile-test"]').click()
  await local.locator('[data-testid="profile-test-result"][data-ok="true"]').waitFor()
  assert.match(await local.locator('[data-testid="profile-test-result"]').textContent(), /Connected in \d+ ms/)
  await shot(page, 'settings')

  await page.locator(rowSel).locator('button:has-text("Delete")').click()
  await page.click('.t-dialog__confirm')
  await page.waitForSelector(rowSel, { state: 'detached' })
})

test('switch language → the UI is in Chinese, and back', async () => {
  const { page } = b
  await settingsTab(page, 'Preferences')
  await page.click('[data-testid="lang-zh"]')
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
  assert.equal((await page.locator('[data-testid="nav-keys"]').textContent()).trim(), '密钥')
  assert.equal((await page.locator('[data-testid="nav-files"]').textContent()).trim(), '文件')
  assert.equal((await page.locator('.view-head h1').textContent()).trim(), '设置')
  await page.click('[data-testid="nav-keys"]')
  await page.waitForSelector('[data-testid="keys-view"] h1:has-text("密钥")')
  // TDesign's own texts follow too (pagination).
  await page.waitForSelector('[data-testid="keys-table"] .t-pagination:has-text("条")')
  await shot(page, 'keys-zh')
  await settingsTab(page, '偏好设置')
  await page.click('[data-testid="lang-en"]')
  await page.waitForFunction(() => document.documentElement.lang === 'en')
  assert.equal((await page.locator('[data-testid="nav-keys"]').textContent()).trim(), 'Keys')
})

test('theme: dark applies to the whole window; auto follows the OS live', async () => {
  const { page } = b
  await settingsTab(page, 'Preferences')
  await page.click('[data-testid="theme-dark"]')
  await page.waitForFunction(() => document.documentElement.getAttribute('theme-mode') === 'dark')
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
  assert.notEqual(bg, 'rgb(255, 255, 255)')
  await page.click('.t-radio-button:has-text("Follow the system")  >> nth=1')
  await page.waitForFunction(() => document.documentElement.getAttribute('theme-mode') === 'light')
  // "Follow the system" follows it live.
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.waitForFunction(() => document.documentElement.getAttribute('theme-mode') === 'dark')
  await page.emulateMedia({ colorScheme: 'light' })
  await page.waitForFunction(() => document.documentElement.getAttribute('theme-mode') === 'light')
})
