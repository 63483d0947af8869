// The Files view as people meet it: Start in the bar that stays in sight (with why it
// cannot start yet), one question before a mixed batch starts two jobs, "1 item" and
// "2 items", Remove buttons that name their item, the "skip up-to-date copies" option
// on by default, and the only enabled key chosen for the user.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { click, flush, mountApp, q } from './mount'
import { keyFixture } from './fixtures'
import { i18n } from '../src/i18n'
import { service, type FileItem as Item } from '../src/api/contract'

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), describe: vi.fn() },
  filesApi: { encrypt: vi.fn(), decrypt: vi.fn(), cancelFile: vi.fn() },
  appApi: { savePreferences: vi.fn(), uiReady: vi.fn(() => Promise.resolve()) },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: FilesView } = await import('../src/views/FilesView.vue')
const { useFilesStore } = await import('../src/stores/files')
const { useAppStore } = await import('../src/stores/app')

const key = keyFixture()

function item(path: string, action: service.ItemAction): Item {
  const name = path.split('/').pop() ?? path
  const kind = action === service.ItemAction.Encrypt ? service.ItemKind.File : service.ItemKind.Envelope
  return { path, name, isDir: false, size: 10, files: 1, action, kind, errorCode: '', encryptAnyway: false, forced: false }
}
const enc = (p: string) => item(p, service.ItemAction.Encrypt)
const dec = (p: string) => item(p, service.ItemAction.Decrypt)

async function mountWith(...items: Item[]) {
  const m = mountApp(FilesView)
  const files = useFilesStore()
  files.stage({ items, intent: service.OpenIntent.None })
  // No local-KMS warning in these tests: they are about what comes before it.
  useAppStore().prefs.localWarningOff = true
  await flush(10)
  return { ...m, files }
}

// shown reports whether a dialog's content is in the document and not hidden.
function shown(sel: string): boolean {
  const el = document.querySelector(sel)
  return el !== null && el.closest('.t-dialog__ctx')?.getAttribute('style')?.includes('display: none') !== true
}

const startButton = () => q<HTMLButtonElement>('[data-testid="files-action-bar"] [data-testid="files-start"]')

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  api.keysApi.list.mockResolvedValue({ keys: [key], total: 1 })
  api.filesApi.encrypt.mockResolvedValue({ id: 'e1', kind: 'encrypt', files: 2, bytes: 20 })
  api.filesApi.decrypt.mockResolvedValue({ id: 'd1', kind: 'decrypt', files: 1, bytes: 10 })
  api.appApi.savePreferences.mockImplementation(async (p: unknown) => p)
})
afterEach(() => {
  i18n.global.locale.value = 'en'
})

describe('Start', () => {
  it('counts items in good English and Chinese, one plural each', async () => {
    const { w, files } = await mountWith(enc('/in/a.txt'), enc('/in/b.txt'), dec('/in/c.kmsenc'))
    expect(startButton().textContent?.trim()).toBe('Encrypt 2 items and decrypt 1 item')
    files.remove(files.items[1]!.uid)
    await flush()
    expect(startButton().textContent?.trim()).toBe('Encrypt 1 item and decrypt 1 item')
    i18n.global.locale.value = 'zh-CN'
    await flush()
    expect(startButton().textContent?.trim()).toBe('加密 1 项，解密 1 项')
    w.unmount()
  })

  it('asks once before a mixed batch starts two jobs, listing both', async () => {
    const { w } = await mountWith(enc('/in/a.txt'), enc('/in/b.txt'), dec('/in/c.kmsenc'))
    await click('[data-testid="files-start"]')
    expect(shown('[data-testid="mixed-start"]')).toBe(true)
    expect(api.filesApi.encrypt).not.toHaveBeenCalled()
    expect(api.filesApi.decrypt).not.toHaveBeenCalled()
    const dialog = q('[data-testid="mixed-start"]')
    expect(dialog.closest('.t-dialog__ctx')?.textContent).toContain('Encrypt 2 items and decrypt 1 item?')
    expect(q('[data-testid="mixed-encrypt"]').textContent).toContain('a.txt')
    expect(q('[data-testid="mixed-encrypt"]').textContent).toContain('b.txt')
    expect(q('[data-testid="mixed-decrypt"]').textContent).toContain('c.kmsenc')
    await click('[data-testid="mixed-start-both"]')
    await flush()
    expect(api.filesApi.encrypt).toHaveBeenCalledOnce()
    expect(api.filesApi.decrypt).toHaveBeenCalledOnce()
    w.unmount()
  })

  it('starts one kind of work without asking', async () => {
    const { w } = await mountWith(dec('/in/c.kmsenc'))
    await click('[data-testid="files-start"]')
    await flush()
    expect(shown('[data-testid="mixed-start"]')).toBe(false)
    expect(api.filesApi.decrypt).toHaveBeenCalledOnce()
    w.unmount()
  })

  it('says next to Start why it cannot start yet', async () => {
    api.keysApi.list.mockResolvedValue({ keys: [key, keyFixture({ keyId: 'other', alias: 'other' })], total: 2 })
    const { w } = await mountWith(enc('/in/a.txt'))
    expect(startButton().disabled).toBe(true)
    expect(q('[data-testid="files-start-hint"]').textContent).toBe('Choose the key to encrypt with.')
    w.unmount()
  })
})

