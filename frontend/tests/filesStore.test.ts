import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { ProgressEvent } from '../src/api/events'
import { parseDone, parseFile, parseProgress, parsePaths } from '../src/api/events'

const api = vi.hoisted(() => ({
  classify: vi.fn(),
  encrypt: vi.fn(),
  decrypt: vi.fn(),
  verify: vi.fn(),
  cancel: vi.fn(),
  cancelAll: vi.fn(),
  resolveConflict: vi.fn(),
}))

vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), filesApi: api }))

const { useFilesStore, takeConflict } = await import('../src/stores/files')

const MB = 1024 * 1024

function progress(p: Partial<ProgressEvent> & { id: string }): ProgressEvent {
  return { kind: 'encrypt', state: 'running', filesDone: 0, filesTotal: 3, bytesDone: 0, bytesTotal: 100 * MB, bytesPerSec: 0, etaSeconds: -1, current: null, ...p }
}

function item(path: string, action: 'encrypt' | 'decrypt', extra: Record<string, unknown> = {}) {
  const name = path.split('/').pop() ?? path
  return { path, name, isDir: false, size: 10, files: 1, action, kind: action === 'encrypt' ? 'file' : 'envelope', errorCode: '', ...extra }
}

beforeEach(() => {
  setActivePinia(createPinia())
  for (const f of Object.values(api)) f.mockReset()
})

describe('staging', () => {
  it('classifies dropped paths once each', async () => {
    api.classify.mockImplementation(async (paths: string[]) => paths.map((p) => item(p, p.endsWith('.kmsenc') ? 'decrypt' : 'encrypt')))
    const s = useFilesStore()
    await s.add(['/a/x.txt', '/a/y.kmsenc'])
    await s.add(['/a/x.txt', '/a/z.txt'])
    expect(api.classify).toHaveBeenLastCalledWith(['/a/z.txt'])
    expect(s.items.map((i) => i.path)).toEqual(['/a/x.txt', '/a/y.kmsenc', '/a/z.txt'])
    expect(s.toEncrypt.map((i) => i.name)).toEqual(['x.txt', 'z.txt'])
    expect(s.toDecrypt.map((i) => i.name)).toEqual(['y.kmsenc'])
  })

  it('keeps a classification error and reports it', async () => {
    api.classify.mockRejectedValue({ code: 'App.NotAvailable', message: 'x' })
    const s = useFilesStore()
    await expect(s.add(['/a'])).rejects.toMatchObject({ code: 'App.NotAvailable' })
    expect(s.lastError?.code).toBe('App.NotAvailable')
    expect(s.classifying).toBe(false)
  })

  it('starts one encryption and one decryption job with the chosen options', async () => {
    api.classify.mockResolvedValue([item('/in/a.txt', 'encrypt'), item('/in/dir', 'encrypt', { isDir: true, kind: 'folder', files: 4 }), item('/in/b.kmsenc', 'decrypt'), item('/in/bad', 'encrypt', { errorCode: 'File.NotRegular' })])
    api.encrypt.mockResolvedValue({ id: 'j1', kind: 'encrypt', files: 5, bytes: 500 })
    api.decrypt.mockResolvedValue({ id: 'j2', kind: 'decrypt', files: 1, bytes: 100 })
    const s = useFilesStore()
    await s.add(['/in/a.txt', '/in/dir', '/in/b.kmsenc', '/in/bad'])
    s.keyId = 'k-1'
    s.backupKeyIds = ['k-1', 'k-2']
    s.context = [{ key: 'dept', value: 'hr' }, { key: ' ', value: '' }]
    s.outputMode = 'folder'
    s.outputDir = '/out'
    s.overwrite = 'ask'
    s.removeOriginals = true
    await s.start()
    expect(api.encrypt).toHaveBeenCalledWith({
      paths: ['/in/a.txt', '/in/dir'],
      keyId: 'k-1',
      backupKeyIds: ['k-2'],
      context: [{ key: 'dept', value: 'hr' }],
      outputDir: '/out',
      overwrite: 'ask',
      removeOriginals: true,
      direct: false,
    })
    expect(api.decrypt).toHaveBeenCalledWith({ paths: ['/in/b.kmsenc'], outputDir: '/out', overwrite: 'ask', requireContext: [] })
    // The unusable item stays; the started ones left the list.
    expect(s.items.map((i) => i.path)).toEqual(['/in/bad'])
    expect(s.jobs.map((j) => [j.id, j.kind, j.filesTotal, j.bytesTotal, j.state])).toEqual([
      ['j2', 'decrypt', 1, 100, 'running'],
      ['j1', 'encrypt', 5, 500, 'running'],
    ])
    expect(s.running).toBe(2)
  })

  it('writes next to the originals when asked to, whatever folder was typed', async () => {
    api.classify.mockResolvedValue([item('/in/a.txt', 'encrypt')])
    api.encrypt.mockResolvedValue({ id: 'j1', kind: 'encrypt', files: 1, bytes: 1 })
    const s = useFilesStore()
    await s.add(['/in/a.txt'])
    s.keyId = 'k'
    s.outputDir = '/somewhere'
    s.outputMode = 'beside'
    await s.start()
    expect(api.encrypt.mock.calls[0]?.[0].outputDir).toBe('')
  })

  it('keeps the items when starting fails', async () => {
    api.classify.mockResolvedValue([item('/in/a.txt', 'encrypt')])
    api.encrypt.mockRejectedValue({ code: 'ResourceUnavailable.CmkDisabled', message: '' })
    const s = useFilesStore()
    await s.add(['/in/a.txt'])
    s.keyId = 'k'
    await expect(s.start()).rejects.toMatchObject({ code: 'ResourceUnavailable.CmkDisabled' })
    expect(s.items).toHaveLength(1)
    expect(s.jobs).toHaveLength(0)
  })
})

