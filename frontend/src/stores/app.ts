import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { appApi, type AppInfo, type Preferences } from '../api/backend'
import { i18n, osLocale, resolveLocale, type Locale } from '../i18n'

export type View = 'keys' | 'text' | 'files' | 'settings'
export const views: View[] = ['keys', 'text', 'files', 'settings']

const defaultPrefs: Preferences = {
  language: 'auto',
  theme: 'auto',
  outputDir: '',
  lastKeyId: '',
  overwrite: 'rename',
  window: { width: 0, height: 0, x: 0, y: 0, maximised: false },
}

function darkQuery(): MediaQueryList | null {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null
}

// resolveTheme turns the theme preference into the TDesign theme-mode.
export function resolveTheme(pref: string, osDark: boolean): 'dark' | 'light' {
  return pref === 'dark' || (pref === 'auto' && osDark) ? 'dark' : 'light'
}

export const useAppStore = defineStore('app', () => {
  const view = ref<View>('keys')
  const prefs = ref<Preferences>({ ...defaultPrefs })
  const info = ref<AppInfo | null>(null)
  // The OS settings "auto" follows, kept current by the listeners in watchOS.
  const osDark = ref(darkQuery()?.matches ?? false)
  const osLang = ref<Locale>(osLocale())
  const locale = computed<Locale>(() => (prefs.value.language === 'auto' ? osLang.value : resolveLocale(prefs.value.language)))
  const theme = computed(() => resolveTheme(prefs.value.theme, osDark.value))
  const dark = computed(() => theme.value === 'dark')

  function apply() {
    i18n.global.locale.value = locale.value
    document.documentElement.setAttribute('lang', locale.value)
    document.documentElement.setAttribute('theme-mode', theme.value)
  }

  let watching = false
  // watchOS makes "auto" follow the OS live: the colour scheme and the language.
  function watchOS() {
    if (watching) return
    watching = true
    darkQuery()?.addEventListener('change', (e) => {
      osDark.value = e.matches
      apply()
    })
    window.addEventListener('languagechange', () => {
      osLang.value = osLocale()
      apply()
    })
  }

  async function load() {
    const [p, i] = await Promise.all([appApi.preferences(), appApi.info()])
    prefs.value = { ...defaultPrefs, ...p }
    info.value = i
    apply()
    watchOS()
  }

  async function save(patch: Partial<Preferences>) {
    const next = { ...prefs.value, ...patch }
    prefs.value = await appApi.savePreferences(next)
    apply()
  }

  return { view, prefs, info, locale, theme, dark, osDark, load, save, apply }
})
