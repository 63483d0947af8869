// Connecting from anywhere: the Keys view is honest while it connects and when it
// fails (never "No keys yet" or "0 keys" it does not know), loads once, and cancels;
// the profile dialog sets the site, the proxy (its password sent once) and asks for
// consent before plain HTTP to another computer.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, KeepAlive } from 'vue'
import { click, flush, mountApp, openDialog, q, type } from './mount'
import { connectionDefaults, localProfile } from './fixtures'
import { service } from '../src/api/contract'
import { isPlainHttpRemote, defaultEndpoint } from '../src/validation'

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), cancelList: vi.fn(), describe: vi.fn() },
  appApi: { uiReady: vi.fn(() => Promise.resolve()) },
  settingsApi: { saveProfile: vi.fn(), regions: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))
const { default: KeysView } = await import('../src/views/KeysView.vue')
const { default: ProfileDialog } = await import('../src/dialogs/ProfileDialog.vue')
const { useSettingsStore } = await import('../src/stores/settings')

const cloud = {
  ...localProfile,
  name: 'work', kind: service.ProfileKind.Tencent, region: 'ap-guangzhou', endpoint: 'kms.tencentcloudapi.com', secretIdMasked: 'AKID****cdef',
  timeoutSeconds: 12, hasSecret: true, secretStorage: 'keychain', ...connectionDefaults,
}

// pending returns a promise that the test settles later.
function pending<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const p = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { p, resolve, reject }
}

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
  api.keysApi.cancelList.mockResolvedValue(1)
  api.settingsApi.regions.mockResolvedValue([])
})

const text = () => document.body.textContent ?? ''

describe('keys view while connecting', () => {
  it('says where it connects, offers Cancel, and cancelling shows no list', async () => {
    const req = pending<{ keys: never[]; total: number }>()
    api.keysApi.list.mockReturnValue(req.p)
    const { w } = mountApp(KeysView)
    useSettingsStore().active = cloud
    await flush()
    expect(q('[data-testid="keys-connecting"]').textContent).toContain('Connecting to kms.tencentcloudapi.com')
    expect(q('[data-testid="keys-connecting"]').textContent).toContain('12 s')
    expect(document.querySelector('[data-testid="keys-total"]')).toBeNull()
    await click('[data-testid="keys-cancel"]')
    expect(api.keysApi.cancelList).toHaveBeenCalledOnce()
    expect(document.querySelector('[data-testid="keys-connecting"]')).toBeNull()
    expect(q('[data-testid="error-alert"]').dataset.code).toBe('Client.Cancelled')
    // The abandoned request answers late: it is ignored.
    req.resolve({ keys: [], total: 0 })
    await flush()
    expect(q('[data-testid="error-alert"]').dataset.code).toBe('Client.Cancelled')
    expect(text()).not.toContain('No keys yet')
    expect(document.querySelector('[data-testid="keys-total"]')).toBeNull()
    w.unmount()
  })

  it('shows the failure, not an empty list, and retries on request', async () => {
    api.keysApi.list.mockRejectedValueOnce({ code: 'Client.NetworkError', message: 'dial tcp: connection refused' })
    const { w } = mountApp(KeysView)
    await flush(10)
    expect(q('[data-testid="error-alert"]').dataset.code).toBe('Client.NetworkError')
    expect(text()).not.toContain('No keys yet')
    expect(text()).not.toContain('0 keys')
    expect(document.querySelector('[data-testid="keys-table"]')).toBeNull()
    api.keysApi.list.mockResolvedValueOnce({ keys: [], total: 0 })
    await click('[data-testid="keys-retry"]')
    await flush(10)
    expect(document.querySelector('[data-testid="error-alert"]')).toBeNull()
    // One clear empty state: what to do, no "0 keys", no pager, no TDesign "no items".
    expect(q('[data-testid="keys-empty"]').textContent).toContain('No keys yet')
    expect(q('[data-testid="keys-empty-create"]')).toBeTruthy()
    expect(document.querySelector('[data-testid="keys-total"]')).toBeNull()
    expect(document.querySelector('.t-pagination')).toBeNull()
    expect(text()).not.toMatch(/no items|Jump to|Empty Data/i)
    expect(api.keysApi.list).toHaveBeenCalledTimes(2)
    w.unmount()
  })

  it('sends one request when it first shows inside KeepAlive', async () => {
    api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
    const Host = defineComponent({ render: () => h(KeepAlive, null, [h(KeysView)]) })
    const { w } = mountApp(Host)
    await flush(10)
    expect(api.keysApi.list).toHaveBeenCalledOnce()
    w.unmount()
  })
})

