// The built page keeps the strict Content-Security-Policy: the meta tag is there, no
// inline script exists, and using every view triggers no CSP violation.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { open } from './harness.mjs'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.html')

test('dist/index.html has the CSP meta and no inline script', () => {
  const html = readFileSync(dist, 'utf8')
  const csp = html.match(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)
  assert.ok(csp, 'CSP meta present')
  const policy = csp[1]
  assert.match(policy, /default-src 'self'/)
  assert.match(policy, /script-src 'self'(;|$)/, "scripts only from 'self'")
  assert.doesNotMatch(policy, /unsafe-eval/)
  assert.doesNotMatch(policy, /script-src[^;]*unsafe-inline/)
  assert.match(policy, /object-src 'none'/)
  assert.doesNotMatch(policy, /\bwss?:/, 'no WebSocket source: only the dev build (vite serve) adds ws://localhost')
  assert.doesNotMatch(policy, /https?:\/\/(?!127\.0\.0\.1|localhost)/, 'no remote origin allowed')
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
  assert.ok(scripts.length > 0)
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\bsrc="/, 'every script has a src')
    assert.equal(body.trim(), '', 'and no inline code')
  }
  assert.doesNotMatch(html, /\son[a-z]+="/i, 'no inline event handlers')
  assert.doesNotMatch(html, /(src|href)="https?:/, 'no remote content')
})

let b
before(async () => {
  b = await open()
})
after(async () => {
  await b?.ctx.close()
})

test('no CSP violation while using every view', async () => {
  const { page, consoleErrors } = b
  const violations = []
  await page.exposeFunction('__cspViolation', (v) => violations.push(v))
  await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`)))
  for (const v of ['keys', 'text', 'files', 'settings', 'keys']) {
    await page.click(`[data-testid="nav-${v}"]`)
    await page.waitForSelector(`[data-testid="${v}-view"]`)
  }
  await page.click('[data-testid="create-key"]')
  await page.keyboard.press('Escape')
  assert.deepEqual(violations, [])
  assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [])
  assert.ok(await page.locator('meta[http-equiv="Content-Security-Policy"]').count() === 1)
})
