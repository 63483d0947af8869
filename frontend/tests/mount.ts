// Mounting helper for component tests: the app's own plugins (the TDesign components it
// registers, Pinia, vue-i18n), and a warning handler that fails the test on an
// unresolved component.
import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import { i18n } from '../src/i18n'
import { components } from '../src/ui'

export function mountApp<C extends Component>(c: C, opts: ComponentMountingOptions<C> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const warnings: string[] = []
  const w = mount(c, {
    attachTo: document.body,
    ...opts,
    global: {
      plugins: [pinia, i18n, ...components],
      config: {
        warnHandler: (msg: string) => {
          warnings.push(msg)
        },
      },
      ...(opts.global ?? {}),
    },
  } as ComponentMountingOptions<C>)
  return { w, warnings }
}

export async function flush(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}