describe('job events → state', () => {
  it('follows progress: percent, current file, smoothed rate and ETA', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j', bytesDone: 0 }), 0)
    s.onProgress(progress({ id: 'j', bytesDone: 10 * MB, filesDone: 1, current: { path: '/in/big.iso', bytesDone: 5 * MB, bytesTotal: 50 * MB } }), 1000)
    const j = s.job('j')!
    expect(j.reading.percent).toBe(10)
    expect(j.reading.bytesPerSec).toBeCloseTo(10 * MB)
    expect(j.reading.eta).toBe(9)
    expect(j.filesDone).toBe(1)
    expect(j.current).toEqual({ path: '/in/big.iso', bytesDone: 5 * MB, bytesTotal: 50 * MB })
    s.onProgress(progress({ id: 'j', bytesDone: 30 * MB }), 2000)
    expect(s.job('j')!.reading.bytesPerSec).toBeCloseTo(0.25 * 20 * MB + 0.75 * 10 * MB)
  })

  it('creates a job for events that arrive before the start call returned', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'early', kind: 'decrypt', bytesDone: 5, bytesTotal: 10 }), 0)
    expect(s.job('early')?.kind).toBe('decrypt')
    expect(s.running).toBe(1)
  })

  it('collects per-file results', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j' }), 0)
    s.onFile({ id: 'j', path: '/in/a', output: '/out/a.kmsenc', status: 'done', errorCode: '', message: '' })
    s.onFile({ id: 'j', path: '/in/b', output: '', status: 'failed', errorCode: 'File.IOError', message: 'read' })
    expect(s.job('j')!.results.map((r) => r.status)).toEqual(['done', 'failed'])
  })

  it('reaches 100 % when the job is done, and ignores late ticks', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j', bytesDone: 90 * MB, filesDone: 2 }), 0)
    s.onDone({ id: 'j', kind: 'encrypt', state: 'done', done: 3, failed: 0, skipped: 0, cancelled: 0, bytes: 100 * MB, seconds: 2 })
    const j = s.job('j')!
    expect(j.state).toBe('done')
    expect(j.reading.percent).toBe(100)
    expect(j.reading.bytesPerSec).toBe(50 * MB)
    expect(j.bytesDone).toBe(100 * MB)
    expect(j.filesDone).toBe(3)
    s.onProgress(progress({ id: 'j', bytesDone: 95 * MB }), 100)
    expect(s.job('j')!.reading.percent).toBe(100)
    expect(s.running).toBe(0)
  })

  it('counts a job that finished with failed files as complete', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j', bytesDone: 50 * MB, state: 'waiting' }), 0)
    expect(s.job('j')!.waiting).toBe(true)
    s.onDone({ id: 'j', kind: 'decrypt', state: 'failed', done: 2, failed: 1, skipped: 0, cancelled: 0, bytes: 60 * MB, seconds: 1 })
    expect(s.job('j')!.state).toBe('failed')
    expect(s.job('j')!.waiting).toBe(false)
    expect(s.job('j')!.reading.percent).toBe(100)
  })

  it('keeps the reached percentage of a cancelled job', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j', bytesDone: 40 * MB }), 0)
    s.onDone({ id: 'j', kind: 'encrypt', state: 'cancelled', done: 0, failed: 0, skipped: 0, cancelled: 3, bytes: 0, seconds: 1 })
    expect(s.job('j')!.state).toBe('cancelled')
    expect(s.job('j')!.reading.percent).toBe(40)
    expect(s.job('j')!.reading.eta).toBe(-1)
  })

  it('queues conflicts and drops those of a finished job', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'a' }), 0)
    s.onProgress(progress({ id: 'b' }), 0)
    s.onConflict({ id: 'a', path: '/in/x', output: '/out/x.kmsenc' })
    s.onConflict({ id: 'b', path: '/in/y', output: '/out/y.kmsenc' })
    expect(s.conflicts).toHaveLength(2)
    s.onDone({ id: 'a', kind: 'encrypt', state: 'cancelled', done: 0, failed: 0, skipped: 0, cancelled: 1, bytes: 0, seconds: 0 })
    expect(s.conflicts.map((c) => c.id)).toEqual(['b'])
    s.onConflict({ id: 'a', path: '/in/z', output: '/out/z' })
    expect(s.conflicts.map((c) => c.id)).toEqual(['b'])
  })

  it('answers the first conflict through ResolveConflict', async () => {
    const s = useFilesStore()
    s.onConflict({ id: 'a', path: '/in/x', output: '/out/x' })
    s.onConflict({ id: 'a', path: '/in/y', output: '/out/y' })
    s.onConflict({ id: 'b', path: '/in/z', output: '/out/z' })
    await s.resolveConflict('rename', false)
    expect(api.resolveConflict).toHaveBeenLastCalledWith('a', 'rename', false)
    expect(s.conflicts.map((c) => c.path)).toEqual(['/in/y', '/in/z'])
    await s.resolveConflict('overwrite', true)
    expect(api.resolveConflict).toHaveBeenLastCalledWith('a', 'overwrite', true)
    expect(s.conflicts.map((c) => c.path)).toEqual(['/in/z'])
  })
})

