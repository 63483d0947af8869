import { beforeEach, describe, expect, it, vi } from 'vitest'
import { localProfile } from './fixtures'
import { service } from '../src/api/contract'
import { createPinia, setActivePinia } from 'pinia'

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), setEnabled: vi.fn(() => Promise.resolve()) },
  settingsApi: { profiles: vi.fn(), active: vi.fn(), setActive: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { useKeysStore } = await import('../src/stores/keys')
const { useSettingsStore, regionName } = await import('../src/stores/settings')
const { resolveTheme } = await import('../src/stores/app')

const local = localProfile
const cloud = { ...local, name: 'work', kind: service.ProfileKind.Tencent, region: 'ap-shanghai', secretIdMasked: 'AKID****abcd', hasSecret: true, secretStorage: 'keychain' }

beforeEach(() => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
})

describe('keys store', () => {
  it('asks the server for one page with the filters', async () => {
    api.keysApi.list.mockResolvedValue({ keys: [], total: 10000 })
    const s = useKeysStore()
    s.filters.search = 'pay'
    s.filters.state = 2
    s.page = 3
    s.pageSize = 50
    await s.load()
    expect(api.keysApi.list).toHaveBeenCalledWith({ search: 'pay', state: 2, usage: '', orderAscending: false, offset: 100, limit: 50 })
    expect(s.total).toBe(10000)
  })
  it('ignores an answer overtaken by a newer request', async () => {
    let first: (v: unknown) => void = () => undefined
    api.keysApi.list.mockImplementationOnce(() => new Promise((r) => (first = r))).mockResolvedValueOnce({ keys: [{ keyId: 'new' }], total: 1 })
    const s = useKeysStore()
    const a = s.load()
    await s.load()
    first({ keys: [{ keyId: 'old' }], total: 1 })
    await a
    expect(s.keys.map((k) => k.keyId)).toEqual(['new'])
  })
  it('enables or disables a batch, then reloads', async () => {
    api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
    const s = useKeysStore()
    await s.setEnabled(['a', 'b'], false)
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith(['a', 'b'], false)
    expect(api.keysApi.list).toHaveBeenCalled()
  })
  it('keeps a load error for the view', async () => {
    api.keysApi.list.mockRejectedValue({ code: 'AuthFailure.SignatureFailure', message: 'x' })
    const s = useKeysStore()
    await s.load()
    expect(s.error?.code).toBe('AuthFailure.SignatureFailure')
    expect(s.loading).toBe(false)
  })
})

describe('settings store', () => {
  it('loads profiles and the active one; switching bumps the generation', async () => {
    api.settingsApi.profiles.mockResolvedValue([local, cloud])
    api.settingsApi.active.mockResolvedValue(local)
    api.settingsApi.setActive.mockResolvedValue(cloud)
    const s = useSettingsStore()
    await s.load()
    expect(s.active?.name).toBe('local')
    const g = s.generation
    await s.setActive('work')
    expect(api.settingsApi.setActive).toHaveBeenCalledWith('work')
    expect(s.active?.name).toBe('work')
    expect(s.generation).toBe(g + 1)
    // The same profile saved again (e.g. a new SecretKey) does not reload the views.
    s.changed({ ...cloud, secretIdMasked: 'AKID****efgh' })
    expect(s.generation).toBe(g + 1)
    expect(s.profiles.find((p) => p.name === 'work')?.secretIdMasked).toBe('AKID****efgh')
    // Another region does.
    s.changed({ ...cloud, region: 'ap-beijing' })
    expect(s.generation).toBe(g + 2)
  })
  it('never holds a SecretKey', async () => {
    api.settingsApi.profiles.mockResolvedValue([cloud])
    api.settingsApi.active.mockResolvedValue(cloud)
    const s = useSettingsStore()
    await s.load()
    expect(JSON.stringify(s.$state)).not.toMatch(/secretKey/i)
  })
  it('names regions in the UI language', () => {
    const regions = [{ id: 'ap-guangzhou', nameZh: '广州', nameEn: 'Guangzhou' }]
    expect(regionName('ap-guangzhou', regions, 'zh-CN')).toBe('广州')
    expect(regionName('ap-guangzhou', regions, 'en')).toBe('Guangzhou')
    expect(regionName('xx-new', regions, 'en')).toBe('xx-new')
  })
})

describe('theme', () => {
  it('follows the OS in auto and the choice otherwise', () => {
    expect(resolveTheme('auto', true)).toBe('dark')
    expect(resolveTheme('auto', false)).toBe('light')
    expect(resolveTheme('dark', false)).toBe('dark')
    expect(resolveTheme('light', true)).toBe('light')
  })
})
