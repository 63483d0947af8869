// Expired temporary credentials: a cloud profile whose temporary credentials the service
// stops accepting (a local KMS served by kmsctl answers AuthFailure.TokenFailure, as Tencent
// Cloud does for a timed-out STS token) shows "Your temporary credentials have expired"
// with the way out; entering new ones (here by assuming a role against the same local KMS)
// makes the Keys view work again. A profile with a CAM role (and its long-term keys) is
// offered Refresh, which assumes the role again.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import { createKey, row, settingsTab, shot, suite, switchProfile, uniq } from './harness.mjs'

// scripts/e2e.sh builds kmsctl for this test.
const KMSCTL = process.env.KMSDESK_E2E_KMSCTL ?? 'build/bin/kmsctl-e2e'
// The lifetime of the short-lived credentials: long enough to set the profile up and
// see it work, short enough to see it expire.
const TTL_SECONDS = 45

// The local KMS stops before suite's cleanup removes its data folder.
let server
after(() => server?.kill())
// stopServer stops the local KMS and waits until it let go of its database.
async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return
  const exited = once(server, 'exit')
  server.kill()
  await exited
}
const ROLE_ARN = 'qcs::cam::uin/100000000001:roleName/e2e-operator'
const s = suite('e2e-credentials')
const data = join(s.root, 'localkms')

function kmsctl(...args) {
  return JSON.parse(execFileSync(KMSCTL, [...args, '--data', data, '--master-key', 'file', '--json'], { encoding: 'utf8' }))
}

// serve starts `kmsctl local serve` on a free loopback port and answers its URL.
function serve() {
  server = spawn(KMSCTL, ['local', 'serve', '--data', data, '--master-key', 'file', '--listen', '127.0.0.1:0', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.once('exit', (code) => reject(new Error(`kmsctl local serve exited with ${code}`)))
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url))
  })
}

// The minute-resolution value of a datetime-local input, in local time, minutes ahead.
function localMinutesAhead(minutes) {
  const d = new Date(Date.now() + minutes * 60_000)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}

// createProfile adds a Tencent Cloud profile on the local KMS at url with a long-term
// key pair, and answers the selector of its row in Settings.
async function createProfile(page, name, url, longTerm) {
  await page.click('[data-testid="nav-settings"]')
  await page.click('[data-testid="profile-create"]')
  await page.fill('[data-testid="profile-name"] input', name)
  await page.click('[data-testid="profile-region"]')
  await page.click('.t-select-option:has-text("ap-guangzhou)")')
  await page.fill('[data-testid="profile-endpoint"] input', url)
  await page.fill('[data-testid="profile-secret-id"] input', longTerm.secretId)
  await page.fill('[data-testid="profile-secret-key"] input', longTerm.secretKey)
  await page.click('[data-testid="profile-save"]')
  const rowSel = `[data-testid="profile-row"][data-name="${name}"]`
  await page.waitForSelector(rowSel)
  return rowSel
}

// The temporary-credentials dialog (opened from a profile's row or from the action of
// the expired-credentials message): assumeRole assumes ROLE_ARN with the profile's keys,
// typeTemporary stores credentials typed in (expiry: a datetime-local value, or none).
async function assumeRole(page) {
  await page.click('[data-testid="temp-mode-role"]')
  await page.fill('[data-testid="temp-role-arn"] input', ROLE_ARN)
  await saveTemporary(page)
}
async function typeTemporary(page, cred, expiry) {
  await page.click('[data-testid="temp-mode-manual"]')
  await page.fill('[data-testid="temp-secret-id"] input', cred.secretId)
  await page.fill('[data-testid="temp-secret-key"] input', cred.secretKey)
  await page.fill('[data-testid="temp-token"] input', cred.token)
  if (expiry) await page.fill('[data-testid="temp-expiry"]', expiry)
  await saveTemporary(page)
}
async function saveTemporary(page) {
  await page.click('[data-testid="temp-save"]')
  await page.waitForSelector('[data-testid="temp-save"]', { state: 'detached' })
}

// deleteProfile goes back to the local profile and deletes the one of rowSel.
async function deleteProfile(page, rowSel) {
  await switchProfile(page, 'local')
  await page.waitForSelector('[data-testid="connection-badge"][data-kind="local"]')
  await page.click('[data-testid="nav-settings"]')
  await page.locator(rowSel).locator('button:has-text("Delete")').click()
  await page.click('.t-dialog__confirm')
  await page.waitForSelector(rowSel, { state: 'detached' })
}

