import { defineStore } from 'pinia'
import { ref } from 'vue'
import { settingsApi, type KeychainStatus, type Profile, type Region } from '../api/backend'
import type { Locale } from '../i18n'

// The profiles store holds what the UI shows about connections. It never holds a
// SecretKey: profiles come from Go with a masked SecretId only, and the key typed in
// the profile dialog goes straight from the form field to SettingsService.SaveProfile.
export const useSettingsStore = defineStore('settings', () => {
  const profiles = ref<Profile[]>([])
  const active = ref<Profile | null>(null)
  const regions = ref<Region[]>([])
  const keychain = ref<KeychainStatus | null>(null)
  // generation increases whenever the connection changes, so views reload their data.
  const generation = ref(0)

  async function load() {
    const [list, act] = await Promise.all([settingsApi.profiles(), settingsApi.active()])
    profiles.value = list ?? []
    active.value = act
  }

  async function loadRegions() {
    regions.value = (await settingsApi.regions()) ?? []
  }

  async function loadKeychain() {
    keychain.value = await settingsApi.keychainStatus()
  }

  async function setActive(name: string) {
    const p = await settingsApi.setActive(name)
    changed(p)
  }

  // changed records a new active profile (from SetActive or the profile:changed event).
  function changed(p: Profile) {
    const switched = active.value?.name !== p.name || active.value?.region !== p.region || active.value?.endpoint !== p.endpoint
    active.value = p
    const i = profiles.value.findIndex((x) => x.name === p.name)
    if (i >= 0) profiles.value[i] = p
    if (switched) generation.value++
  }

  return { profiles, active, regions, keychain, generation, load, loadRegions, loadKeychain, setActive, changed }
})

// regionName shows a region in the UI language (its ID when unknown).
export function regionName(id: string, regions: Region[], locale: Locale): string {
  const r = regions.find((x) => x.id === id)
  if (!r) return id
  return locale === 'zh-CN' ? r.nameZh || id : r.nameEn || id
}
