import { beforeEach, describe, expect, it, vi } from 'vitest'
import { localProfile } from './fixtures'
import { createPinia, setActivePinia } from 'pinia'
import { service, type JobProgress, type JobReport, type JobSummary, type OpenFiles } from '../src/api/contract'

const api = vi.hoisted(() => ({
  addFiles: vi.fn(),
  addFolder: vi.fn(),
  pickOutputFolder: vi.fn(),
  encrypt: vi.fn(),
  decrypt: vi.fn(),
  verify: vi.fn(),
  cancel: vi.fn(),
  cancelAll: vi.fn(),
  resolveConflict: vi.fn(),
  job: vi.fn(),
  rewrap: vi.fn(),
  pickRecoveryKey: vi.fn(),
}))

vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), filesApi: api }))

const { useFilesStore, takeConflict } = await import('../src/stores/files')
const { useAppStore } = await import('../src/stores/app')

const MB = 1024 * 1024
const { JobKind, JobState, ItemAction, ItemKind, Decision, FileStatus } = service

function progress(p: Partial<JobProgress> & { id: string }): JobProgress {
  return {
    kind: JobKind.Encrypt,
    state: JobState.Running,
    filesDone: 0,
    filesTotal: 3,
    bytesDone: 0,
    bytesTotal: 100 * MB,
    done: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    bytesPerSec: 0,
    etaSeconds: -1,
    startedMs: 0,
    seconds: 0,
    ...p,
  }
}

function summary(s: Partial<JobSummary> & { id: string }): JobSummary {
  const sum = { kind: JobKind.Encrypt, state: JobState.Done, done: 0, failed: 0, skipped: 0, cancelled: 0, bytes: 0, seconds: 0, bytesPerSec: 0, ...s }
  return { final: progress({ id: sum.id, kind: sum.kind, state: sum.state, done: sum.done, failed: sum.failed, cancelled: sum.cancelled }), ...sum }
}

function item(path: string, action: service.ItemAction, extra: Partial<service.Item> = {}): service.Item {
  const name = path.split('/').pop() ?? path
  return { path, name, isDir: false, size: 10, files: 1, action, kind: action === ItemAction.Encrypt ? ItemKind.File : ItemKind.Envelope, errorCode: '', encryptAnyway: false, forced: false, ...extra }
}

function opened(...items: service.Item[]): OpenFiles {
  return { items, intent: service.OpenIntent.None }
}

beforeEach(() => {
  setActivePinia(createPinia())
  for (const f of Object.values(api)) f.mockReset()
})

