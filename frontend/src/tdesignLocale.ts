import type { GlobalConfigProvider } from 'tdesign-vue-next'
import enConfig from 'tdesign-vue-next/es/locale/en_US'
import zhConfig from 'tdesign-vue-next/es/locale/zh_CN'
import type { Locale } from './i18n'

type Translate = (key: string, named?: Record<string, unknown>) => string

// tdesignConfig is TDesign's globalConfig for the app's language: TDesign's own locale
// (dates, dialogs, the table's sort hints) with the texts people meet in this app
// replaced by the app's own words (src/i18n `tdesign.*`), so no "please select", "please
// enter", "Empty Data" or "no items" in TDesign's wording ever shows: a select without a
// placeholder says "Select…", an input without one says nothing. TDesign fills
// `{count}`-style fields itself, so they pass through t() as literal text.
export function tdesignConfig(locale: Locale, t: Translate): GlobalConfigProvider {
  // TDesign's locale objects are readonly literals; the provider's type wants arrays.
  const base = (locale === 'zh-CN' ? zhConfig : enConfig) as unknown as GlobalConfigProvider
  return {
    ...base,
    select: { ...base.select, placeholder: t('tdesign.selectPlaceholder'), empty: t('tdesign.noOptions') },
    input: { ...base.input, placeholder: '' },
    table: { ...base.table, empty: t('tdesign.noData') },
    pagination: {
      ...base.pagination,
      total: t('tdesign.total', { count: '{count}' }),
      jumpTo: t('tdesign.jumpTo'),
      itemsPerPage: t('tdesign.itemsPerPage', { size: '{size}' }),
    },
  }
}
