// TDesign's own words never show: with the app's globalConfig a select without a
// placeholder and an input without one say the app's words (or nothing) in English
// and in Chinese, never "please select" or "please enter".
import { describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { ConfigProvider, Input, Select, Table } from 'tdesign-vue-next'
import { flush, mountApp } from './mount'
import { i18n, type Locale } from '../src/i18n'
import { tdesignConfig } from '../src/tdesignLocale'

function page(locale: Locale) {
  i18n.global.locale.value = locale
  const config = tdesignConfig(locale, i18n.global.t)
  return defineComponent({
    render: () =>
      h(ConfigProvider, { globalConfig: config }, () => [
        h(Select, { options: [{ label: 'a', value: 'a' }] }),
        h(Input, {}),
        h(Table, { rowKey: 'id', data: [], columns: [{ colKey: 'id', title: 'Id' }] }),
      ]),
  })
}

describe('TDesign texts', () => {
  for (const [locale, select, empty] of [
    ['en', 'Select…', 'Nothing here yet'],
    ['zh-CN', '请选择', '暂无内容'],
  ] as const) {
    it(`are the app's in ${locale}`, async () => {
      const { w } = mountApp(page(locale))
      await flush()
      const placeholders = [...document.querySelectorAll('input')].map((i) => i.getAttribute('placeholder') ?? '')
      expect(placeholders).toEqual([select, ''])
      expect(w.text()).toContain(empty)
      expect(document.body.innerHTML).not.toMatch(/please (select|enter)|Empty Data/i)
      w.unmount()
      i18n.global.locale.value = 'en'
    })
  }
})
