// The store actions the views use instead of calling src/api themselves: what each one
// sends to the backend, and what it does with the answer.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { localProfile } from './fixtures'
import { service } from '../src/api/contract'
import { createPinia, setActivePinia } from 'pinia'

const api = vi.hoisted(() => ({
  keysApi: {
    list: vi.fn(),
    describe: vi.fn(),
    updateAlias: vi.fn(),
    updateDescription: vi.fn(),
    setEnabled: vi.fn(),
    setRotation: vi.fn(),
    setArchived: vi.fn(),
    scheduleDeletion: vi.fn(),
    cancelDeletion: vi.fn(),
    publicKey: vi.fn(),
    savePublicKey: vi.fn(),
    sign: vi.fn(),
    verify: vi.fn(),
  },
  settingsApi: {
    profiles: vi.fn(),
    active: vi.fn(),
    saveProfile: vi.fn(),
    deleteProfile: vi.fn(),
    testProfile: vi.fn(),
    assumeRole: vi.fn(),
    setTemporary: vi.fn(),
    importEnv: vi.fn(),
    tccliProfiles: vi.fn(),
    importTCCLI: vi.fn(),
    deleteTCCLIFile: vi.fn(),
    exportProfiles: vi.fn(),
    importProfiles: vi.fn(),
  },
  appApi: { preferences: vi.fn(), info: vi.fn(), savePreferences: vi.fn(), listening: vi.fn(), quit: vi.fn(), uiReady: vi.fn() },
  filesApi: { jobs: vi.fn(), job: vi.fn(), pickOutputFolder: vi.fn() },
  textApi: { encrypt: vi.fn(), decrypt: vi.fn(), saveBlob: vi.fn(), openBlob: vi.fn(), copySecret: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const events = vi.hoisted(() => ({ handlers: new Map<string, (...a: unknown[]) => void>(), hookFileDrop: vi.fn() }))
vi.mock('../src/api/runtime', () => ({
  onEvent: (name: string, cb: (...a: unknown[]) => void) => {
    events.handlers.set(name, cb)
    return () => events.handlers.delete(name)
  },
  hookFileDrop: events.hookFileDrop,
}))

const { useKeysStore } = await import('../src/stores/keys')
const { useSettingsStore } = await import('../src/stores/settings')
const { useAppStore } = await import('../src/stores/app')
const { useFilesStore } = await import('../src/stores/files')
const { useTextStore } = await import('../src/stores/text')
const { BackendError } = await import('../src/api/errors')

function key(id: string, extra: Record<string, unknown> = {}) {
  return { keyId: id, alias: `alias-${id}`, description: '', keyState: 'Enabled', keyUsage: 'ENCRYPT_DECRYPT', rotationEnabled: false, ...extra }
}

const local = localProfile
const cloud = { ...local, name: 'work', kind: service.ProfileKind.Tencent, region: 'ap-shanghai', secretIdMasked: 'AKID****abcd', hasSecret: true, secretStorage: 'keychain' }

beforeEach(() => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
  events.handlers.clear()
  api.keysApi.list.mockResolvedValue({ keys: [key('a'), key('b')], total: 2 })
})

// A page with keys a and b, as the Keys view shows it. The re-read a change starts in the
// background is recorded but never answers, so the rows show what the change left.
async function keysOnPage() {
  const s = useKeysStore()
  await s.load()
  api.keysApi.list.mockClear()
  api.keysApi.list.mockReturnValue(new Promise(() => undefined))
  return s
}

describe('keys store: changes of one key', () => {
  it('renames a key, shows it in its row and re-reads the page', async () => {
    const s = await keysOnPage()
    api.keysApi.updateAlias.mockResolvedValue(key('b', { alias: 'payroll' }))
    const k = await s.updateAlias('b', 'payroll')
    expect(api.keysApi.updateAlias).toHaveBeenCalledWith('b', 'payroll')
    expect(k.alias).toBe('payroll')
    expect(s.keys.map((x) => x.alias)).toEqual(['alias-a', 'payroll'])
    expect(api.keysApi.list).toHaveBeenCalledOnce()
  })

  it('describes the key again after a change that answers nothing (enable, disable)', async () => {
    const s = await keysOnPage()
    api.keysApi.setEnabled.mockResolvedValue(undefined)
    api.keysApi.describe.mockResolvedValue(key('a', { keyState: 'Disabled' }))
    const k = await s.setKeyEnabled('a', false)
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith(['a'], false)
    expect(api.keysApi.describe).toHaveBeenCalledWith('a')
    expect(k.keyState).toBe('Disabled')
    expect(s.keys[0]?.keyState).toBe('Disabled')
  })

  it('sends rotation days only when rotation is on', async () => {
    const s = await keysOnPage()
    api.keysApi.setRotation.mockResolvedValue(key('a', { rotationEnabled: true }))
    await s.setRotation('a', true, 90)
    expect(api.keysApi.setRotation).toHaveBeenLastCalledWith('a', true, 90)
    api.keysApi.setRotation.mockResolvedValue(key('a'))
    await s.setRotation('a', false, 90)
    expect(api.keysApi.setRotation).toHaveBeenLastCalledWith('a', false, 0)
  })

  it('schedules a deletion with what the user typed, and cancels it', async () => {
    const s = await keysOnPage()
    api.keysApi.scheduleDeletion.mockResolvedValue(key('a', { keyState: 'PendingDelete' }))
    await s.scheduleDeletion('a', 7, 'alias-a')
    expect(api.keysApi.scheduleDeletion).toHaveBeenCalledWith('a', 7, 'alias-a')
    expect(s.keys[0]?.keyState).toBe('PendingDelete')
    api.keysApi.cancelDeletion.mockResolvedValue(key('a', { keyState: 'Disabled' }))
    await s.cancelDeletion('a')
    expect(api.keysApi.cancelDeletion).toHaveBeenCalledWith('a')
    expect(s.keys[0]?.keyState).toBe('Disabled')
  })

  it('updates the description and archives', async () => {
    const s = await keysOnPage()
    api.keysApi.updateDescription.mockResolvedValue(key('a', { description: 'HR' }))
    await s.updateDescription('a', 'HR')
    expect(api.keysApi.updateDescription).toHaveBeenCalledWith('a', 'HR')
    api.keysApi.setArchived.mockResolvedValue(key('a', { description: 'HR', keyState: 'Archived' }))
    await s.setArchived('a', true)
    expect(api.keysApi.setArchived).toHaveBeenCalledWith('a', true)
    expect(s.keys.map((x) => [x.description, x.keyState])).toEqual([['HR', 'Archived'], ['', 'Enabled']])
  })

  it('rejects with the coded error and leaves the row and the page alone when a change fails', async () => {
    const s = await keysOnPage()
    api.keysApi.updateAlias.mockRejectedValue(new BackendError('InvalidParameterValue.AliasAlreadyExists', 'x'))
    await expect(s.updateAlias('a', 'taken')).rejects.toMatchObject({ code: 'InvalidParameterValue.AliasAlreadyExists' })
    expect(s.keys[0]?.alias).toBe('alias-a')
    expect(api.keysApi.list).not.toHaveBeenCalled()
  })

  it('passes signing, the public key and describe through', async () => {
    const s = useKeysStore()
    const input = { keyId: 'a', algorithm: 'SM2DSA', message: 'hi', file: '', signature: '' }
    api.keysApi.sign.mockResolvedValue({ signature: 'sig', valid: false, file: '', digest: '' })
    api.keysApi.verify.mockResolvedValue({ signature: 'sig', valid: true, file: '', digest: '' })
    expect((await s.sign(input)).signature).toBe('sig')
    expect((await s.verify({ ...input, signature: 'sig' })).valid).toBe(true)
    expect(api.keysApi.sign).toHaveBeenCalledWith(input)
    expect(api.keysApi.verify).toHaveBeenCalledWith({ ...input, signature: 'sig' })
    api.keysApi.publicKey.mockResolvedValue({ keyId: 'a', pem: '-----BEGIN PUBLIC KEY-----' })
    expect((await s.publicKey('a')).pem).toContain('PUBLIC KEY')
    api.keysApi.savePublicKey.mockResolvedValue('/home/u/a.pem')
    expect(await s.savePublicKey('a')).toBe('/home/u/a.pem')
    api.keysApi.describe.mockResolvedValue(key('a'))
    expect((await s.describe('a')).keyId).toBe('a')
  })
})

describe('settings store: profiles', () => {
  it('passes the SecretKey through to SaveProfile and keeps none of it', async () => {
    api.settingsApi.saveProfile.mockResolvedValue(cloud)
    const s = useSettingsStore()
    const saved = await s.saveProfile(cloud, 'AKIDexample', 'the-secret-key')
    expect(api.settingsApi.saveProfile).toHaveBeenCalledWith(cloud, 'AKIDexample', 'the-secret-key', '')
    expect(saved.name).toBe('work')
    expect(JSON.stringify(s.$state)).not.toContain('the-secret-key')
  })

  it('sets temporary credentials by role or by hand, keeping no token', async () => {
    const s = useSettingsStore()
    api.settingsApi.assumeRole.mockResolvedValue(cloud)
    await s.assumeRole('work', 'qcs::cam::uin/1:roleName/r', 'kmsdesk', 60)
    expect(api.settingsApi.assumeRole).toHaveBeenCalledWith('work', 'qcs::cam::uin/1:roleName/r', 'kmsdesk', 60)
    api.settingsApi.setTemporary.mockResolvedValue(cloud)
    expect((await s.setTemporary('work', 'AKIDtmp', 'tmp-key', 'tmp-token', 1700000000)).name).toBe('work')
    expect(api.settingsApi.setTemporary).toHaveBeenCalledWith('work', 'AKIDtmp', 'tmp-key', 'tmp-token', 1700000000)
    expect(JSON.stringify(s.$state)).not.toMatch(/tmp-key|tmp-token/)
  })

  it('tests, deletes, imports and exports profiles', async () => {
    const s = useSettingsStore()
    api.settingsApi.testProfile.mockResolvedValue({ ok: false, code: 'AuthFailure.SecretIdNotFound', message: '', latencyMs: 0, keyCount: 0, region: '' })
    expect((await s.testProfile('work')).code).toBe('AuthFailure.SecretIdNotFound')
    api.settingsApi.deleteProfile.mockResolvedValue(undefined)
    await s.deleteProfile('work')
    expect(api.settingsApi.deleteProfile).toHaveBeenCalledWith('work')
    api.settingsApi.importProfiles.mockResolvedValue({ imported: ['a'], replaced: [], skipped: [] })
    await s.importProfiles(service.ImportPolicy.Skip)
    // "" asks for the file with a native dialog.
    expect(api.settingsApi.importProfiles).toHaveBeenCalledWith('', 'skip')
    api.settingsApi.exportProfiles.mockResolvedValue('/home/u/profiles.json')
    expect(await s.exportProfiles()).toBe('/home/u/profiles.json')
  })

  it('imports from the environment and from tccli, and deletes the tccli file only when asked', async () => {
    const s = useSettingsStore()
    api.settingsApi.tccliProfiles.mockResolvedValue(null)
    expect(await s.tccliProfiles()).toEqual([])
    api.settingsApi.importEnv.mockResolvedValue({ ...cloud, name: 'env' })
    expect((await s.importEnv('env')).name).toBe('env')
    api.settingsApi.importTCCLI.mockResolvedValue({ ...cloud, name: 'tccli-default' })
    await s.importTCCLI('default', 'tccli-default')
    expect(api.settingsApi.importTCCLI).toHaveBeenCalledWith('default', 'tccli-default')
    expect(api.settingsApi.deleteTCCLIFile).not.toHaveBeenCalled()
    await s.deleteTCCLIFile('default')
    expect(api.settingsApi.deleteTCCLIFile).toHaveBeenCalledWith('default')
  })

  it('follows profile:changed', async () => {
    api.settingsApi.profiles.mockResolvedValue([local, cloud])
    api.settingsApi.active.mockResolvedValue(local)
    const s = useSettingsStore()
    await s.load()
    const off = s.listen()
    const g = s.generation
    events.handlers.get('profile:changed')?.(cloud)
    expect(s.active?.name).toBe('work')
    expect(s.generation).toBe(g + 1)
    off()
    expect(events.handlers.has('profile:changed')).toBe(false)
  })
})

describe('app store: startup, files handed over, quitting', () => {
  const prefs = { language: 'en', theme: 'light', outputDir: '', lastKeyId: '', overwrite: 'rename', window: { width: 0, height: 0, x: 0, y: 0, maximised: false } }

  it('loads the preferences and starts taking file drops', async () => {
    api.appApi.preferences.mockResolvedValue(prefs)
    api.appApi.info.mockResolvedValue({ name: 'KMS Desk', version: 't' })
    const s = useAppStore()
    await s.load()
    expect(s.prefs.theme).toBe('light')
    expect(events.hookFileDrop).toHaveBeenCalledOnce()
  })

  it('chooses the default output folder, and changes nothing when cancelled', async () => {
    const s = useAppStore()
    api.filesApi.pickOutputFolder.mockResolvedValue('')
    await s.chooseOutputDir()
    expect(api.appApi.savePreferences).not.toHaveBeenCalled()
    api.filesApi.pickOutputFolder.mockResolvedValue('/home/u/out')
    api.appApi.savePreferences.mockImplementation(async (p: unknown) => p)
    await s.chooseOutputDir()
    expect(api.appApi.savePreferences).toHaveBeenCalledWith(expect.objectContaining({ outputDir: '/home/u/out' }))
    expect(s.prefs.outputDir).toBe('/home/u/out')
  })

  it('opens handed-over files in the Files view, and nothing for an empty batch', () => {
    const s = useAppStore()
    const item = (p: string) => ({ path: p, name: p.slice(1), isDir: false, size: 1, files: 1, action: service.ItemAction.Encrypt, kind: service.ItemKind.File, errorCode: '', encryptAnyway: false, forced: false })
    s.openFiles({ items: [], intent: service.OpenIntent.None })
    expect(s.view).toBe('keys')
    s.openFiles({ items: [item('/a.txt'), item('/b.txt')], intent: service.OpenIntent.None })
    expect(s.view).toBe('files')
    expect(useFilesStore().items.map((i) => i.name)).toEqual(['a.txt', 'b.txt'])
  })

  it('restores the jobs the backend still knows, each whole', async () => {
    const p = { id: 'j1', kind: service.JobKind.Decrypt, state: service.JobState.Done, filesDone: 2, filesTotal: 2, bytesDone: 10, bytesTotal: 10, done: 2, failed: 0, skipped: 0, cancelled: 0, bytesPerSec: 0, etaSeconds: 0, startedMs: 5, seconds: 1 }
    api.filesApi.jobs.mockResolvedValue([p])
    api.filesApi.job.mockResolvedValue({ progress: p, files: [] })
    await useAppStore().restoreJobs()
    expect(api.filesApi.job).toHaveBeenCalledWith('j1')
    expect(useFilesStore().jobs.map((j) => [j.id, j.kind, j.progress.state])).toEqual([['j1', 'decrypt', 'done']])
  })

  it('quits at once without running jobs, and asks with them', async () => {
    const s = useAppStore()
    const ask = vi.fn()
    const job = (state: service.JobState) => ({ id: state, state })
    api.filesApi.jobs.mockResolvedValue([job(service.JobState.Done)])
    await s.requestQuit(ask)
    expect(api.appApi.quit).toHaveBeenCalledOnce()
    expect(ask).not.toHaveBeenCalled()
    api.filesApi.jobs.mockResolvedValue([job(service.JobState.Running), job(service.JobState.Waiting), job(service.JobState.Failed)])
    expect(await s.requestQuit(ask)).toEqual({ kind: 'ask', running: 2 })
    expect(ask).toHaveBeenCalledWith(2)
    expect(api.appApi.quit).toHaveBeenCalledOnce()
  })

  it('asks when the backend cannot be asked but the UI knows a running job', async () => {
    const s = useAppStore()
    useFilesStore().onProgress({ id: 'j', kind: service.JobKind.Encrypt, state: service.JobState.Running, filesDone: 0, filesTotal: 1, bytesDone: 0, bytesTotal: 1, done: 0, failed: 0, skipped: 0, cancelled: 0, bytesPerSec: 0, etaSeconds: -1, startedMs: 0, seconds: 0 })
    api.filesApi.jobs.mockRejectedValue({ code: 'App.UnknownError', message: '' })
    const ask = vi.fn()
    await s.requestQuit(ask)
    expect(ask).toHaveBeenCalledWith(1)
    expect(api.appApi.quit).not.toHaveBeenCalled()
  })

  it('follows the app events, then tells the Go side it listens', () => {
    const confirmClose = vi.fn()
    const off = useAppStore().listen({ confirmClose })
    expect(api.appApi.listening).toHaveBeenCalledOnce()
    events.handlers.get('app:open-files')?.({ items: [{ path: '/x/one.txt', name: 'one.txt', isDir: false, size: 1, files: 1, action: 'encrypt', kind: 'file', errorCode: '' }], intent: '' })
    expect(useFilesStore().items.map((i) => i.path)).toEqual(['/x/one.txt'])
    events.handlers.get('app:confirm-close')?.([{ id: 'j' }])
    expect(confirmClose).toHaveBeenCalledWith([{ id: 'j' }])
    off()
    expect(events.handlers.size).toBe(0)
  })

  it('reports the first screen drawn', async () => {
    api.appApi.uiReady.mockResolvedValue(undefined)
    const r = { view: 'keys', rows: 3, marks: [{ name: 'keys painted', atMs: 1 }] }
    await useAppStore().uiReady(r)
    expect(api.appApi.uiReady).toHaveBeenCalledWith(r)
  })
})

describe('text store', () => {
  it('encrypts and decrypts with the context given, and keeps no plaintext', async () => {
    const s = useTextStore()
    const ctx = [{ key: 'dept', value: 'hr' }]
    api.textApi.encrypt.mockResolvedValue({ blob: 'CIPHER', keyId: 'a', bytes: 6 })
    expect((await s.encrypt('a', 'secret', false, ctx)).blob).toBe('CIPHER')
    expect(api.textApi.encrypt).toHaveBeenCalledWith('a', 'secret', false, ctx)
    api.textApi.decrypt.mockResolvedValue({ keyId: 'a', isText: true, text: 'secret', base64: 'c2VjcmV0' })
    expect((await s.decrypt('CIPHER', ctx)).text).toBe('secret')
    expect(api.textApi.decrypt).toHaveBeenCalledWith('CIPHER', ctx)
    expect(JSON.stringify(s.$state)).not.toContain('secret')
  })

  it('saves and opens ciphertext files and copies a secret', async () => {
    const s = useTextStore()
    api.textApi.saveBlob.mockResolvedValue('/home/u/x.txt')
    expect(await s.saveBlob('CIPHER')).toBe('/home/u/x.txt')
    expect(api.textApi.saveBlob).toHaveBeenCalledWith('CIPHER')
    api.textApi.openBlob.mockResolvedValue({ path: '/home/u/x.txt', blob: 'CIPHER' })
    expect(await s.openBlob()).toEqual({ path: '/home/u/x.txt', blob: 'CIPHER' })
    api.textApi.copySecret.mockResolvedValue(undefined)
    await s.copySecret('secret')
    expect(api.textApi.copySecret).toHaveBeenCalledWith('secret')
  })
})
