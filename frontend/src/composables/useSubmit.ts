import { ref, watch, type Ref } from 'vue'
import { toBackendError, type BackendError } from '../api/errors'

export interface SubmitOptions<T> {
  // run sends the form (through a store) and answers with the result.
  run: () => Promise<T>
  // valid tells whether the form may be sent. It is asked after `touched` is set, so the
  // fields can show what is wrong.
  valid?: () => boolean
  // done gets the result of a successful run, before the dialog closes (a notification,
  // an event for the parent, forgetting typed secrets).
  done?: (result: T) => void
  // visible is the v-model of the dialog the form is in. Opening it clears the last
  // error and `touched` and calls reset; a successful run closes it (see close); closing
  // it calls closed.
  visible?: Ref<boolean>
  // reset puts the form in its opening state. It may be async (e.g. load a list); a
  // failure is shown like a failed submit.
  reset?: () => void | Promise<void>
  // closed runs whenever the dialog closes, by success, Cancel or Escape.
  closed?: () => void
  // close decides whether a success closes the dialog (default: it does).
  close?: (result: T) => boolean
}

export interface Submit {
  // busy: a run is under way (the submit button shows it; a second submit is ignored).
  busy: Ref<boolean>
  // error: why the last run failed, with its stable code, for ErrorAlert.
  error: Ref<BackendError | null>
  // touched: the user tried to submit; fields show their validation from then on.
  touched: Ref<boolean>
  submit: () => Promise<void>
}

// useSubmit is the submit logic of a form (most often in a dialog): validation, a busy
// flag, the failure kept as a BackendError to show in the form, and closing the dialog on
// success. Focus stays with the templates (autofocus on the first field).
export function useSubmit<T>(opts: SubmitOptions<T>): Submit {
  const busy = ref(false)
  const error = ref<BackendError | null>(null)
  const touched = ref(false)

  function fail(e: unknown) {
    error.value = toBackendError(e)
  }

  const visible = opts.visible
  if (visible) {
    watch(visible, (open) => {
      if (!open) {
        opts.closed?.()
        return
      }
      error.value = null
      touched.value = false
      try {
        void Promise.resolve(opts.reset?.()).catch(fail)
      } catch (e) {
        fail(e)
      }
    })
  }

  async function submit() {
    if (busy.value) return
    touched.value = true
    if (opts.valid && !opts.valid()) return
    busy.value = true
    error.value = null
    try {
      const result = await opts.run()
      opts.done?.(result)
      if (visible && (opts.close?.(result) ?? true)) visible.value = false
    } catch (e) {
      fail(e)
    } finally {
      busy.value = false
    }
  }

  return { busy, error, touched, submit }
}
