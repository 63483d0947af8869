// The component-test helper really fails a test on a Vue warning.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { defineComponent, h, resolveComponent } from 'vue'
import { assertNoWarnings, mountApp, takeWarnings } from './mount'

// A component that, with `warn`, makes Vue warn when it renders: it asks for a
// component nobody registered.
const Probe = defineComponent({
  name: 'Probe',
  props: { warn: { type: Boolean, default: false } },
  setup: (props) => () => (props.warn ? h(resolveComponent('not-registered-anywhere') as string) : h('p', 'quiet')),
})
const warns = { props: { warn: true } }

describe('mountApp warning check', () => {
  let bodyDone = false

  // The body itself succeeds (it only checks that the warning was seen); the test fails
  // in the afterEach hook of ./mount, which `it.fails` turns into a pass. The next test
  // makes sure the body really ran to its end, so the failure came from the hook.
  it.fails('fails a test that lets Vue warn', () => {
    const { w, warnings } = mountApp(Probe, warns)
    expect(warnings.some((m) => m.includes('Failed to resolve component: not-registered-anywhere'))).toBe(true)
    w.unmount()
    bodyDone = true
  })

  it('ran the body of the failing test to its end, and starts clean', () => {
    expect(bodyDone).toBe(true)
    expect(takeWarnings()).toEqual([])
  })

  it('names the warning in the failure', () => {
    const { w } = mountApp(Probe, warns)
    w.unmount()
    expect(() => assertNoWarnings()).toThrow(/Vue warned 1 time\(s\)[\s\S]*Failed to resolve component: not-registered-anywhere/)
    // assertNoWarnings forgot them: this test passes its own afterEach check.
    expect(takeWarnings()).toEqual([])
  })

  it('catches warnings of Vue apps mounted without the helper (console.warn)', () => {
    mount(Probe, warns).unmount()
    expect(() => assertNoWarnings()).toThrow(/not-registered-anywhere/)
  })

  it('passes a test without warnings', () => {
    const { w, warnings } = mountApp(Probe)
    expect(w.text()).toBe('quiet')
    expect(warnings).toEqual([])
    w.unmount()
  })
})
