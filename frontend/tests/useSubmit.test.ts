// useSubmit: the submit logic every dialog form shares (busy flag, coded error, validation,
// reset on open, close on success).
import { describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import { BackendError } from '../src/api/errors'
import { useSubmit, type SubmitOptions } from '../src/composables/useSubmit'

// setup runs useSubmit as a component would (its watcher lives in an effect scope).
function setup<T>(opts: SubmitOptions<T>) {
  const scope = effectScope()
  const s = scope.run(() => useSubmit(opts))
  if (!s) throw new Error('no submit')
  return s
}

// deferred gives a promise the test settles when it wants.
function deferred<T>() {
  let resolve: (v: T) => void = () => undefined
  let reject: (e: unknown) => void = () => undefined
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('useSubmit', () => {
  it('is busy while the call runs, hands the result to done and closes the dialog', async () => {
    const visible = ref(true)
    const call = deferred<{ name: string }>()
    const done = vi.fn()
    const s = setup({ visible, run: () => call.promise, done })
    const p = s.submit()
    expect(s.busy.value).toBe(true)
    expect(visible.value).toBe(true)
    call.resolve({ name: 'work' })
    await p
    expect(s.busy.value).toBe(false)
    expect(done).toHaveBeenCalledWith({ name: 'work' })
    expect(visible.value).toBe(false)
    expect(s.error.value).toBeNull()
  })

  it('keeps a failure as a BackendError with its code, and the dialog open', async () => {
    const visible = ref(true)
    const done = vi.fn()
    const s = setup({ visible, run: () => Promise.reject({ code: 'Key.ConfirmationMismatch', message: 'raw' }), done })
    await s.submit()
    expect(s.error.value).toBeInstanceOf(BackendError)
    expect(s.error.value?.code).toBe('Key.ConfirmationMismatch')
    expect(s.busy.value).toBe(false)
    expect(visible.value).toBe(true)
    expect(done).not.toHaveBeenCalled()
  })

  it('sends nothing while the form is invalid, but marks it touched', async () => {
    const run = vi.fn(() => Promise.resolve(1))
    const ok = ref(false)
    const s = setup({ run, valid: () => ok.value })
    expect(s.touched.value).toBe(false)
    await s.submit()
    expect(run).not.toHaveBeenCalled()
    expect(s.touched.value).toBe(true)
    expect(s.busy.value).toBe(false)
    ok.value = true
    await s.submit()
    expect(run).toHaveBeenCalledOnce()
  })

  it('ignores a second submit while the first runs (Enter and a click)', async () => {
    const call = deferred<number>()
    const run = vi.fn(() => call.promise)
    const s = setup({ run })
    const first = s.submit()
    await s.submit()
    call.resolve(1)
    await first
    expect(run).toHaveBeenCalledOnce()
  })

  it('clears the last error when the form is sent again', async () => {
    const visible = ref(true)
    const run = vi.fn<() => Promise<number>>().mockRejectedValueOnce(new BackendError('A.B', '')).mockImplementation(() => new Promise(() => undefined))
    const s = setup({ visible, run })
    await s.submit()
    expect(s.error.value?.code).toBe('A.B')
    void s.submit()
    expect(s.error.value).toBeNull()
    expect(s.busy.value).toBe(true)
  })

  it('resets the form when the dialog opens and calls closed when it closes', async () => {
    const visible = ref(false)
    const reset = vi.fn()
    const closed = vi.fn()
    const s = setup({ visible, reset, closed, valid: () => false, run: () => Promise.resolve(0) })
    await s.submit()
    s.error.value = new BackendError('A.B', '')
    expect(s.touched.value).toBe(true)
    visible.value = true
    await nextTick()
    expect(reset).toHaveBeenCalledOnce()
    expect(s.touched.value).toBe(false)
    expect(s.error.value).toBeNull()
    expect(closed).not.toHaveBeenCalled()
    visible.value = false
    await nextTick()
    expect(closed).toHaveBeenCalledOnce()
    expect(reset).toHaveBeenCalledOnce()
  })

  it('shows a failed async reset like a failed submit', async () => {
    const visible = ref(false)
    const s = setup({ visible, reset: () => Promise.reject({ code: 'Credentials.TCCLINotFound', message: '' }), run: () => Promise.resolve(0) })
    visible.value = true
    await nextTick()
    await vi.waitFor(() => expect(s.error.value?.code).toBe('Credentials.TCCLINotFound'))
  })

  it('stays open when close says so (a next step in the same dialog)', async () => {
    const visible = ref(true)
    const s = setup({ visible, run: () => Promise.resolve('tccli'), close: (r) => r !== 'tccli' })
    await s.submit()
    expect(visible.value).toBe(true)
  })

  it('a failing done is shown as the error too, and the dialog stays open', async () => {
    const visible = ref(true)
    const s = setup({
      visible,
      run: () => Promise.resolve(1),
      done: () => {
        throw new Error('boom')
      },
    })
    await s.submit()
    expect(s.error.value?.code).toBe('App.UnknownError')
    expect(visible.value).toBe(true)
  })
})