describe('profile dialog connection fields', () => {
  it('sends the site and a manual proxy, and its password once', async () => {
    api.settingsApi.saveProfile.mockImplementation(async (p: object) => ({ ...cloud, ...p }))
    const onUpdate = vi.fn()
    const { w } = await openDialog(ProfileDialog, { editing: null, 'onUpdate:visible': onUpdate })
    await type('[data-testid="profile-name"] input', 'hk')
    await type('[data-testid="profile-secret-id"] input', 'AKIDabcdef')
    await type('[data-testid="profile-secret-key"] input', 'the-secret-key')
    expect(q<HTMLInputElement>('[data-testid="profile-endpoint"] input').placeholder).toContain('kms.tencentcloudapi.com')
    await click('[data-testid="profile-site"] label:nth-child(2)')
    expect(q<HTMLInputElement>('[data-testid="profile-endpoint"] input').placeholder).toContain('kms.intl.tencentcloudapi.com')
    await click('[data-testid="profile-proxy-mode"] label:nth-child(3)')
    // A manual proxy needs its URL.
    await click('[data-testid="profile-save"]')
    expect(api.settingsApi.saveProfile).not.toHaveBeenCalled()
    await type('[data-testid="profile-proxy-url"] input', 'http://proxy.corp:3128')
    await type('[data-testid="profile-proxy-user"] input', 'alice')
    await type('[data-testid="profile-proxy-password"] input', 'proxy-pw')
    await click('[data-testid="profile-save"]')
    expect(api.settingsApi.saveProfile).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'hk', site: 'intl', endpoint: '', proxy: expect.objectContaining({ mode: 'manual', url: 'http://proxy.corp:3128', username: 'alice' }) }),
      'AKIDabcdef',
      'the-secret-key',
      'proxy-pw',
    )
    expect(JSON.stringify(api.settingsApi.saveProfile.mock.calls[0]?.[0])).not.toContain('proxy-pw')
    expect(q<HTMLInputElement>('[data-testid="profile-proxy-password"] input').value).toBe('')
    w.unmount()
  })

  it('warns about plain HTTP to another computer and saves only with consent', async () => {
    api.settingsApi.saveProfile.mockImplementation(async (p: object) => ({ ...cloud, ...p }))
    const { w } = await openDialog(ProfileDialog, { editing: { ...cloud, endpoint: 'kms.tencentcloudapi.com', autoEndpoint: true }, 'onUpdate:visible': vi.fn() })
    expect(q<HTMLInputElement>('[data-testid="profile-endpoint"] input').value).toBe('')
    await type('[data-testid="profile-endpoint"] input', 'http://127.0.0.1:9000')
    expect(document.querySelector('[data-testid="profile-plain-http"]')).toBeNull()
    await type('[data-testid="profile-endpoint"] input', 'http://kms.lan.example:9000')
    expect(q('[data-testid="profile-plain-http"]').textContent).toContain('unencrypted')
    await click('[data-testid="profile-save"]')
    expect(api.settingsApi.saveProfile).not.toHaveBeenCalled()
    await click('[data-testid="profile-insecure-accept"] input')
    await click('[data-testid="profile-save"]')
    expect(api.settingsApi.saveProfile).toHaveBeenCalledWith(expect.objectContaining({ endpoint: 'http://kms.lan.example:9000', insecureHttp: true }), '', '', '')
    w.unmount()
  })
})

describe('connection rules shown before saving', () => {
  it('knows loopback from another computer', () => {
    for (const ep of ['http://127.0.0.1:9000', 'http://localhost:1', 'http://[::1]:9000', 'HTTP://127.1.2.3', 'https://kms.corp', 'kms.tencentcloudapi.com', ''])
      expect(isPlainHttpRemote(ep), ep).toBe(false)
    for (const ep of ['http://kms.corp:9000', 'http://10.0.0.5', 'http://[fe80::1]:9000', 'http://localhost.evil.example'])
      expect(isPlainHttpRemote(ep), ep).toBe(true)
  })
  it('names the default endpoint of a site and region', () => {
    expect(defaultEndpoint('china', 'ap-guangzhou')).toBe('kms.tencentcloudapi.com')
    expect(defaultEndpoint('intl', 'ap-singapore')).toBe('kms.intl.tencentcloudapi.com')
    expect(defaultEndpoint('intl', 'ap-shanghai-fsi')).toBe('kms.ap-shanghai-fsi.tencentcloudapi.com')
  })
})

describe('connection badge', () => {
  it('marks an active profile that sends plain HTTP to another computer', async () => {
    const { default: ProfileSwitcher } = await import('../src/components/ProfileSwitcher.vue')
    const { w } = mountApp(ProfileSwitcher)
    const s = useSettingsStore()
    s.active = cloud
    await flush()
    expect(document.querySelector('[data-testid="plain-http-badge"]')).toBeNull()
    s.active = { ...cloud, endpoint: 'http://kms.lan.example:9000', plainHttp: true, insecureHttp: true }
    await flush()
    expect(q('[data-testid="plain-http-badge"]').textContent).toBe('Unencrypted')
    expect(q('[data-testid="plain-http-badge"]').getAttribute('aria-label')).toContain('unencrypted')
    w.unmount()
  })
})
