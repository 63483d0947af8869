// The local KMS is explained where people first meet it, in both languages: the intro
// on the Keys view until it is closed, and the tooltip of the connection badge (not a
// repeat of the badge): its keys live only on this computer, files encrypted with them
// open only here, and a backup or a Tencent Cloud profile is the way to share files or
// survive a lost computer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connectionDefaults, localProfile } from './fixtures'
import { flush, mountApp, q } from './mount'
import { i18n, type Locale } from '../src/i18n'
import { service, type Preferences, type Profile } from '../src/api/contract'

const api = vi.hoisted(() => ({ appApi: { savePreferences: vi.fn() } }))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: LocalIntro } = await import('../src/components/LocalIntro.vue')
const { default: ProfileSwitcher } = await import('../src/components/ProfileSwitcher.vue')
const { useAppStore } = await import('../src/stores/app')
const { useSettingsStore } = await import('../src/stores/settings')

const cloud: Profile = { ...localProfile, ...connectionDefaults, name: 'work', kind: service.ProfileKind.Tencent, region: 'ap-shanghai', hasSecret: true }

// What each language must say about the local KMS.
const explains: Record<Locale, { onlyHere: RegExp; filesOnlyHere: RegExp; wayOut: RegExp[] }> = {
  en: { onlyHere: /only on this computer/, filesOnlyHere: /Files encrypted with them open only here/, wayOut: [/back (up|them up)/i, /Tencent Cloud profile/] },
  'zh-CN': { onlyHere: /只(存在|保存)/, filesOnlyHere: /用它们加密的文件只能在(这台电脑上|这里)打开/, wayOut: [/备份/, /腾讯云配置/] },
}

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  api.appApi.savePreferences.mockImplementation(async (p: Preferences) => p)
})
afterEach(() => {
  i18n.global.locale.value = 'en'
})

// mount shows c with p as the active profile, in locale.
async function mount(c: Parameters<typeof mountApp>[0], p: Profile, locale: Locale) {
  i18n.global.locale.value = locale
  const m = mountApp(c)
  const settings = useSettingsStore()
  settings.profiles = [localProfile, cloud]
  settings.active = p
  await flush()
  return m
}

for (const locale of ['en', 'zh-CN'] as const) {
  const say = explains[locale]

  describe(`the first-run intro (${locale})`, () => {
    it('says where the keys live, what that means for files, and the way out', async () => {
      const { w } = await mount(LocalIntro, localProfile, locale)
      const text = q('[data-testid="local-intro"]').textContent ?? ''
      expect(text).toMatch(say.onlyHere)
      expect(text).toMatch(say.filesOnlyHere)
      for (const re of say.wayOut) expect(text).toMatch(re)
      expect(text).toContain(i18n.global.t('localKms.introTitle'))
      expect(text).toContain(i18n.global.t('localKms.backUp'))
      w.unmount()
    })
  })

  describe(`the connection badge's tooltip (${locale})`, () => {
    it('explains the local KMS instead of repeating the badge', async () => {
      const { w } = await mount(ProfileSwitcher, localProfile, locale)
      const badge = q('[data-testid="connection-badge"]')
      const tip = badge.closest('[title]')?.getAttribute('title') ?? ''
      expect(badge.getAttribute('aria-description')).toBe(tip)
      expect(tip).not.toBe(badge.textContent)
      expect(tip).toMatch(say.onlyHere)
      expect(tip).toMatch(say.filesOnlyHere)
      for (const re of say.wayOut) expect(tip).toMatch(re)
      w.unmount()
    })
  })
}

describe('the first-run intro', () => {
  it('goes for good once closed, and is not shown for a Tencent Cloud profile', async () => {
    const { w } = await mount(LocalIntro, localProfile, 'en')
    q<HTMLButtonElement>('[data-testid="local-intro-ok"]').click()
    await flush()
    expect(api.appApi.savePreferences).toHaveBeenCalledWith(expect.objectContaining({ localIntroSeen: true }))
    expect(document.querySelector('[data-testid="local-intro"]')).toBeNull()
    w.unmount()
    const again = await mount(LocalIntro, cloud, 'en')
    expect(document.querySelector('[data-testid="local-intro"]')).toBeNull()
    again.w.unmount()
  })

  it('opens the backup of the local keys', async () => {
    const { w } = await mount(LocalIntro, localProfile, 'en')
    q<HTMLButtonElement>('[data-testid="local-intro-backup"]').click()
    await flush()
    expect(useAppStore().view).toBe('settings')
    expect(useAppStore().settingsTab).toBe('local')
    expect(useSettingsStore().localBackup).toBe('backup')
    w.unmount()
  })
})

describe("a Tencent Cloud profile's badge tooltip", () => {
  it('says the keys live in Tencent Cloud KMS, naming the profile', async () => {
    const { w } = await mount(ProfileSwitcher, cloud, 'en')
    const tip = q('[data-testid="connection-badge"]').getAttribute('aria-description') ?? ''
    expect(tip).toContain('Tencent Cloud KMS (profile work)')
    expect(tip).not.toMatch(/only on this computer/)
    w.unmount()
  })
})
