import { describe, expect, it, vi } from 'vitest'
import { decideClose, requestQuit } from '../src/closeGuard'

describe('decideClose', () => {
  it('quits when nothing runs', () => {
    expect(decideClose(0, 0)).toEqual({ kind: 'quit' })
  })
  it('asks when the backend or the UI knows of running jobs', () => {
    expect(decideClose(2, 0)).toEqual({ kind: 'ask', running: 2 })
    expect(decideClose(0, 1)).toEqual({ kind: 'ask', running: 1 })
    expect(decideClose(null, 3)).toEqual({ kind: 'ask', running: 3 })
  })
})

describe('requestQuit', () => {
  function deps(running: number | Error, local = 0) {
    return {
      runningJobs: vi.fn(() => (running instanceof Error ? Promise.reject(running) : Promise.resolve(running))),
      localRunning: () => local,
      quit: vi.fn(() => Promise.resolve()),
      ask: vi.fn(),
    }
  }
  it('quits at once without running jobs', async () => {
    const d = deps(0)
    await requestQuit(d)
    expect(d.quit).toHaveBeenCalledOnce()
    expect(d.ask).not.toHaveBeenCalled()
  })
  it('asks instead of quitting while jobs run', async () => {
    const d = deps(2)
    await requestQuit(d)
    expect(d.quit).not.toHaveBeenCalled()
    expect(d.ask).toHaveBeenCalledWith(2)
  })
  it('falls back to the UI’s own count when the backend cannot be asked', async () => {
    const d = deps(new Error('not bound'), 1)
    await requestQuit(d)
    expect(d.quit).not.toHaveBeenCalled()
    expect(d.ask).toHaveBeenCalledWith(1)
  })
})
