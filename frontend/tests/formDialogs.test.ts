// The form dialogs on useSubmit and DialogFooter: validation before anything is sent,
// what is sent, the coded error shown in the dialog, closing on success, and secrets
// forgotten once sent.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { click, flush, mountApp, openDialog, q, type } from './mount'

const api = vi.hoisted(() => ({
  keysApi: { create: vi.fn(), list: vi.fn() },
  settingsApi: { saveProfile: vi.fn(), regions: vi.fn(), tccliProfiles: vi.fn(), importTCCLI: vi.fn(), importEnv: vi.fn(), deleteTCCLIFile: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: CreateKeyDialog } = await import('../src/dialogs/CreateKeyDialog.vue')
const { default: ProfileDialog } = await import('../src/dialogs/ProfileDialog.vue')
const { default: ImportDialog } = await import('../src/dialogs/ImportDialog.vue')
const { default: JobCard } = await import('../src/components/JobCard.vue')

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
  api.settingsApi.regions.mockResolvedValue([])
})

describe('create key dialog', () => {
  it('sends nothing for a reserved alias, then creates the key and closes', async () => {
    api.keysApi.create.mockResolvedValue({ keyId: 'k1', alias: 'hr-2026' })
    const { w } = await openDialog(CreateKeyDialog, {})
    await type('[data-testid="alias-input"] input', 'kms-reserved')
    await click('[data-testid="create-key-submit"]')
    expect(api.keysApi.create).not.toHaveBeenCalled()
    expect(w.emitted('update:visible')).toBeUndefined()
    await type('[data-testid="alias-input"] input', 'hr-2026')
    await click('[data-testid="create-key-submit"]')
    expect(api.keysApi.create).toHaveBeenCalledOnce()
    expect(api.keysApi.create).toHaveBeenCalledWith({ alias: 'hr-2026', description: '', usage: 'ENCRYPT_DECRYPT', tags: {}, external: false })
    expect(w.emitted('update:visible')?.at(-1)).toEqual([false])
    w.unmount()
  })

  it('shows a refused creation translated, with its code, and stays open', async () => {
    api.keysApi.create.mockRejectedValue({ code: 'InvalidParameterValue.AliasAlreadyExists', message: 'raw cloud text' })
    const { w } = await openDialog(CreateKeyDialog, {})
    await type('[data-testid="alias-input"] input', 'payroll')
    await click('[data-testid="create-key-submit"]')
    const alert = q('[data-testid="error-alert"]')
    expect(alert.getAttribute('data-code')).toBe('InvalidParameterValue.AliasAlreadyExists')
    expect(alert.textContent).not.toContain('raw cloud text')
    expect(w.emitted('update:visible')).toBeUndefined()
    // Opening the dialog again starts clean.
    await w.setProps({ visible: false })
    await w.setProps({ visible: true })
    await flush()
    expect(document.querySelector('[data-testid="error-alert"]')).toBeNull()
    w.unmount()
  })
})

describe('profile dialog', () => {
  it('sends the SecretKey once with the profile and clears the field', async () => {
    api.settingsApi.saveProfile.mockImplementation(async (p: { name: string }) => ({ ...p, secretIdMasked: 'AKID****cdef', hasSecret: true }))
    // The parent owns `visible` (it ignores the close), so the form stays to be looked at.
    const onUpdate = vi.fn()
    const { w } = await openDialog(ProfileDialog, { editing: null, 'onUpdate:visible': onUpdate })
    await type('[data-testid="profile-name"] input', 'work')
    // A new cloud profile needs both keys: nothing is sent without them.
    await click('[data-testid="profile-save"]')
    expect(api.settingsApi.saveProfile).not.toHaveBeenCalled()
    await type('[data-testid="profile-secret-id"] input', ' AKIDabcdef ')
    await type('[data-testid="profile-secret-key"] input', 'the-secret-key')
    await click('[data-testid="profile-save"]')
    expect(api.settingsApi.saveProfile).toHaveBeenCalledOnce()
    expect(api.settingsApi.saveProfile).toHaveBeenCalledWith(expect.objectContaining({ name: 'work', kind: 'tencent', region: 'ap-guangzhou', suite: 'auto' }), 'AKIDabcdef', 'the-secret-key', '')
    expect(w.emitted('saved')?.[0]?.[0]).toMatchObject({ name: 'work', hasSecret: true })
    expect(onUpdate).toHaveBeenLastCalledWith(false)
    expect(q<HTMLInputElement>('[data-testid="profile-secret-key"] input').value).toBe('')
    expect(q<HTMLInputElement>('[data-testid="profile-secret-id"] input').value).toBe('')
    w.unmount()
  })
})

describe('import dialog', () => {
  it('imports a tccli profile, then offers to delete its file and deletes it only when asked', async () => {
    api.settingsApi.tccliProfiles.mockResolvedValue(['default'])
    api.settingsApi.importTCCLI.mockResolvedValue({ name: 'tccli-default' })
    api.settingsApi.deleteTCCLIFile.mockResolvedValue(undefined)
    const { w } = await openDialog(ImportDialog, { source: 'tccli' })
    const runButton = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="import-dialog"] button')].find((b) => b.textContent?.includes('Import'))
    expect(runButton).toBeTruthy()
    runButton!.click()
    await flush()
    expect(api.settingsApi.importTCCLI).toHaveBeenCalledWith('default', 'tccli-default')
    expect(w.emitted('imported')?.[0]?.[0]).toMatchObject({ name: 'tccli-default' })
    // Still open, now asking about tccli's plaintext file.
    expect(w.emitted('update:visible')).toBeUndefined()
    expect(api.settingsApi.deleteTCCLIFile).not.toHaveBeenCalled()
    await click('[data-testid="tccli-delete"]')
    expect(api.settingsApi.deleteTCCLIFile).toHaveBeenCalledWith('default')
    expect(w.emitted('update:visible')?.at(-1)).toEqual([false])
    w.unmount()
  })

  it('shows why the tccli profiles could not be listed', async () => {
    api.settingsApi.tccliProfiles.mockRejectedValue({ code: 'TCCLI.Unsupported', message: '' })
    const { w } = await openDialog(ImportDialog, { source: 'tccli' })
    expect(q('[data-testid="error-alert"]').getAttribute('data-code')).toBe('TCCLI.Unsupported')
    w.unmount()
  })
})

