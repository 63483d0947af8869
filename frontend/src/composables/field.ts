import type { Directive } from 'vue'

// vField (v-field on a TDesign t-input, t-textarea, t-input-number, t-select or
// t-tag-input) gives the field's id and aria-label to the control inside it. TDesign puts
// the attributes given to these components on their wrapper <div>, where a
// <label for="…"> or a t-form-item's `for` cannot reach the <input> and a screen reader
// does not read the aria-label: the field then has no name (WCAG 1.3.1, 4.1.2). The
// attributes move to the control when the field is drawn and each time Vue sets them
// again on the wrapper (a new language changes an aria-label).
export const vField: Directive<HTMLElement> = {
  mounted: moveToControl,
  updated: moveToControl,
}

const MOVED = ['id', 'aria-label'] as const

function moveToControl(el: HTMLElement) {
  if (el.matches('input, textarea')) return
  const control = el.querySelector<HTMLElement>('input:not([type="hidden"]), textarea')
  if (!control) return
  for (const name of MOVED) {
    const value = el.getAttribute(name)
    if (value === null) continue
    control.setAttribute(name, value)
    el.removeAttribute(name)
  }
}