describe('staging', () => {
  it('stages classified items once each', () => {
    const s = useFilesStore()
    s.stage(opened(item('/a/x.txt', ItemAction.Encrypt), item('/a/y.kmsenc', ItemAction.Decrypt)))
    s.stage(opened(item('/a/x.txt', ItemAction.Encrypt), item('/a/z.txt', ItemAction.Encrypt)))
    expect(s.items.map((i) => i.path)).toEqual(['/a/x.txt', '/a/y.kmsenc', '/a/z.txt'])
    expect(s.toEncrypt.map((i) => i.name)).toEqual(['x.txt', 'z.txt'])
    expect(s.toDecrypt.map((i) => i.name)).toEqual(['y.kmsenc'])
  })

  it('stages what a picker chose and keeps a picker error', async () => {
    api.addFiles.mockResolvedValue(opened(item('/p/a', ItemAction.Encrypt)))
    api.addFolder.mockRejectedValue({ code: 'App.UnknownError', message: 'no dialog' })
    const s = useFilesStore()
    await s.pick('files')
    expect(s.items.map((i) => i.path)).toEqual(['/p/a'])
    await expect(s.pick('folder')).rejects.toMatchObject({ code: 'App.UnknownError' })
    expect(s.lastError?.code).toBe('App.UnknownError')
  })

  it('changes the output folder only when one was chosen', async () => {
    const s = useFilesStore()
    api.pickOutputFolder.mockResolvedValueOnce('')
    await s.chooseOutputDir()
    expect([s.outputMode, s.outputDir]).toEqual(['beside', ''])
    api.pickOutputFolder.mockResolvedValueOnce('/out')
    await s.chooseOutputDir()
    expect([s.outputMode, s.outputDir]).toEqual(['folder', '/out'])
  })

  it('starts one encryption and one decryption job with the chosen options', async () => {
    api.encrypt.mockResolvedValue({ id: 'j1', kind: JobKind.Encrypt, files: 5, bytes: 500 })
    api.decrypt.mockResolvedValue({ id: 'j2', kind: JobKind.Decrypt, files: 1, bytes: 100 })
    const s = useFilesStore()
    s.stage(
      opened(
        item('/in/a.txt', ItemAction.Encrypt),
        item('/in/dir', ItemAction.Encrypt, { isDir: true, kind: ItemKind.Folder, files: 4 }),
        item('/in/b.kmsenc', ItemAction.Decrypt),
        item('/in/bad', ItemAction.Encrypt, { errorCode: 'File.NotRegular' }),
      ),
    )
    s.keyId = 'k-1'
    s.backupKeyIds = ['k-1', 'k-2']
    s.context = [{ key: 'dept', value: 'hr' }, { key: ' ', value: '' }]
    s.outputMode = 'folder'
    s.outputDir = '/out'
    s.overwrite = service.Overwrite.Ask
    s.removeOriginals = true
    s.recovery = [' age1abc ', '']
    s.identity = { path: '/keys/break-glass.txt', keyIds: ['age:0011223344556677'] }
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
      recovery: ['age1abc'],
      force: false,
      suite: 'auto',
      skipCurrent: true,
    })
    expect(api.decrypt).toHaveBeenCalledWith({ paths: ['/in/b.kmsenc'], outputDir: '/out', overwrite: 'ask', requireContext: [], identityFile: '/keys/break-glass.txt' })
    // The unusable item stays; the started ones left the list.
    expect(s.items.map((i) => i.path)).toEqual(['/in/bad'])
    expect(s.jobs.map((j) => [j.id, j.kind, j.progress.filesTotal, j.progress.bytesTotal, j.progress.state])).toEqual([
      ['j2', 'decrypt', 1, 100, 'running'],
      ['j1', 'encrypt', 5, 500, 'running'],
    ])
    expect(s.running).toBe(2)
  })

  it("sends the active profile's suite unless the batch chose one", async () => {
    api.encrypt.mockResolvedValue({ id: 'j1', kind: JobKind.Encrypt, files: 1, bytes: 1 })
    const { useSettingsStore } = await import('../src/stores/settings')
    useSettingsStore().active = {
      ...localProfile,
      name: 'gm', kind: service.ProfileKind.Tencent, hasSecret: true, secretStorage: 'keychain', suite: service.Suite.SM4,
    }
    const s = useFilesStore()
    s.keyId = 'k'
    s.stage(opened(item('/in/a.txt', ItemAction.Encrypt)))
    await s.start()
    expect(api.encrypt).toHaveBeenLastCalledWith(expect.objectContaining({ suite: 'sm4' }))
    s.suite = service.Suite.AES
    s.stage(opened(item('/in/b.txt', ItemAction.Encrypt)))
    await s.start()
    expect(api.encrypt).toHaveBeenLastCalledWith(expect.objectContaining({ suite: 'aes' }))
  })

  it('writes next to the originals when asked to, whatever folder was typed', async () => {
    api.encrypt.mockResolvedValue({ id: 'j1', kind: JobKind.Encrypt, files: 1, bytes: 1 })
    const s = useFilesStore()
    s.stage(opened(item('/in/a.txt', ItemAction.Encrypt)))
    s.keyId = 'k'
    s.outputDir = '/somewhere'
    s.outputMode = 'beside'
    await s.start()
    expect(api.encrypt.mock.calls[0]?.[0].outputDir).toBe('')
  })

  it('keeps the items when starting fails', async () => {
    api.encrypt.mockRejectedValue({ code: 'ResourceUnavailable.CmkDisabled', message: '' })
    const s = useFilesStore()
    s.stage(opened(item('/in/a.txt', ItemAction.Encrypt)))
    s.keyId = 'k'
    await expect(s.start()).rejects.toMatchObject({ code: 'ResourceUnavailable.CmkDisabled' })
    expect(s.items).toHaveLength(1)
    expect(s.jobs).toHaveLength(0)
  })
})

