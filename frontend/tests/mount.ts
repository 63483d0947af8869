// Mounting helper for component tests: the app's own plugins (the TDesign components it
// registers, Pinia, vue-i18n), and a warning check: every Vue warning raised while a test
// runs fails that test (an afterEach hook, registered for each test file that imports
// this module).
import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach } from 'vitest'
import type { Component } from 'vue'
import { i18n } from '../src/i18n'
import { components } from '../src/ui'

// Warnings of the current test, in the order they came. Apps this helper mounts report
// through their warnHandler; Vue apps created elsewhere (TDesign's message and notify
// plugins mount their own) print "[Vue warn]" through console.warn, which is watched too.
const collected: string[] = []

const consoleWarn = console.warn.bind(console)
console.warn = (...args: unknown[]) => {
  const first = args[0]
  if (typeof first === 'string' && first.startsWith('[Vue warn]')) collected.push(first.slice('[Vue warn]'.length).replace(/^:\s*/, ''))
  consoleWarn(...args)
}

// takeWarnings returns the warnings collected so far and forgets them.
export function takeWarnings(): string[] {
  return collected.splice(0)
}

// assertNoWarnings throws when a Vue warning was collected (and forgets them, so one bad
// test does not fail the next). It runs after every test.
export function assertNoWarnings() {
  const w = takeWarnings()
  if (w.length > 0) throw new Error(`Vue warned ${w.length} time(s) during the test:\n- ${w.join('\n- ')}`)
}

afterEach(assertNoWarnings)

export function mountApp<C extends Component>(c: C, opts: ComponentMountingOptions<C> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  // The warnings of this mount, for tests that look at them; they count in the afterEach
  // check all the same.
  const warnings: string[] = []
  const extra = opts.global ?? {}
  const w = mount(c, {
    attachTo: document.body,
    ...opts,
    global: {
      ...extra,
      plugins: [pinia, i18n, ...components, ...(extra.plugins ?? [])],
      config: {
        ...(extra.config ?? {}),
        warnHandler: (msg: string) => {
          warnings.push(msg)
          collected.push(msg)
        },
      },
    },
  } as ComponentMountingOptions<C>)
  return { w, warnings }
}

export async function flush(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}

// openDialog mounts a dialog closed and then opens it, as its parent does, so what the
// dialog does on opening (resetting its form) runs.
export async function openDialog<C extends Component>(c: C, props: Record<string, unknown>) {
  const m = mountApp(c, { props: { ...props, visible: false } } as ComponentMountingOptions<C>)
  await m.w.setProps({ visible: true } as never)
  await flush()
  return m
}

// q finds an element anywhere in the document (dialogs and drawers are teleported to
// <body>), or fails the test.
export function q<T extends Element = HTMLElement>(sel: string): T {
  const el = document.querySelector<T>(sel)
  if (!el) throw new Error(`no ${sel}`)
  return el
}

// type puts text into an input as typing does, then lets the UI react.
export async function type(sel: string, text: string) {
  const input = q<HTMLInputElement>(sel)
  input.value = text
  input.dispatchEvent(new Event('input', { bubbles: true }))
  await flush()
}

// click clicks an element, then lets the UI react.
export async function click(sel: string) {
  q(sel).click()
  await flush()
}

