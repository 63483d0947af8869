import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { appApi, type AppInfo, type Preferences } from '../api/backend'
import { i18n, resolveLocale, type Locale } from '../i18n'

export type View = 'keys' | 'text' | 'files' | 'settings'

const defaultPrefs: Preferences = {
  language: 'auto',
  theme: 'auto',
  outputDir: '',
  lastKeyId: '',
  overwrite: 'rename',
  window: { width: 0, height: 0, x: 0, y: 0, maximised: false },
}

function prefersDark(): boolean {
  return typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-color-scheme: dark)').matches
}

export const useAppStore = defineStore('app', () => {
  const view = ref<View>('keys')
  const prefs = ref<Preferences>({ ...defaultPrefs })
  const info = ref<AppInfo | null>(null)
  const locale = computed<Locale>(() => resolveLocale(prefs.value.language))
  const dark = computed(() => prefs.value.theme === 'dark' || (prefs.value.theme === 'auto' && prefersDark()))

  function apply() {
    i18n.global.locale.value = locale.value
    document.documentElement.setAttribute('lang', locale.value)
    document.documentElement.setAttribute('theme-mode', dark.value ? 'dark' : 'light')
  }

  async function load() {
    const [p, i] = await Promise.all([appApi.preferences(), appApi.info()])
    prefs.value = { ...defaultPrefs, ...p }
    info.value = i
    apply()
  }

  async function save(patch: Partial<Preferences>) {
    const next = { ...prefs.value, ...patch }
    prefs.value = await appApi.savePreferences(next)
    apply()
  }

  return { view, prefs, info, locale, dark, load, save, apply }
})