describe('job events → state', () => {
  it('shows the backend’s progress as it is: rate and time left included', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j', bytesDone: 10 * MB, filesDone: 1, bytesPerSec: 10 * MB, etaSeconds: 9, current: { path: '/in/big.iso', bytesDone: 5 * MB, bytesTotal: 50 * MB } }))
    const p = s.job('j')!.progress
    expect([p.bytesDone, p.filesDone, p.bytesPerSec, p.etaSeconds]).toEqual([10 * MB, 1, 10 * MB, 9])
    expect(p.current).toEqual({ path: '/in/big.iso', bytesDone: 5 * MB, bytesTotal: 50 * MB })
  })

  it('creates a job for events that arrive before the start call returned', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'early', kind: JobKind.Decrypt, bytesDone: 5, bytesTotal: 10 }))
    expect(s.job('early')?.kind).toBe('decrypt')
    expect(s.running).toBe(1)
  })

  it('a decryption whose file result comes before its start call returned is shown as a decryption', async () => {
    // A cut-off file fails at once: its result can reach the page before the answer
    // to the call that started the job.
    const s = useFilesStore()
    s.stage(opened(item('/in/cut.kmsenc', ItemAction.Decrypt)))
    let answer: (info: service.JobInfo) => void = () => {}
    api.decrypt.mockReturnValueOnce(new Promise((r) => (answer = r)))
    const started = s.start()
    s.onFile({ id: 'd', path: '/in/cut.kmsenc', output: '', status: FileStatus.Failed, errorCode: 'Envelope.Truncated', message: '', keyId: '', recoverable: false, subject: '' })
    answer({ id: 'd', kind: JobKind.Decrypt, files: 1, bytes: 70000 })
    await started
    expect(s.jobs.map((j) => [j.id, j.kind])).toEqual([['d', 'decrypt']])
    expect(s.job('d')?.results.map((r) => r.errorCode)).toEqual(['Envelope.Truncated'])
  })

  it('collects per-file results', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j' }))
    s.onFile({ id: 'j', path: '/in/a', output: '/out/a.kmsenc', status: FileStatus.Done, errorCode: '', message: '', keyId: '', recoverable: false, subject: '' })
    s.onFile({ id: 'j', path: '/in/b', output: '', status: FileStatus.Failed, errorCode: 'File.IOError', message: 'read', keyId: '', recoverable: false, subject: '' })
    expect(s.job('j')!.results.map((r) => r.status)).toEqual(['done', 'failed'])
  })

  it('takes the end from the summary, whatever order the events came in, and ignores late ticks', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'j', bytesDone: 90 * MB, filesDone: 2 }))
    // The last tick is still on its way: the summary carries the final progress.
    s.onDone(summary({ id: 'j', state: JobState.Done, done: 3, bytes: 100 * MB, seconds: 2, bytesPerSec: 50 * MB, final: progress({ id: 'j', state: JobState.Done, bytesDone: 100 * MB, filesDone: 3, done: 3 }) }))
    s.onProgress(progress({ id: 'j', bytesDone: 95 * MB }))
    const j = s.job('j')!
    expect([j.progress.state, j.progress.bytesDone, j.summary?.bytesPerSec]).toEqual(['done', 100 * MB, 50 * MB])
    expect(s.running).toBe(0)
  })

  it('queues conflicts and drops those of a finished job', () => {
    const s = useFilesStore()
    s.onProgress(progress({ id: 'a' }))
    s.onProgress(progress({ id: 'b' }))
    s.onConflict({ id: 'a', path: '/in/x', output: '/out/x.kmsenc' })
    s.onConflict({ id: 'b', path: '/in/y', output: '/out/y.kmsenc' })
    expect(s.conflicts).toHaveLength(2)
    s.onProgress(progress({ id: 'a', state: JobState.Cancelled, cancelled: 1 }))
    s.onDone(summary({ id: 'a', state: JobState.Cancelled, cancelled: 1 }))
    expect(s.conflicts.map((c) => c.id)).toEqual(['b'])
    s.onConflict({ id: 'a', path: '/in/z', output: '/out/z' })
    expect(s.conflicts.map((c) => c.id)).toEqual(['b'])
  })

  it('answers the first conflict through ResolveConflict', async () => {
    const s = useFilesStore()
    s.onConflict({ id: 'a', path: '/in/x', output: '/out/x' })
    s.onConflict({ id: 'a', path: '/in/y', output: '/out/y' })
    s.onConflict({ id: 'b', path: '/in/z', output: '/out/z' })
    await s.resolveConflict(Decision.Rename, false)
    expect(api.resolveConflict).toHaveBeenLastCalledWith('a', 'rename', false)
    expect(s.conflicts.map((c) => c.path)).toEqual(['/in/y', '/in/z'])
    await s.resolveConflict(Decision.Overwrite, true)
    expect(api.resolveConflict).toHaveBeenLastCalledWith('a', 'overwrite', true)
    expect(s.conflicts.map((c) => c.path)).toEqual(['/in/z'])
  })
})

