// The Text view names keys by alias in its results, and its ciphertext Copy button says
// what it does in visible text.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { click, flush, mountApp, q, type } from './mount'
import { keyFixture } from './fixtures'

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), describe: vi.fn() },
  textApi: { encrypt: vi.fn(), decrypt: vi.fn() },
  appApi: { savePreferences: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: TextView } = await import('../src/views/TextView.vue')

const key = keyFixture({ keyId: '4258089a-0000-4000-8000-000000000001', alias: 'payroll' })

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  api.keysApi.list.mockResolvedValue({ keys: [key], total: 1 })
  api.keysApi.describe.mockResolvedValue(key)
  api.appApi.savePreferences.mockImplementation(async (p: unknown) => p)
  api.textApi.encrypt.mockResolvedValue({ blob: 'AAAA-k-BBBB-k-CCCC', keyId: key.keyId, bytes: 59 })
  api.textApi.decrypt.mockResolvedValue({ keyId: key.keyId, isText: true, text: 'hello', base64: '' })
})

describe('text view', () => {
  it('says which key by its alias, after encrypting and after decrypting', async () => {
    const { w } = mountApp(TextView)
    await flush(10)
    await type('[data-testid="plaintext-input"] textarea', 'x'.repeat(59))
    await click('[data-testid="encrypt-btn"]')
    await flush(5)
    expect(q('[data-testid="encrypted-with"]').textContent).toBe('Encrypted 59 bytes with key payroll')
    expect(q('[data-testid="encrypted-with"]').getAttribute('title')).toBe(key.keyId)
    const copy = q('[data-testid="copy-ciphertext"]')
    expect(copy.textContent?.trim()).toBe('Copy ciphertext')

    ;[...document.querySelectorAll<HTMLElement>('.t-tabs__nav-item')].find((e) => e.textContent?.includes('Decrypt'))?.click()
    await flush()
    await type('[data-testid="ciphertext-input"] textarea', 'AAAA-k-BBBB-k-CCCC')
    await click('[data-testid="decrypt-btn"]')
    await flush(5)
    expect(q('[data-testid="used-key"]').textContent).toBe('Key used: payroll')
    w.unmount()
  })
})
