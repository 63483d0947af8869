// The Keys view renders one server page (10,000 keys cost the same as 20), opens the
// drawer from the keyboard, and runs batch enable/disable on the selected rows.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp } from './mount'

function key(i: number) {
  return {
    keyId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    alias: `key-${i}`,
    description: '',
    keyState: 'Enabled',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'TENCENT_KMS',
    owner: 'user',
    createTime: 1700000000 + i,
    rotationEnabled: false,
    nextRotateTime: 0,
    deletionDate: 0,
    validTo: 0,
    resourceId: '',
    creatorUin: 1,
    complianceType: 0,
  }
}

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), describe: vi.fn(), setEnabled: vi.fn(() => Promise.resolve()) },
  appApi: { uiReady: vi.fn(() => Promise.resolve()) },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))
const { default: KeysView } = await import('../src/views/KeysView.vue')

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
  api.keysApi.list.mockImplementation(async (o: { offset: number; limit: number }) => ({
    keys: Array.from({ length: o.limit }, (_, i) => key(o.offset + i)),
    total: 10000,
  }))
  api.keysApi.describe.mockImplementation(async (id: string) => ({ ...key(0), keyId: id }))
})

describe('keys view', () => {
  it('renders only the page the server sent, and pages on the server', async () => {
    const { w } = mountApp(KeysView)
    await flush(10)
    expect(api.keysApi.list).toHaveBeenLastCalledWith(expect.objectContaining({ offset: 0, limit: 20 }))
    expect(document.querySelectorAll('tr[data-key-id]').length).toBe(20)
    expect(w.find('[data-testid="keys-total"]').text()).toBe('10000 keys')
    const page2 = [...document.querySelectorAll<HTMLElement>('.t-pagination__number')].find((e) => e.textContent?.trim() === '2')
    expect(page2).toBeTruthy()
    page2!.click()
    await flush(10)
    expect(api.keysApi.list).toHaveBeenLastCalledWith(expect.objectContaining({ offset: 20, limit: 20 }))
    expect(document.querySelectorAll('tr[data-key-id]').length).toBe(20)
    expect(document.querySelector('tr[data-key-id]')?.getAttribute('data-key-id')).toBe(key(20).keyId)
    w.unmount()
  })

  it('opens the drawer with Enter or Space on a focused row', async () => {
    const { w } = mountApp(KeysView)
    await flush(10)
    const row = document.querySelectorAll<HTMLElement>('tr[data-key-id]')[3]!
    expect(row.getAttribute('tabindex')).toBe('0')
    row.focus()
    row.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await flush(10)
    expect(api.keysApi.describe).toHaveBeenCalledWith(key(3).keyId)
    expect(document.querySelector('[data-testid="drawer-keyid"]')?.textContent).toBe(key(3).keyId)
    w.unmount()
  })

  it('enables or disables the selected rows together', async () => {
    const { w } = mountApp(KeysView)
    await flush(10)
    const box = (i: number) => document.querySelectorAll<HTMLInputElement>('tr[data-key-id] .t-checkbox input')[i]!
    box(0).click()
    await flush()
    box(2).click()
    await flush()
    expect(w.find('[data-testid="keys-batch"]').text()).toContain('2 selected')
    await w.find('[data-testid="batch-disable"]').trigger('click')
    await flush()
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([key(0).keyId, key(2).keyId], false)
    expect(w.find('[data-testid="keys-batch"]').exists()).toBe(false)
    w.unmount()
  })
})