test('expired temporary credentials: the message, then new credentials from the action', async () => {
  const { page } = s.b
  // The long-term key pair (it may assume roles) and a temporary one that expires soon;
  // both are made before the server starts (it holds its database while serving).
  const longTerm = kmsctl('local', 'credentials', 'create', '--name', 'e2e')
  const temp = kmsctl('local', 'credentials', 'create', '--temporary', `${TTL_SECONDS}s`)
  const url = await serve()

  const name = uniq('e2e-temp')
  const rowSel = await createProfile(page, name, url, longTerm)

  // The temporary credentials, typed in with an expiry a few minutes later than the
  // server's: the service refuses the token while the profile still has time left.
  await page.locator(rowSel).locator('[data-testid="profile-temp"]').click()
  await typeTemporary(page, temp, localMinutesAhead(4))

  await switchProfile(page, name)
  await page.waitForSelector('[data-testid="connection-badge"][data-kind="tencent"]')
  await page.click('[data-testid="nav-keys"]')
  await page.waitForSelector('[data-testid="keys-table"]')
  const alert = page.locator('[data-testid="keys-view"] [data-testid="error-alert"]')
  assert.equal(await alert.count(), 0, 'the temporary credentials work before they expire')

  // Ask again (the Refresh button of the Keys view) until the server's expiry has passed.
  const deadline = Date.now() + (TTL_SECONDS + 90) * 1000
  while ((await alert.count()) === 0) {
    assert.ok(Date.now() < deadline, 'the expired token was never refused')
    await page.click('[data-testid="keys-view"] button[aria-label="Refresh"]')
    await alert.waitFor({ timeout: 2000 }).catch(() => undefined)
  }
  assert.equal(await alert.getAttribute('data-code'), 'Credentials.Expired')
  assert.match(await alert.textContent(), /Your temporary credentials have expired/)
  const enter = alert.locator('[data-testid="credentials-enter"]')
  await enter.waitFor()
  assert.equal(await alert.locator('[data-testid="credentials-refresh"]').count(), 0, 'no role to refresh with: only new credentials are offered')
  await shot(page, 'credentials-expired')

  // The action: new credentials by assuming a role with the profile's long-term keys.
  await enter.click()
  await assumeRole(page)
  await page.waitForSelector('[data-testid="keys-view"] [data-testid="keys-table"]')
  await page.waitForSelector('[data-testid="keys-view"] [data-testid="error-alert"]', { state: 'detached' })
  await shot(page, 'credentials-renewed')

  await deleteProfile(page, rowSel)
})

test('refused temporary credentials of a profile with a role: the message, Refresh, and the keys load again', async () => {
  const { page } = s.b
  // A new server (it holds its database while serving): the long-term key pair that may
  // assume roles, and temporary credentials that expire a second after they are made.
  await stopServer()
  const longTerm = kmsctl('local', 'credentials', 'create', '--name', 'e2e-role')
  const stale = kmsctl('local', 'credentials', 'create', '--temporary', '1s')
  const url = await serve()

  const name = uniq('e2e-role')
  const rowSel = await createProfile(page, name, url, longTerm)
  // The profile gets its temporary credentials from a CAM role, assumed with its keys.
  await page.locator(rowSel).locator('[data-testid="profile-temp"]').click()
  await assumeRole(page)
  await switchProfile(page, name)
  await page.waitForSelector('[data-testid="connection-badge"][data-kind="tencent"]')
  const alias = uniq('e2e-role-key')
  await createKey(page, alias)

  // Then credentials the service no longer accepts (typed in without their expiry, so the
  // app cannot know they ran out); the role stays with the profile.
  await page.click('[data-testid="nav-settings"]')
  await page.locator(rowSel).locator('[data-testid="profile-temp"]').click()
  await typeTemporary(page, stale)
  assert.ok(Date.now() >= Date.parse(stale.expiry), 'the typed-in credentials have expired at the server')

  await page.click('[data-testid="nav-keys"]')
  const alert = page.locator('[data-testid="keys-view"] [data-testid="error-alert"]')
  await alert.waitFor()
  assert.equal(await alert.getAttribute('data-code'), 'AuthFailure.TokenFailure')
  assert.match(await alert.textContent(), /The temporary credentials are invalid or expired/)
  assert.match(await alert.textContent(), /Refresh the temporary credentials of this profile, or enter new ones/)
  assert.equal(await page.locator('[data-testid="keys-view"] [data-testid="keys-table"]').count(), 0, 'no key list it cannot vouch for')
  const refresh = alert.locator('[data-testid="credentials-refresh"]')
  await refresh.waitFor()
  assert.equal(await alert.locator('[data-testid="credentials-enter"]').count(), 1, 'new credentials by hand are offered too')
  await shot(page, 'credentials-refresh')

  // Refresh assumes the role again with the profile's keys: the key list comes back.
  await refresh.click()
  await row(page, alias).waitFor()
  await page.waitForSelector('[data-testid="keys-view"] [data-testid="error-alert"]', { state: 'detached' })
  await shot(page, 'credentials-refreshed')

  await deleteProfile(page, rowSel)
})

test('About lists the third-party components with their license texts', async () => {
  const { page } = s.b
  await settingsTab(page, 'About')
  const rows = page.locator('[data-testid="notice-row"]')
  await rows.first().waitFor()
  assert.ok((await rows.count()) > 50, 'every shipped Go module and npm package is listed')
  const wails = page.locator('[data-testid="notice-row"][data-name="github.com/wailsapp/wails/v2"]')
  assert.match(await wails.textContent(), /MIT/)
  await wails.locator('[data-testid="notice-show"]').click()
  const text = page.locator('[data-testid="notice-text"]')
  await text.waitFor()
  assert.match(await text.textContent(), /Permission is hereby granted/)
  await shot(page, 'about-notices')
  await page.keyboard.press('Escape')
  await text.waitFor({ state: 'detached' })
})
