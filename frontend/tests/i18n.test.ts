import { describe, expect, it } from 'vitest'
import en from '../src/i18n/locales/en.json'
import zhCN from '../src/i18n/locales/zh-CN.json'
import { osLocale, resolveLocale } from '../src/i18n'

// leaves lists every message path of a locale (error entries count as leaves per field).
function leaves(obj: unknown, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null) return [prefix]
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}/${k}` : k))
}

describe('locale files', () => {
  it('have exactly the same keys in English and Chinese', () => {
    const a = new Set(leaves(en))
    const b = new Set(leaves(zhCN))
    expect([...a].filter((k) => !b.has(k)), 'missing in zh-CN').toEqual([])
    expect([...b].filter((k) => !a.has(k)), 'missing in en').toEqual([])
  })

  it('have no empty messages', () => {
    for (const [name, loc] of [['en', en], ['zh-CN', zhCN]] as const) {
      const empty = leaves(loc).filter((p) => {
        const v = p.split('/').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], loc)
        return typeof v !== 'string' || v.trim() === ''
      })
      expect(empty, name).toEqual([])
    }
  })

  it('use every {placeholder} of English in Chinese too', () => {
    for (const path of leaves(en)) {
      const get = (loc: unknown) => path.split('/').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], loc) as string
      const ph = (s: string) => [...new Set(s.match(/\{\w+\}/g) ?? [])].sort() // plural forms repeat them
      expect(ph(get(zhCN)), path).toEqual(ph(get(en)))
    }
  })

  it('gives every error a title and a hint in both languages', () => {
    for (const loc of [en, zhCN]) {
      for (const [code, e] of Object.entries(loc.errors)) {
        expect(e.title, code).toBeTruthy()
        expect(e.hint, code).toBeTruthy()
      }
    }
  })
})

describe('language choice', () => {
  it('follows the OS for auto', () => {
    expect(osLocale(['zh-TW', 'en-US'])).toBe('zh-CN')
    expect(osLocale(['en-GB'])).toBe('en')
    expect(osLocale(['fr-FR'])).toBe('en')
    expect(resolveLocale('auto', ['zh-CN'])).toBe('zh-CN')
    expect(resolveLocale('en', ['zh-CN'])).toBe('en')
    expect(resolveLocale('zh-CN', ['en-US'])).toBe('zh-CN')
  })
})
