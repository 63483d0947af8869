import type { Directive } from 'vue'

// vRadioArrows (v-radio-arrows on a t-radio-group) lets the arrow keys move the choice,
// as in a native radio group: TDesign makes each option a Tab stop that Enter or Space
// checks, and ignores the arrows. Down/Right choose and focus the next option, Up/Left
// the previous one, wrapping around; disabled options are passed over.
export const vRadioArrows: Directive<HTMLElement> = {
  mounted(el) {
    el.addEventListener('keydown', onKey)
  },
  unmounted(el) {
    el.removeEventListener('keydown', onKey)
  },
}

const steps: Record<string, number> = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }

function onKey(e: KeyboardEvent) {
  const step = steps[e.key]
  if (!step || e.altKey || e.ctrlKey || e.metaKey) return
  const group = e.currentTarget as HTMLElement
  const options = [...group.querySelectorAll<HTMLElement>('label.t-radio, label.t-radio-button')].filter((o) => !o.classList.contains('t-is-disabled'))
  const at = options.findIndex((o) => o === document.activeElement || o.contains(document.activeElement))
  const next = options[(at + step + options.length) % options.length]
  if (at < 0 || !next) return
  e.preventDefault()
  next.click()
  next.focus()
}
