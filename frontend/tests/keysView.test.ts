// The Keys view renders one server page (10,000 keys cost the same as 20), opens the
// drawer from the keyboard, and runs batch enable/disable on the selected rows.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp, q } from './mount'

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
  keysApi: { list: vi.fn(), describe: vi.fn(), setEnabled: vi.fn(() => Promise.resolve()), dependents: vi.fn() },
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
  api.keysApi.dependents.mockImplementation(async (id: string) => ({ keyId: id, count: 0, only: 0, files: [] }))
})

// select ticks the rows at these indexes and opens the batch bar.
async function select(...rows: number[]) {
  for (const i of rows) {
    document.querySelectorAll<HTMLInputElement>('tr[data-key-id] .t-checkbox input')[i]!.click()
    await flush()
  }
}

// Key 0 opens three known files, two of them with no other key; the others open none.
function guardedKey0() {
  api.keysApi.dependents.mockImplementation(async (id: string) =>
    id === key(0).keyId
      ? { keyId: id, count: 3, only: 2, files: [0, 1, 2].map((i) => ({ path: `/home/ann/doc${i}.kmsenc`, size: 10, time: 1700000000, only: i < 2, offline: false })) }
      : { keyId: id, count: 0, only: 0, files: [] },
  )
}

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

  it('reports the first screen once its key rows are painted, with the rows drawn and the phases', async () => {
    const frames: Array<() => void> = []
    vi.stubGlobal('requestAnimationFrame', (f: () => void) => frames.push(f))
    const { w } = mountApp(KeysView)
    await flush(10)
    expect(document.querySelectorAll('tr[data-key-id]').length).toBe(20)
    // The rows are in the DOM but no frame was painted yet: nothing is reported.
    expect(api.appApi.uiReady).not.toHaveBeenCalled()
    frames.splice(0).forEach((f) => f())
    await flush(10)
    expect(api.appApi.uiReady).toHaveBeenCalledOnce()
    const r = (api.appApi.uiReady.mock.calls[0] as unknown[])[0] as { view: string; rows: number; marks: { name: string; atMs: number }[] }
    expect(r.view).toBe('keys')
    expect(r.rows).toBe(20)
    const names = r.marks.map((m) => m.name)
    expect(names).toEqual(expect.arrayContaining(['keys view mounted', 'keys received', 'keys rendered', 'keys painted']))
    expect(names.indexOf('keys received')).toBeGreaterThan(names.indexOf('keys view mounted'))
    expect(names.indexOf('keys painted')).toBeGreaterThan(names.indexOf('keys received'))
    expect(r.marks.map((m) => m.atMs)).toEqual([...r.marks.map((m) => m.atMs)].sort((a, b) => a - b))
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

  it('names every selection box; the one in the header selects the whole page and clears it', async () => {
    const { w } = mountApp(KeysView)
    await flush(10)
    const rowBoxes = [...document.querySelectorAll<HTMLElement>('tr[data-key-id] label.t-checkbox')]
    expect(rowBoxes.length).toBe(20)
    expect(rowBoxes[2]!.getAttribute('aria-label')).toBe('Select key-2')
    const all = document.querySelector<HTMLElement>('thead label.t-checkbox')!
    expect(all.getAttribute('aria-label')).toBe('Select all keys on this page')
    all.querySelector('input')!.click()
    await flush()
    expect(w.find('[data-testid="keys-batch"]').text()).toContain('20 selected')
    expect(document.querySelectorAll('tr[data-key-id] .t-is-checked').length).toBe(20)
    all.querySelector('input')!.click()
    await flush()
    expect(w.find('[data-testid="keys-batch"]').exists()).toBe(false)
    w.unmount()
  })
})

// Batch Disable stands behind the same guard as the drawer's Disable: each selected key
// that known files need is shown with them (and "Move files to another key…") first.
describe('batch disable guard', () => {
  // press mounts the view, selects the rows and presses a batch button.
  async function press(button: 'batch-disable' | 'batch-enable', ...rows: number[]) {
    guardedKey0()
    const m = mountApp(KeysView)
    await flush(10)
    await select(...rows)
    await m.w.find(`[data-testid="${button}"]`).trigger('click')
    await flush(10)
    return m
  }

  async function click(testid: string) {
    q<HTMLButtonElement>(`[data-testid="${testid}"]`).click()
    await flush(10)
  }

  it('shows the files a selected key opens and disables it only when told to go on', async () => {
    const { w } = await press('batch-disable', 0, 2)
    expect(api.keysApi.dependents).toHaveBeenCalledWith(key(0).keyId)
    expect(api.keysApi.setEnabled).not.toHaveBeenCalled()
    const dialog = q('[data-testid="key-guard-dialog"]')
    expect(dialog.getAttribute('data-count')).toBe('3')
    expect(q('[data-testid="guard-summary"]').textContent).toContain('3 encrypted files on this computer open with key-0')
    expect(q('[data-testid="guard-move"]').textContent).toBe('Move files to another key…')
    await click('guard-proceed')
    expect(api.keysApi.dependents).toHaveBeenCalledWith(key(2).keyId)
    expect(api.keysApi.setEnabled).toHaveBeenCalledTimes(1)
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([key(0).keyId, key(2).keyId], false)
    w.unmount()
  })

  it('leaves a key enabled when its guard is cancelled, and disables the rest', async () => {
    const { w } = await press('batch-disable', 0, 2)
    await click('guard-cancel')
    expect(api.keysApi.setEnabled).toHaveBeenCalledTimes(1)
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([key(2).keyId], false)
    w.unmount()
  })

  it('disables nothing when every selected key is kept', async () => {
    const { w } = await press('batch-disable', 0)
    await click('guard-cancel')
    expect(api.keysApi.setEnabled).not.toHaveBeenCalled()
    w.unmount()
  })

  it('asks nothing before a batch Enable', async () => {
    const { w } = await press('batch-enable', 0)
    expect(api.keysApi.dependents).not.toHaveBeenCalled()
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([key(0).keyId], true)
    w.unmount()
  })
})