describe('restore after a reload', () => {
  it('shows each job the backend knows whole: progress, files, summary and question', async () => {
    const reports: Record<string, JobReport> = {
      old: { progress: progress({ id: 'old', kind: JobKind.Decrypt, state: JobState.Done, startedMs: 1 }), files: [], done: summary({ id: 'old', kind: JobKind.Decrypt, done: 2 }) },
      gone: {
        progress: progress({ id: 'gone', state: JobState.Cancelled, filesDone: 1, cancelled: 1, startedMs: 2 }),
        files: [{ id: 'gone', path: '/a', output: '', status: FileStatus.Cancelled, errorCode: 'Job.Cancelled', message: '', keyId: '', recoverable: false, subject: '' }],
        done: summary({ id: 'gone', state: JobState.Cancelled, cancelled: 1 }),
      },
      now: { progress: progress({ id: 'now', state: JobState.Waiting, startedMs: 3 }), files: [], conflict: { id: 'now', path: '/x', output: '/x.kmsenc' } },
    }
    api.job.mockImplementation(async (id: string) => reports[id])
    const s = useFilesStore()
    await s.restore(Object.values(reports).map((r) => r.progress))
    expect(s.jobs.map((j) => [j.id, j.progress.state])).toEqual([
      ['now', 'waiting'],
      ['gone', 'cancelled'],
      ['old', 'done'],
    ])
    expect(s.job('gone')!.results.map((r) => r.status)).toEqual(['cancelled'])
    expect(s.job('gone')!.summary?.cancelled).toBe(1)
    expect(s.conflicts.map((c) => c.id)).toEqual(['now'])
    expect(s.running).toBe(1)
    // Known jobs are not asked for again.
    await s.restore([reports.now!.progress])
    expect(api.job).toHaveBeenCalledTimes(3)
  })
})

describe('takeConflict', () => {
  const q = [
    { id: 'a', path: '1', output: 'o1' },
    { id: 'b', path: '2', output: 'o2' },
    { id: 'a', path: '3', output: 'o3' },
  ]
  it('answers only the first one without "apply to all"', () => {
    const r = takeConflict(q, Decision.Skip, false)
    expect(r.call).toEqual({ id: 'a', decision: 'skip', applyToAll: false })
    expect(r.rest.map((c) => c.path)).toEqual(['2', '3'])
  })
  it('answers every waiting conflict of the job with "apply to all"', () => {
    const r = takeConflict(q, Decision.Overwrite, true)
    expect(r.call).toEqual({ id: 'a', decision: 'overwrite', applyToAll: true })
    expect(r.rest.map((c) => c.path)).toEqual(['2'])
  })
  it('drops the whole job’s conflicts on cancel', () => {
    expect(takeConflict(q, Decision.Cancel, false).rest.map((c) => c.path)).toEqual(['2'])
  })
  it('does nothing on an empty queue', () => {
    expect(takeConflict([], Decision.Skip, true)).toEqual({ call: null, rest: [] })
  })
})

describe('recovery keys and re-wrap', () => {
  it('decrypts again, with a recovery key file, just the files no KMS key opened but a recovery key would', async () => {
    api.decrypt.mockResolvedValueOnce({ id: 'd1', kind: JobKind.Decrypt, files: 3, bytes: 30 })
    const s = useFilesStore()
    s.stage(opened(item('/in/a.kmsenc', ItemAction.Decrypt), item('/in/b.kmsenc', ItemAction.Decrypt), item('/in/c.kmsenc', ItemAction.Decrypt)))
    s.outputMode = 'folder'
    s.outputDir = '/out'
    await s.start()
    const file = (path: string, status: service.FileStatus, recoverable: boolean) => ({ id: 'd1', path, output: '', status, errorCode: status === FileStatus.Failed ? 'App.LocalKMSUnavailable' : '', message: '', keyId: 'k', recoverable, subject: '' })
    s.onFile(file('/in/a.kmsenc', FileStatus.Failed, true))
    s.onFile(file('/in/b.kmsenc', FileStatus.Failed, false))
    s.onFile(file('/in/c.kmsenc', FileStatus.Done, false))
    s.onDone(summary({ id: 'd1', kind: JobKind.Decrypt, state: JobState.Failed, done: 1, failed: 2 }))

    // The user cancels the file dialog: nothing starts.
    api.pickRecoveryKey.mockResolvedValueOnce({ path: '', keyIds: [] })
    expect(await s.openWithRecoveryKey('d1')).toBeNull()
    expect(api.decrypt).toHaveBeenCalledTimes(1)

    api.pickRecoveryKey.mockResolvedValueOnce({ path: '/usb/key.txt', keyIds: ['age:1'] })
    api.decrypt.mockResolvedValueOnce({ id: 'd2', kind: JobKind.Decrypt, files: 1, bytes: 10 })
    const info = await s.openWithRecoveryKey('d1')
    expect(info?.id).toBe('d2')
    expect(api.decrypt).toHaveBeenLastCalledWith({ paths: ['/in/a.kmsenc'], outputDir: '/out', overwrite: 'rename', requireContext: [], identityFile: '/usb/key.txt' })
    expect(s.job('d2')?.retry?.identityFile).toBe('/usb/key.txt')
  })

  it('starts a re-wrap as a job of the list', async () => {
    api.rewrap.mockResolvedValue({ id: 'r1', kind: JobKind.Rewrap, files: 2, bytes: 20 })
    const s = useFilesStore()
    const req = { paths: ['/a.kmsenc', '/b.kmsenc'], to: ['k-9'], add: [], remove: [], addRecovery: [], profile: 'cloud', identityFile: '' }
    await s.rewrap(req, 'a, b')
    expect(api.rewrap).toHaveBeenCalledWith(req)
    expect(s.jobs.map((j) => [j.id, j.kind, j.label, j.progress.filesTotal])).toEqual([['r1', 'rewrap', 'a, b', 2]])
  })
})

