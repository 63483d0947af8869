// Fonts: the browser tests draw the UI in the fonts the real window draws it in. The
// window (WebKitGTK) resolves the app's font stack through fontconfig, family by family;
// Chromium must end on the same families, for English and for Chinese text, in the app's
// own elements and in TDesign's components, and never on a serif (Chromium resolves
// system-ui and unknown families to its default font, a serif such as Liberation Serif,
// where WebKitGTK takes the desktop's sans). What Chromium drew with comes from the
// DevTools protocol (CSS.getPlatformFontsForNode); what the window would use from
// fc-match on the same stack.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, test } from 'node:test'
import { open, shot, usePrefs } from './harness.mjs'

let b
let prefsBefore
before(async () => {
  b = await open()
})
after(async () => {
  if (prefsBefore) await b.page.evaluate((p) => window.go.service.AppService.SavePreferences(p), prefsBefore)
  await b?.ctx.close()
})

// fontconfig answers the family fontconfig picks for a stack of families; with chars, the
// first family that has all of them (as a browser falls back glyph by glyph).
function fontconfig(families, chars = '') {
  const charset = chars ? `:charset=${[...new Set(chars)].map((c) => c.codePointAt(0).toString(16)).join(' ')}` : ''
  // In a fontconfig pattern "-" starts the size and "," and ":" end a family: escaped.
  const names = families.map((f) => f.replace(/[-:,\\]/g, (c) => `\\${c}`))
  return execFileSync('fc-match', ['-f', '%{family[0]}', '--', `${names.join(',')}${charset}`], { encoding: 'utf8' })
}

// drawnWith answers, for each element of selector, its text and the families Chromium
// drew the text directly inside it with.
async function drawnWith(page, selector) {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('DOM.enable')
    await cdp.send('CSS.enable')
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 })
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector })
    assert.ok(nodeIds.length > 0, `${selector} is on the page`)
    const out = []
    for (const nodeId of nodeIds) {
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId })
      const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId })
      out.push({ html: outerHTML.slice(0, 80), families: [...new Set(fonts.map((f) => f.familyName))] })
    }
    return out
  } finally {
    await cdp.detach()
  }
}

// The stack of the page's body, as fontconfig takes it (no quotes; the CSS generic
// family sans-serif is fontconfig's too).
async function stack(page) {
  const css = await page.evaluate(() => getComputedStyle(document.body).fontFamily)
  return css.split(',').map((f) => f.trim().replace(/^["']|["']$/g, ''))
}

// Text in the app's own elements (the brand, the navigation, the view's title) and in
// TDesign's components (a button, the table's column titles), which set a font stack of
// their own.
const ELEMENTS = ['.brand', '.nav-label', '[data-testid="keys-view"] h1', '[data-testid="create-key"] .t-button__text', '[data-testid="keys-table"] thead th, [data-testid="keys-table"] thead th *']

for (const [language, sample] of [
  ['en', 'Keys'],
  ['zh-CN', '密钥'],
]) {
  test(`${language}: Chromium draws the text in the family fontconfig resolves for the app's stack, not a serif`, async () => {
    const { page } = b
    const before = await usePrefs(page, { language })
    prefsBefore ??= before
    await page.click('[data-testid="nav-keys"]')
    await page.waitForSelector('[data-testid="keys-table"]')
    const families = await stack(page)
    const latin = fontconfig(families)
    const han = fontconfig(families, '密钥创建设置文件')
    assert.ok(!/serif/i.test(latin) || /sans/i.test(latin), `fontconfig resolves ${families.join(', ')} to a serif, ${latin}`)
    const want = language === 'en' ? [latin] : [han, latin]
    const seen = []
    for (const sel of ELEMENTS) {
      const results = await drawnWith(page, sel)
      assert.ok(results.some((r) => r.families.length > 0), `no text of ${sel} was drawn`)
      for (const { html, families: drawn } of results) {
        seen.push(...drawn)
        for (const f of drawn) {
          assert.ok(want.includes(f), `${html}… is drawn in ${f}; the window draws it in ${want.join(' or ')} (${families.join(', ')})`)
          assert.ok(!/serif/i.test(f) || /sans/i.test(f), `${html}… is drawn in a serif, ${f}`)
        }
      }
    }
    // The sample, the Keys view's title, is drawn in the font of its script.
    const [title] = await drawnWith(page, '[data-testid="keys-view"] h1')
    assert.deepEqual(title.families, [language === 'en' ? latin : han], `"${sample}" is drawn in ${title.families}`)
    assert.ok(seen.includes(language === 'en' ? latin : han))
    await shot(page, `fonts-${language}`)
  })
}