describe('reporting to the backend', () => {
  it('says when staged items are drawn, with how many, each time more come', async () => {
    vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
    const { w, files } = await mountWith(enc('/in/a.txt'), enc('/in/b.txt'))
    await flush(10)
    expect(api.appApi.uiReady).toHaveBeenCalledOnce()
    expect(api.appApi.uiReady).toHaveBeenLastCalledWith(expect.objectContaining({ view: 'files', rows: 2 }))
    files.stage({ items: [enc('/in/c.txt')], intent: service.OpenIntent.None })
    await flush(10)
    expect(api.appApi.uiReady).toHaveBeenCalledTimes(2)
    expect(api.appApi.uiReady).toHaveBeenLastCalledWith(expect.objectContaining({ view: 'files', rows: 3 }))
    files.remove(files.items[0]!.uid)
    await flush(10)
    expect(api.appApi.uiReady).toHaveBeenCalledTimes(2)
    w.unmount()
    vi.unstubAllGlobals()
  })
})

describe('the action bar', () => {
  it('shows each running job compactly, and goes when nothing is staged or running', async () => {
    const { w, files } = await mountWith(enc('/in/a.txt'))
    files.onProgress({
      id: 'j9', kind: service.JobKind.Encrypt, state: service.JobState.Running, filesDone: 1, filesTotal: 4, bytesDone: 25, bytesTotal: 100,
      done: 1, failed: 0, skipped: 0, cancelled: 0, bytesPerSec: 0, etaSeconds: -1, startedMs: 0, seconds: 1,
    })
    await flush()
    const bar = q('[data-testid="files-action-bar"]')
    expect(bar.getAttribute('role')).toBe('region')
    expect(q('[data-testid="files-bar-job"]').textContent).toContain('Encrypting 4 files')
    expect(q('[data-testid="files-bar-job"]').textContent).toContain('25%')
    files.clearItems()
    files.onDone({ id: 'j9', kind: service.JobKind.Encrypt, state: service.JobState.Done, done: 4, failed: 0, skipped: 0, cancelled: 0, bytes: 100, seconds: 1, bytesPerSec: 100, final: files.job('j9')!.progress })
    await flush()
    expect(document.querySelector('[data-testid="files-action-bar"]')).toBeNull()
    w.unmount()
  })
})

describe('options and items', () => {
  it('chooses the only enabled key, even when the remembered one is gone', async () => {
    const app = mountApp({ template: '<div />' })
    useAppStore().prefs.lastKeyId = 'deleted-key'
    app.w.unmount()
    const { w, files } = await mountWith(enc('/in/a.txt'))
    expect(files.keyId).toBe(key.keyId)
    expect(startButton().disabled).toBe(false)
    w.unmount()
  })

  it('skips up-to-date encrypted copies unless the user unticks it', async () => {
    const { w, files } = await mountWith(enc('/in/a.txt'))
    expect(q<HTMLInputElement>('[data-testid="files-skip-current"] input').checked).toBe(true)
    await click('[data-testid="files-start"]')
    expect(api.filesApi.encrypt).toHaveBeenCalledWith(expect.objectContaining({ skipCurrent: true }))
    files.stage({ items: [enc('/in/b.txt')], intent: service.OpenIntent.None })
    await flush()
    await click('[data-testid="files-skip-current"] input')
    await click('[data-testid="files-start"]')
    expect(api.filesApi.encrypt).toHaveBeenLastCalledWith(expect.objectContaining({ paths: ['/in/b.txt'], skipCurrent: false }))
    w.unmount()
  })

  it('names the item each Remove button removes', async () => {
    const { w } = await mountWith(enc('/in/report.pdf'), dec('/in/q1.xlsx.kmsenc'))
    const labels = [...document.querySelectorAll('[data-testid="files-remove"]')].map((b) => b.getAttribute('aria-label'))
    expect(labels).toEqual(['Remove report.pdf', 'Remove q1.xlsx.kmsenc'])
    w.unmount()
  })

  it('lets the arrow keys move the "Where to save" choice', async () => {
    const { w, files } = await mountWith(enc('/in/a.txt'))
    const options = () => [...document.querySelectorAll<HTMLElement>('[data-testid="files-output-mode"] label.t-radio')]
    expect(options()).toHaveLength(2)
    options()[0]!.focus()
    const press = async (key: string) => {
      document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))
      await flush()
    }
    await press('ArrowDown')
    expect(files.outputMode).toBe('folder')
    expect(document.activeElement).toBe(options()[1])
    await press('ArrowDown') // wraps around
    expect(files.outputMode).toBe('beside')
    await press('ArrowLeft')
    expect(files.outputMode).toBe('folder')
    w.unmount()
  })
})
