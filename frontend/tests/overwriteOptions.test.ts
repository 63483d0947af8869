// The "when the output exists" choices come from one place: the values of the contract's
// generated service.Overwrite enum (the GUI's default, keep both, first), the labels from
// the locale files; Files and Settings both offer exactly these.
import { describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { mountApp } from './mount'
import { i18n } from '../src/i18n'
import { service } from '../src/api/contract'
import { useOverwriteOptions } from '../src/composables/useOverwriteOptions'
import en from '../src/i18n/locales/en.json'
import zhCN from '../src/i18n/locales/zh-CN.json'

function options() {
  let got: ReturnType<typeof useOverwriteOptions> | undefined
  const { w } = mountApp(
    defineComponent({
      setup() {
        got = useOverwriteOptions()
        return () => h('div')
      },
    }),
  )
  return { opts: got!, w }
}

describe('overwrite options', () => {
  it('offer every value of the contract, keep both first', () => {
    const { opts, w } = options()
    const values = opts.value.map((o) => o.value)
    expect(values[0]).toBe(service.Overwrite.Rename)
    expect([...values].sort()).toEqual(Object.values(service.Overwrite).sort())
    w.unmount()
  })

  it('are labelled from the locale files, following the language', async () => {
    const { opts, w } = options()
    expect(opts.value.map((o) => o.label)).toEqual(opts.value.map((o) => en.files.overwrite[o.value]))
    i18n.global.locale.value = 'zh-CN'
    expect(opts.value.map((o) => o.label)).toEqual(opts.value.map((o) => zhCN.files.overwrite[o.value]))
    i18n.global.locale.value = 'en'
    w.unmount()
  })
})
