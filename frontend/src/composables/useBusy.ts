import { ref } from 'vue'
import { attempt } from '../notify'

// useBusy runs a component's actions one at a time behind a busy flag (the button shows
// it; a click while busy does nothing). A failure shows as a notification (notify.ts
// attempt); for a form that shows its error inline, use useSubmit.
export function useBusy() {
  const busy = ref(false)

  async function run<T>(action: () => Promise<T>): Promise<T | undefined> {
    if (busy.value) return undefined
    busy.value = true
    try {
      return await attempt(action)
    } finally {
      busy.value = false
    }
  }

  return { busy, run }
}