describe('job card', () => {
  it('asks its view to show an output in its folder', async () => {
    const job = {
      id: 'j1',
      kind: 'encrypt',
      label: 'a.txt',
      progress: { id: 'j1', kind: 'encrypt', state: 'done', filesDone: 1, filesTotal: 1, bytesDone: 1, bytesTotal: 1, done: 1, failed: 0, skipped: 0, cancelled: 0, bytesPerSec: 0, etaSeconds: 0, startedMs: 0, seconds: 1 },
      results: [{ id: 'j1', path: '/in/a.txt', output: '/out/a.txt.kmsenc', status: 'done', errorCode: '', message: '', keyId: '', recoverable: false }],
      summary: { id: 'j1', kind: 'encrypt', state: 'done', done: 1, failed: 0, skipped: 0, cancelled: 0, bytes: 1, seconds: 1, bytesPerSec: 1 },
    }
    const { w } = mountApp(JobCard, { props: { job: job as never } })
    await flush()
    await w.find('[data-testid="job-result"] button[aria-label="Show in folder"]').trigger('click')
    expect(w.emitted('show-output')).toEqual([['/out/a.txt.kmsenc']])
    w.unmount()
  })

  it('says what a finished job did, not what it read', async () => {
    const progress = { id: 'd1', kind: 'decrypt', state: 'failed', filesDone: 1, filesTotal: 1, bytesDone: 50 << 20, bytesTotal: 50 << 20, done: 0, failed: 1, skipped: 0, cancelled: 0, bytesPerSec: 2143 << 20, etaSeconds: 0, startedMs: 0, seconds: 0.02 }
    const failed = {
      id: 'd1',
      kind: 'decrypt',
      label: 'big.iso.kmsenc',
      progress,
      results: [{ id: 'd1', path: '/in/big.iso.kmsenc', output: '', status: 'failed', errorCode: 'Envelope.AuthenticationFailed', message: '', keyId: '', recoverable: false }],
      summary: { id: 'd1', kind: 'decrypt', state: 'failed', done: 0, failed: 1, skipped: 0, cancelled: 0, bytes: 0, seconds: 0.02, bytesPerSec: 0, final: progress },
    }
    const { w } = mountApp(JobCard, { props: { job: failed as never } })
    await flush()
    expect(w.find('[data-testid="job-title"]').text()).toBe('Decryption failed')
    expect(w.find('[data-testid="job-progress"]').attributes('data-percent')).toBe('0')
    const stats = w.find('[data-testid="job-stats"]').text()
    expect(stats).not.toMatch(/\d MB/)
    expect(stats).not.toContain('/s')
    expect(w.find('[data-testid="job-summary"]').text()).toContain('1 failed')
    // A small job that finished: its bytes, no rate measured over 20 ms.
    const ok = { ...failed, summary: { ...failed.summary, state: 'done', done: 1, failed: 0, bytes: 59, bytesPerSec: 2950 } }
    await w.setProps({ job: ok as never })
    expect(w.find('[data-testid="job-title"]').text()).toBe('Decrypted 1 file')
    expect(w.find('[data-testid="job-stats"]').text()).toContain('59 B decrypted')
    expect(w.find('[data-testid="job-stats"]').text()).not.toContain('/s')
    expect(w.find('[data-testid="job-progress"]').attributes('data-percent')).toBe('100')
    w.unmount()
  })
})
