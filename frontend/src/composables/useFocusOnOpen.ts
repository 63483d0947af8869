import { nextTick, watch, type Ref } from 'vue'

// useFocusOnOpen puts the keyboard focus into a dialog's first field when the dialog
// opens (TDesign's dialog leaves it on the button that opened it, behind the dialog).
// field is the template ref of that field (a TDesign input, or any element).
export function useFocusOnOpen(visible: Ref<boolean>, field: Ref<{ focus: () => void } | null>) {
  watch(visible, async (v) => {
    if (!v) return
    await nextTick()
    field.value?.focus()
  })
}
