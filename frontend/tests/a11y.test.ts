// Accessibility of TDesign fields the app fixes from outside: v-field gives a field's id
// and aria-label to its <input> (TDesign leaves them on a wrapper <div>, where no label
// reaches the input), and the rotation switch is a switch to screen readers and the
// keyboard. The browser suite runs axe-core over every screen (frontend/e2e/a11y.test.mjs).
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref, withDirectives } from 'vue'
import { Input, InputNumber, Select, Textarea } from 'tdesign-vue-next'
import { vField } from '../src/composables/field'
import { flush, mountApp } from './mount'

vi.mock('../src/api/backend', async (orig) => ({
  ...(await orig<typeof import('../src/api/backend')>()),
  keysApi: { setRotation: vi.fn(() => Promise.resolve()) },
}))
const { default: RotationPanel } = await import('../src/components/RotationPanel.vue')

describe('v-field', () => {
  it.each([
    ['t-input', Input, 'input'],
    ['t-textarea', Textarea, 'textarea'],
    ['t-input-number', InputNumber, 'input'],
    ['t-select', Select, 'input'],
  ] as const)('%s: the id and the aria-label are the control’s, and follow a new value', async (_, field, control) => {
    const label = ref('Alias')
    const Host = defineComponent({
      setup: () => () => [
        h('label', { for: 'f-id' }, 'Visible label'),
        withDirectives(h(field as never, { id: 'f-id', 'aria-label': label.value, 'data-testid': 'f' }), [[vField]]),
      ],
    })
    const { w } = mountApp(Host)
    await flush()
    const wrapper = document.querySelector('[data-testid="f"]')!
    const el = wrapper.querySelector(control)!
    expect(el.id).toBe('f-id')
    expect(el.getAttribute('aria-label')).toBe('Alias')
    expect(wrapper.hasAttribute('id')).toBe(false)
    expect(wrapper.hasAttribute('aria-label')).toBe(false)
    expect(document.querySelectorAll('#f-id').length).toBe(1)
    expect((document.querySelector('label[for="f-id"]') as HTMLLabelElement).control).toBe(el)
    label.value = '别名'
    await flush()
    expect(el.getAttribute('aria-label')).toBe('别名')
    expect(wrapper.hasAttribute('aria-label')).toBe(false)
    w.unmount()
  })
})

describe('rotation switch', () => {
  it('is a named switch with its state, that Space and Enter turn', async () => {
    const target = { keyId: 'k', alias: 'a', keyState: 'Enabled', rotationEnabled: false, rotateDays: 0, lastRotateTime: 0, nextRotateTime: 0 }
    const { w } = mountApp(RotationPanel, { props: { target } as never })
    await flush()
    const sw = document.querySelector<HTMLElement>('[data-testid="drawer-rotation-switch"]')!
    expect(sw.getAttribute('role')).toBe('switch')
    expect(sw.getAttribute('tabindex')).toBe('0')
    expect(sw.getAttribute('aria-label')).toBe('Automatic rotation')
    expect(sw.getAttribute('aria-checked')).toBe('false')
    sw.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }))
    await flush()
    expect(sw.getAttribute('aria-checked')).toBe('true')
    expect(document.querySelector('[data-testid="drawer-rotation-days"] input')?.getAttribute('aria-label')).toBe('Rotation period in days')
    sw.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await flush()
    expect(sw.getAttribute('aria-checked')).toBe('false')
    w.unmount()
  })
})
