// The shell's wiring: files handed over at startup or by app:open-files land in Files,
// the Go side's close request and Ctrl+Q ask before quitting while jobs run, and a
// profile change re-creates the views.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { keyFixture, localProfile } from './fixtures'
import { flush, mountApp } from './mount'
import { service } from '../src/api/contract'

const handlers = vi.hoisted(() => new Map<string, (...a: unknown[]) => void>())
vi.mock('../src/api/runtime', () => ({
  onEvent: (name: string, cb: (...a: unknown[]) => void) => {
    handlers.set(name, cb)
    return () => handlers.delete(name)
  },
  hookFileDrop: vi.fn(),
}))

const local = localProfile
const api = vi.hoisted(() => ({
  appApi: {
    preferences: vi.fn(),
    info: vi.fn(),
    listening: vi.fn(() => Promise.resolve()),
    quit: vi.fn(() => Promise.resolve()),
    uiReady: vi.fn(() => Promise.resolve()),
    savePreferences: vi.fn(),
  },
  settingsApi: { profiles: vi.fn(), active: vi.fn(), regions: vi.fn(), keychainStatus: vi.fn() },
  keysApi: { list: vi.fn() },
  filesApi: { jobs: vi.fn(), job: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: App } = await import('../src/App.vue')
const { useAppStore } = await import('../src/stores/app')
const { useFilesStore } = await import('../src/stores/files')
const { useSettingsStore } = await import('../src/stores/settings')

beforeEach(() => {
  document.body.replaceChildren()
  delete document.body.dataset.ready
  handlers.clear()
  vi.clearAllMocks()
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
  api.appApi.preferences.mockResolvedValue({ language: 'en', theme: 'auto', outputDir: '', lastKeyId: '', overwrite: 'rename', window: { width: 0, height: 0, x: 0, y: 0, maximised: false } })
  api.appApi.info.mockResolvedValue({ name: 'KMS Desk', version: 'test', goVersion: 'go', platform: 'linux/amd64', configDir: '/c', logFile: '/l' })
  api.settingsApi.profiles.mockResolvedValue([local])
  api.settingsApi.active.mockResolvedValue(local)
  api.settingsApi.regions.mockResolvedValue([])
  api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
  api.filesApi.jobs.mockResolvedValue([])
})

async function start() {
  const m = mountApp(App)
  await flush(10)
  return m
}

describe('app shell', () => {
  it('starts on Keys and shows the connection in use', async () => {
    const { w } = await start()
    expect(document.body.dataset.ready).toBe('true')
    expect(w.find('[data-testid="keys-view"]').exists()).toBe(true)
    expect(w.find('[data-testid="connection-badge"]').text()).toBe('Local KMS (offline)')
    w.unmount()
  })

  it('asks for the keys together with the preferences, once, and draws them without a second request', async () => {
    let answer: (p: unknown) => void = () => undefined
    const prefs = await api.appApi.preferences()
    api.appApi.preferences.mockReturnValue(new Promise((r) => (answer = r)))
    api.keysApi.list.mockResolvedValue({ keys: [keyFixture()], total: 1 })
    const m = mountApp(App)
    await flush(10)
    // The preferences have not answered yet; the key list was asked for already.
    expect(document.body.dataset.ready).toBeUndefined()
    expect(api.keysApi.list).toHaveBeenCalledOnce()
    answer(prefs)
    await flush(10)
    expect(document.querySelectorAll('tr[data-key-id]').length).toBe(1)
    expect(api.keysApi.list).toHaveBeenCalledOnce()
    m.w.unmount()
  })

  it('draws no dialog or drawer before it is opened (lazy: nothing of them is built at startup)', async () => {
    const { w } = await start()
    expect(w.find('[data-testid="keys-view"]').exists()).toBe(true)
    expect(document.querySelectorAll('.t-dialog, .t-drawer').length).toBe(0)
    handlers.get('app:confirm-close')?.([{ id: 'a' }])
    await flush()
    expect(document.querySelectorAll('.t-dialog').length).toBe(1)
    w.unmount()
  })

  it('says it listens once subscribed, and stages the files of app:open-files (drops, second launch, start)', async () => {
    const { w } = await start()
    expect(api.appApi.listening).toHaveBeenCalledOnce()
    expect(useAppStore().view).toBe('keys')
    const item = (p: string) => ({ path: p, name: p.split('/').pop(), isDir: false, size: 1, files: 1, action: 'encrypt', kind: 'file', errorCode: '' })
    handlers.get('app:open-files')?.({ items: [item('/x/one.txt'), item('/x/two.txt')], intent: '' })
    handlers.get('app:open-files')?.({ items: [item('/x/one.txt')], intent: '' })
    await flush()
    expect(useAppStore().view).toBe('files')
    expect(useFilesStore().items.map((i) => i.name)).toEqual(['one.txt', 'two.txt'])
    expect(w.find('[data-testid="files-view"]').exists()).toBe(true)
    w.unmount()
  })

  it('asks before closing when the Go side reports running jobs', async () => {
    const { w } = await start()
    handlers.get('app:confirm-close')?.([{ id: 'a' }, { id: 'b' }])
    await flush()
    expect(document.querySelector('[data-testid="close-dialog"]')?.textContent).toContain('2 file jobs are still running')
    document.querySelector<HTMLButtonElement>('[data-testid="close-quit"]')?.click()
    await flush()
    expect(api.appApi.quit).toHaveBeenCalledOnce()
    w.unmount()
  })

  it('Ctrl+Q quits at once without jobs, and asks with jobs', async () => {
    const { w } = await start()
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'q', ctrlKey: true }))
    await flush()
    expect(api.appApi.quit).toHaveBeenCalledOnce()
    api.filesApi.jobs.mockResolvedValue([{ id: 'j', state: 'running' }])
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'q', ctrlKey: true }))
    await flush()
    expect(api.appApi.quit).toHaveBeenCalledOnce()
    expect(document.querySelector('[data-testid="close-dialog"]')?.textContent).toContain('1 file job is still running')
    w.unmount()
  })

  it('reloads the view when the active profile changes', async () => {
    const { w } = await start()
    const calls = api.keysApi.list.mock.calls.length
    const cloud = { ...local, name: 'work', kind: service.ProfileKind.Tencent, region: 'ap-shanghai' }
    api.settingsApi.profiles.mockResolvedValue([local, cloud])
    useSettingsStore().profiles = [local, cloud]
    handlers.get('profile:changed')?.(cloud)
    await flush(10)
    expect(api.keysApi.list.mock.calls.length).toBeGreaterThan(calls)
    expect(w.find('[data-testid="connection-badge"]').text()).toBe('Tencent Cloud · ap-shanghai')
    w.unmount()
  })
})
