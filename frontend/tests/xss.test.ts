// Cloud and user strings are rendered as text: a key whose alias and description hold
// HTML must show that HTML literally and create no element from it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp } from './mount'
import { keyFixture } from './fixtures'

const EVIL_ALIAS = '<img src=x onerror=alert(1)>'
const EVIL_DESC = '<script>alert(2)</script><img src=y onerror=alert(3)> & <b>bold</b>'

const key = keyFixture({
  alias: EVIL_ALIAS,
  description: EVIL_DESC,
  resourceId: 'qcs::kms:ap-guangzhou:uin/1:key/<img src=z onerror=alert(4)>',
})

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), describe: vi.fn() },
  appApi: { uiReady: vi.fn(() => Promise.resolve()) },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), keysApi: api.keysApi, appApi: api.appApi }))

const { default: KeysView } = await import('../src/views/KeysView.vue')
const { default: KeyDrawer } = await import('../src/views/KeyDrawer.vue')

function assertNoInjectedElements() {
  // Nothing from the strings became an element, anywhere in the document (drawers and
  // dialogs are teleported to <body>).
  expect(document.querySelectorAll('img').length).toBe(0)
  expect(document.querySelectorAll('script').length).toBe(0)
  expect(document.querySelectorAll('b').length).toBe(0)
  expect(document.querySelectorAll('[onerror]').length).toBe(0)
}

beforeEach(() => {
  document.body.replaceChildren()
  api.keysApi.list.mockResolvedValue({ keys: [key], total: 1 })
  api.keysApi.describe.mockResolvedValue(key)
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('rendering untrusted strings', () => {
  it('shows an HTML alias and description as text in the keys table', async () => {
    const { w, warnings } = mountApp(KeysView)
    await flush(10)
    const alias = w.find('[data-testid="key-alias"]')
    const desc = w.find('[data-testid="key-description"]')
    expect(alias.exists()).toBe(true)
    expect(alias.text()).toBe(EVIL_ALIAS)
    expect(desc.text()).toBe(EVIL_DESC)
    assertNoInjectedElements()
    expect(warnings.filter((m) => m.includes('Failed to resolve component'))).toEqual([])
    w.unmount()
  })

  it('shows them as text in the key drawer too', async () => {
    const { w, warnings } = mountApp(KeyDrawer, { props: { visible: true, keyId: key.keyId, initial: null } })
    await flush(10)
    const drawer = document.querySelector('[data-testid="key-drawer"]') ?? document.body
    expect(drawer.textContent).toContain(EVIL_ALIAS) // the header
    expect(drawer.textContent).toContain(key.resourceId)
    const aliasInput = document.querySelector<HTMLInputElement>('[data-testid="drawer-alias"] input')
    expect(aliasInput?.value).toBe(EVIL_ALIAS)
    const descInput = document.querySelector<HTMLTextAreaElement>('[data-testid="drawer-description"] textarea')
    expect(descInput?.value).toBe(EVIL_DESC)
    assertNoInjectedElements()
    expect(warnings.filter((m) => m.includes('Failed to resolve component'))).toEqual([])
    w.unmount()
  })
})
