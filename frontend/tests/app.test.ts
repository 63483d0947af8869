// The shell's wiring: files handed over at startup or by app:open-files land in Files,
// the Go side's close request and Ctrl+Q ask before quitting while jobs run, and a
// profile change re-creates the views.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp } from './mount'

const handlers = vi.hoisted(() => new Map<string, (...a: unknown[]) => void>())
vi.mock('../src/api/runtime', () => ({
  onEvent: (name: string, cb: (...a: unknown[]) => void) => {
    handlers.set(name, cb)
    return () => handlers.delete(name)
  },
  hookFileDrop: vi.fn(),
}))

const local = { name: 'local', kind: 'local', region: 'ap-guangzhou', endpoint: '', secretIdMasked: '', timeoutSeconds: 30, language: 'en-US', hasSecret: false, secretStorage: '', sessionOnly: false }
const api = vi.hoisted(() => ({
  appApi: {
    preferences: vi.fn(),
    info: vi.fn(),
    takeLaunchFiles: vi.fn(),
    quit: vi.fn(() => Promise.resolve()),
    uiReady: vi.fn(() => Promise.resolve()),
    savePreferences: vi.fn(),
  },
  settingsApi: { profiles: vi.fn(), active: vi.fn(), regions: vi.fn(), keychainStatus: vi.fn() },
  keysApi: { list: vi.fn() },
  filesApi: { classify: vi.fn(), runningJobs: vi.fn(), jobs: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: App } = await import('../src/App.vue')
const { useAppStore } = await import('../src/stores/app')
const { useFilesStore } = await import('../src/stores/files')
const { useSettingsStore } = await import('../src/stores/settings')

beforeEach(() => {
  document.body.replaceChildren()
  handlers.clear()
  vi.clearAllMocks()
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
  api.appApi.preferences.mockResolvedValue({ language: 'en', theme: 'auto', outputDir: '', lastKeyId: '', overwrite: 'rename', window: { width: 0, height: 0, x: 0, y: 0, maximised: false } })
  api.appApi.info.mockResolvedValue({ name: 'KMS Desk', version: 'test', goVersion: 'go', platform: 'linux/amd64', configDir: '/c', logFile: '/l' })
  api.appApi.takeLaunchFiles.mockResolvedValue([])
  api.settingsApi.profiles.mockResolvedValue([local])
  api.settingsApi.active.mockResolvedValue(local)
  api.settingsApi.regions.mockResolvedValue([])
  api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
  api.filesApi.classify.mockImplementation(async (paths: string[]) => paths.map((p) => ({ path: p, name: p.split('/').pop(), isDir: false, size: 1, files: 1, action: 'encrypt', kind: 'file', errorCode: '' })))
  api.filesApi.runningJobs.mockResolvedValue(0)
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

  it('takes files given before the UI loaded, once, into Files', async () => {
    api.appApi.takeLaunchFiles.mockResolvedValue(['/home/u/a.pdf'])
    const { w } = await start()
    expect(api.appApi.takeLaunchFiles).toHaveBeenCalledOnce()
    expect(useAppStore().view).toBe('files')
    expect(api.filesApi.classify).toHaveBeenCalledWith(['/home/u/a.pdf'])
    expect(useFilesStore().items.map((i) => i.path)).toEqual(['/home/u/a.pdf'])
    w.unmount()
  })

  it('switches to Files and adds the paths of app:open-files (drops, second launch)', async () => {
    const { w } = await start()
    expect(useAppStore().view).toBe('keys')
    // The Go side queued them too; the UI takes the queue so they are not added twice.
    api.appApi.takeLaunchFiles.mockResolvedValue(['/x/one.txt', '/x/two.txt'])
    handlers.get('app:open-files')?.(['/x/one.txt', '/x/two.txt'])
    await flush()
    expect(useAppStore().view).toBe('files')
    expect(api.appApi.takeLaunchFiles).toHaveBeenCalledTimes(2)
    expect(useFilesStore().items.map((i) => i.name)).toEqual(['one.txt', 'two.txt'])
    expect(w.find('[data-testid="files-view"]').exists()).toBe(true)
    w.unmount()
  })

  it('asks before closing when the Go side reports running jobs', async () => {
    const { w } = await start()
    handlers.get('app:confirm-close')?.({ running: 2 })
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
    api.filesApi.runningJobs.mockResolvedValue(1)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'q', ctrlKey: true }))
    await flush()
    expect(api.appApi.quit).toHaveBeenCalledOnce()
    expect(document.querySelector('[data-testid="close-dialog"]')?.textContent).toContain('1 file job is still running')
    w.unmount()
  })

  it('reloads the view when the active profile changes', async () => {
    const { w } = await start()
    const calls = api.keysApi.list.mock.calls.length
    const cloud = { ...local, name: 'work', kind: 'tencent', region: 'ap-shanghai' }
    api.settingsApi.profiles.mockResolvedValue([local, cloud])
    useSettingsStore().profiles = [local, cloud]
    handlers.get('profile:changed')?.(cloud)
    await flush(10)
    expect(api.keysApi.list.mock.calls.length).toBeGreaterThan(calls)
    expect(w.find('[data-testid="connection-badge"]').text()).toBe('Tencent Cloud · ap-shanghai')
    w.unmount()
  })
})