describe('restore after a reload', () => {
  it('shows the backend’s running and finished jobs, newest first', () => {
    const s = useFilesStore()
    const base = { filesDone: 1, filesTotal: 2, bytesDone: 50, bytesTotal: 100, done: 1, failed: 0, skipped: 0, cancelled: 0, started: 0, seconds: 3 }
    s.restore([
      { ...base, id: 'old', kind: 'decrypt', state: 'done', filesDone: 2, bytesDone: 100, done: 2 },
      { ...base, id: 'gone', kind: 'encrypt', state: 'cancelled', bytesDone: 25 },
      { ...base, id: 'now', kind: 'encrypt', state: 'waiting' },
    ] as never)
    expect(s.jobs.map((j) => [j.id, j.state])).toEqual([
      ['now', 'running'],
      ['gone', 'cancelled'],
      ['old', 'done'],
    ])
    expect(s.job('gone')!.reading.percent).toBe(25)
    expect(s.job('now')!.waiting).toBe(true)
    expect(s.job('now')!.reading.percent).toBe(50)
    expect(s.job('old')!.reading.percent).toBe(100)
    expect(s.job('old')!.summary?.done).toBe(2)
    expect(s.running).toBe(1)
    // Known jobs are not duplicated.
    s.restore([{ ...base, id: 'now', kind: 'encrypt', state: 'running' }] as never)
    expect(s.jobs).toHaveLength(3)
  })
})

describe('takeConflict', () => {
  const q = [
    { id: 'a', path: '1', output: 'o1' },
    { id: 'b', path: '2', output: 'o2' },
    { id: 'a', path: '3', output: 'o3' },
  ]
  it('answers only the first one without "apply to all"', () => {
    const r = takeConflict(q, 'skip', false)
    expect(r.call).toEqual({ id: 'a', decision: 'skip', applyToAll: false })
    expect(r.rest.map((c) => c.path)).toEqual(['2', '3'])
  })
  it('answers every waiting conflict of the job with "apply to all"', () => {
    const r = takeConflict(q, 'overwrite', true)
    expect(r.call).toEqual({ id: 'a', decision: 'overwrite', applyToAll: true })
    expect(r.rest.map((c) => c.path)).toEqual(['2'])
  })
  it('drops the whole job’s conflicts on cancel', () => {
    expect(takeConflict(q, 'cancel', false).rest.map((c) => c.path)).toEqual(['2'])
  })
  it('does nothing on an empty queue', () => {
    expect(takeConflict([], 'skip', true)).toEqual({ call: null, rest: [] })
  })
})

describe('event payload parsing', () => {
  it('accepts well-formed payloads and rejects others', () => {
    expect(parseProgress({ id: 'j', bytesDone: 5, bytesTotal: 10, current: { path: 'p', bytesDone: 1, bytesTotal: 2 } })).toMatchObject({ id: 'j', bytesDone: 5, etaSeconds: -1, current: { path: 'p' } })
    expect(parseProgress({ bytesDone: 5 })).toBeNull()
    expect(parseProgress('nope')).toBeNull()
    expect(parseFile({ id: 'j', status: 'weird' })).toBeNull()
    expect(parseFile({ id: 'j', path: 'p', status: 'failed', errorCode: 'File.IOError' })).toMatchObject({ status: 'failed', errorCode: 'File.IOError', output: '' })
    expect(parseDone({ id: 'j', state: 'cancelled' })?.state).toBe('cancelled')
    expect(parseDone({ id: 'j', state: '???' })?.state).toBe('done')
    expect(parsePaths(['/a', 3, '', '/b'])).toEqual(['/a', '/b'])
    expect(parsePaths('x')).toEqual([])
  })
})
