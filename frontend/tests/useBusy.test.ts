// useBusy and attempt: actions whose failure shows as a notification (with the
// translated title and the stable code), never as an unhandled rejection.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { BackendError } from '../src/api/errors'

const tdesign = vi.hoisted(() => ({ error: vi.fn(), success: vi.fn() }))
vi.mock('tdesign-vue-next', async (orig) => ({
  ...(await orig<typeof import('tdesign-vue-next')>()),
  NotifyPlugin: { error: tdesign.error },
  MessagePlugin: { success: tdesign.success },
}))

const { attempt } = await import('../src/notify')
const { useBusy } = await import('../src/composables/useBusy')

beforeEach(() => vi.clearAllMocks())

describe('attempt', () => {
  it('answers the result of a successful action and notifies nothing', async () => {
    expect(await attempt(() => Promise.resolve(42))).toBe(42)
    expect(tdesign.error).not.toHaveBeenCalled()
  })

  it('notifies a failure with its translated title and code, and answers undefined', async () => {
    expect(await attempt(() => Promise.reject({ code: 'ResourceUnavailable.CmkDisabled', message: 'raw go text' }))).toBeUndefined()
    expect(tdesign.error).toHaveBeenCalledOnce()
    const shown = tdesign.error.mock.calls[0]?.[0] as { title: string; content: string }
    expect(shown.title).toBe('The key is disabled')
    expect(shown.content).toContain('(ResourceUnavailable.CmkDisabled)')
    expect(JSON.stringify(shown)).not.toContain('raw go text')
  })
})

describe('useBusy', () => {
  it('is busy while the action runs and runs one action at a time', async () => {
    const { busy, run } = useBusy()
    let finish: () => void = () => undefined
    const action = vi.fn(() => new Promise<void>((r) => (finish = r)))
    const first = run(action)
    expect(busy.value).toBe(true)
    expect(await run(action)).toBeUndefined()
    expect(action).toHaveBeenCalledOnce()
    finish()
    await first
    expect(busy.value).toBe(false)
  })

  it('is free again after a failure, which is notified', async () => {
    const { busy, run } = useBusy()
    await run(() => Promise.reject(new BackendError('Job.NotFound', '')))
    expect(busy.value).toBe(false)
    expect(tdesign.error).toHaveBeenCalledOnce()
    expect(await run(() => Promise.resolve('again'))).toBe('again')
  })
})