describe('a file named .kmsenc that is not one', () => {
  it('is encrypted only after the user chose "Encrypt anyway", with force', async () => {
    api.encrypt.mockResolvedValue({ id: 'e1', kind: JobKind.Encrypt, files: 2, bytes: 20 })
    const s = useFilesStore()
    s.stage(opened(item('/in/fake.kmsenc', ItemAction.Encrypt, { errorCode: 'Envelope.NotEnvelope', encryptAnyway: true }), item('/in/a.txt', ItemAction.Encrypt)))
    s.keyId = 'k-1'
    expect(s.toEncrypt.map((i) => i.path)).toEqual(['/in/a.txt'])
    const fake = s.items[0]!
    s.encryptAnyway(s.items[1]!.uid) // not marked: nothing changes
    expect(s.toEncrypt).toHaveLength(1)
    s.encryptAnyway(fake.uid)
    expect(s.toEncrypt.map((i) => i.path)).toEqual(['/in/fake.kmsenc', '/in/a.txt'])
    await s.start()
    expect(api.encrypt).toHaveBeenCalledWith(expect.objectContaining({ paths: ['/in/fake.kmsenc', '/in/a.txt'], force: true }))
  })
})

describe('files handed over with an intent ("Encrypt/Decrypt with KMS Desk")', () => {
  it('encrypts a real .kmsenc the user asked to encrypt, with force, and starts nothing for a plain file handed over to decrypt', async () => {
    api.encrypt.mockResolvedValue({ id: 'e1', kind: JobKind.Encrypt, files: 2, bytes: 20 })
    const app = useAppStore()
    const s = useFilesStore()
    // As the backend classifies them for the encrypt intent.
    app.openFiles({
      items: [item('/in/r.kmsenc', ItemAction.Encrypt, { kind: ItemKind.Envelope, forced: true }), item('/in/a.txt', ItemAction.Encrypt)],
      intent: service.OpenIntent.Encrypt,
    })
    expect(app.view).toBe('files')
    expect(s.items.map((i) => [i.path, i.kind, i.forced])).toEqual([['/in/r.kmsenc', ItemKind.Envelope, true], ['/in/a.txt', ItemKind.File, false]])
    s.keyId = 'k-1'
    await s.start()
    expect(api.encrypt).toHaveBeenCalledWith(expect.objectContaining({ paths: ['/in/r.kmsenc', '/in/a.txt'], force: true }))
    expect(api.decrypt).not.toHaveBeenCalled()

    // As the backend classifies a plain file for the decrypt intent: cannot process.
    app.openFiles({ items: [item('/in/b.txt', ItemAction.Encrypt, { errorCode: 'Envelope.NotEnvelope', encryptAnyway: true })], intent: service.OpenIntent.Decrypt })
    expect(s.toEncrypt).toEqual([])
    expect(s.toDecrypt).toEqual([])
    api.encrypt.mockClear()
    expect(await s.start()).toEqual([])
    expect(api.encrypt).not.toHaveBeenCalled()
    expect(api.decrypt).not.toHaveBeenCalled()
  })
})
