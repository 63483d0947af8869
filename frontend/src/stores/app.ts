import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { appApi, filesApi, service, type AppInfo, type JobProgress, type OpenFiles, type Preferences, type UIReady } from '../api/backend'
import { EV, on, together } from '../api/events'
import { hookFileDrop } from '../api/runtime'
import { requestQuit as guardQuit, type CloseDecision } from '../closeGuard'
import { i18n, osLocale, resolveLocale, type Locale } from '../i18n'
import { useFilesStore } from './files'

export type View = 'keys' | 'text' | 'files' | 'settings'
// The tabs of the Settings view.
export type SettingsTab = 'profiles' | 'recovery' | 'local' | 'preferences' | 'about'
export const views: View[] = ['keys', 'text', 'files', 'settings']

const defaultPrefs: Preferences = {
  language: service.Language.Auto,
  theme: service.Theme.Auto,
  outputDir: '',
  lastKeyId: '',
  overwrite: service.Overwrite.Rename,
  window: { width: 0, height: 0, x: 0, y: 0, maximised: false },
  localIntroSeen: false,
  localWarningOff: false,
  recovery: [],
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
  const settingsTab = ref<SettingsTab>('profiles')
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

  // load reads the preferences and the app's facts, applies them, and starts following
  // the OS (theme, language) and taking file drops.
  async function load() {
    const [p, i] = await Promise.all([appApi.preferences(), appApi.info()])
    prefs.value = { ...defaultPrefs, ...p }
    info.value = i
    apply()
    watchOS()
    hookFileDrop()
  }

  async function save(patch: Partial<Preferences>) {
    const next = { ...prefs.value, ...patch }
    prefs.value = await appApi.savePreferences(next)
    apply()
  }

  // chooseOutputDir asks for the default output folder of file jobs (native dialog) and
  // saves it; nothing changes when the user cancels.
  async function chooseOutputDir() {
    const dir = await filesApi.pickOutputFolder()
    if (dir) await save({ outputDir: dir })
  }

  // openSettings shows a tab of the Settings view (e.g. the local keys' backup from the
  // warning before a first local encryption).
  function openSettings(tab: SettingsTab) {
    settingsTab.value = tab
    view.value = 'settings'
  }

  // uiReady tells the backend the first screen is drawn, with the startup's phases
  // (startup-time measurement, ../startup.ts).
  function uiReady(r: UIReady): Promise<void> {
    return appApi.uiReady(r)
  }

  // --- files handed to the app -------------------------------------------------------

  // openFiles shows the Files view with the items the Go side classified (dropped,
  // given on the command line, handed over by a second launch or the OS).
  function openFiles(o: OpenFiles) {
    if (!o.items?.length) return
    view.value = 'files'
    useFilesStore().stage(o)
  }

  // restoreJobs shows the file jobs the backend still knows (the page was reloaded while
  // they ran or after they finished).
  async function restoreJobs() {
    await useFilesStore().restore((await filesApi.jobs()) ?? [])
  }

  // --- quitting --------------------------------------------------------------------------

  function quit(): Promise<void> {
    return appApi.quit()
  }

  // requestQuit quits at once when no file job runs, else calls ask with the number of
  // running jobs (closeGuard.ts): the dialog it shows quits only when the user confirms.
  function requestQuit(ask: (running: number) => void): Promise<CloseDecision> {
    const files = useFilesStore()
    const runningJobs = async () =>
      (await filesApi.jobs()).filter((j) => j.state === service.JobState.Running || j.state === service.JobState.Waiting).length
    return guardQuit({ runningJobs, localRunning: () => files.running, quit, ask })
  }

  // listen follows the app events of the Go side: files handed over (drops, second
  // launch) and a close request while jobs run; then it tells the Go side it listens,
  // which sends the files handed over before. It returns the unsubscribe function.
  function listen(handlers: { confirmClose: (running: JobProgress[]) => void }): () => void {
    const off = together(on(EV.openFiles, openFiles), on(EV.confirmClose, handlers.confirmClose))
    void appApi.listening()
    return off
  }

  return {
    view,
    settingsTab,
    openSettings,
    prefs,
    info,
    locale,
    theme,
    dark,
    osDark,
    load,
    save,
    apply,
    chooseOutputDir,
    uiReady,
    openFiles,
    restoreJobs,
    quit,
    requestQuit,
    listen,
  }
})
