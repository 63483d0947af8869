// Expired temporary credentials: the error alert offers the way out for the active
// profile — refresh (assume its CAM role again) when it has a role and its keys, or
// enter new credentials — and the views reload once they are renewed.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { service, type Profile } from '../src/api/contract'
import { connectionDefaults, localProfile } from './fixtures'
import { click, flush, mountApp, q } from './mount'

const api = vi.hoisted(() => ({
  settingsApi: { assumeRole: vi.fn(), profiles: vi.fn(), active: vi.fn(), setTemporary: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: ErrorAlert } = await import('../src/components/ErrorAlert.vue')
const { useSettingsStore } = await import('../src/stores/settings')

const base: Profile = {
  ...localProfile,
  ...connectionDefaults,
  name: 'work',
  kind: service.ProfileKind.Tencent,
  region: 'ap-shanghai',
  secretIdMasked: 'AKID****cdef',
  hasSecret: true,
  secretStorage: 'keychain',
  temporary: { roleArn: 'qcs::cam::uin/1:roleName/ops', roleSessionName: 'desk', durationSeconds: 1800, expiry: 1, hasCredentials: true, secondsLeft: 0, storage: 'keychain' },
}

function mountAlert(code: string, active: Profile | null) {
  const m = mountApp(ErrorAlert, { props: { error: { code, message: 'raw' } } })
  const settings = useSettingsStore()
  settings.active = active
  return { ...m, settings }
}

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
})

describe('expired temporary credentials', () => {
  it('says they expired and refreshes them with the profile role, then reloads the views', async () => {
    const fresh = { ...base, temporary: { ...base.temporary!, secondsLeft: 1800 } }
    api.settingsApi.assumeRole.mockResolvedValue(fresh)
    api.settingsApi.profiles.mockResolvedValue([fresh])
    api.settingsApi.active.mockResolvedValue(fresh)
    const { w, settings } = mountAlert('Credentials.Expired', base)
    await flush()
    expect(q('[data-testid="error-alert"]').textContent).toContain('Your temporary credentials have expired')
    const gen = settings.generation
    await click('[data-testid="credentials-refresh"]')
    expect(api.settingsApi.assumeRole).toHaveBeenCalledWith('work', 'qcs::cam::uin/1:roleName/ops', 'desk', 30)
    await flush()
    expect(settings.generation).toBe(gen + 1)
    expect(settings.active?.temporary?.secondsLeft).toBe(1800)
    w.unmount()
  })

  it('without a role (or its keys) offers only new credentials, in the temporary-credentials dialog', async () => {
    const { w } = mountAlert('AuthFailure.TokenFailure', { ...base, hasSecret: false })
    await flush()
    expect(document.querySelector('[data-testid="credentials-refresh"]')).toBeNull()
    await click('[data-testid="credentials-enter"]')
    expect(document.body.textContent).toContain('Temporary credentials for work')
    expect(api.settingsApi.assumeRole).not.toHaveBeenCalled()
    w.unmount()
  })

  it('offers nothing for the local profile or for other errors', async () => {
    let m = mountAlert('Credentials.Expired', localProfile)
    await flush()
    expect(document.querySelector('[data-testid="expired-credentials"]')).toBeNull()
    m.w.unmount()
    m = mountAlert('AuthFailure.SignatureFailure', base)
    await flush()
    expect(document.querySelector('[data-testid="expired-credentials"]')).toBeNull()
    m.w.unmount()
  })
})
