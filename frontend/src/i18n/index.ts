import { createI18n } from 'vue-i18n'
import en from './locales/en.json'
import zhCN from './locales/zh-CN.json'

export type Locale = 'en' | 'zh-CN'
export const locales: Locale[] = ['en', 'zh-CN']
export const messages = { en, 'zh-CN': zhCN }

// osLocale picks the UI language for "auto" from the OS/browser languages.
export function osLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  for (const l of languages) {
    if (l.toLowerCase().startsWith('zh')) return 'zh-CN'
    if (l.toLowerCase().startsWith('en')) return 'en'
  }
  return 'en'
}

// resolveLocale turns the "language" preference into a locale.
export function resolveLocale(pref: string, languages?: readonly string[]): Locale {
  if (pref === 'en' || pref === 'zh-CN') return pref
  return osLocale(languages)
}

const short = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false } as const

export const i18n = createI18n({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  messages,
  datetimeFormats: { en: { short }, 'zh-CN': { short } },
  missingWarn: false,
  fallbackWarn: false,
})
