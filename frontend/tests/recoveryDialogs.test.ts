// The dialogs that keep files decryptable: making a recovery key, changing the keys of
// encrypted files, and the warning before files are first encrypted with the local KMS.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { click, flush, openDialog, q, type } from './mount'
import { localProfile } from './fixtures'
import { service } from '../src/api/contract'

const local = localProfile
const cloud = { ...local, name: 'cloud', kind: service.ProfileKind.Tencent }
const recipient = 'age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'

const api = vi.hoisted(() => ({
  settingsApi: { createRecoveryKey: vi.fn(), saveProfile: vi.fn() },
  filesApi: { rewrap: vi.fn(), inspect: vi.fn(), pickRecoveryKey: vi.fn() },
  keysApi: { list: vi.fn(() => Promise.resolve({ keys: [{ keyId: 'k-1', alias: 'docs', keyState: 'Enabled', keyUsage: 'ENCRYPT_DECRYPT' }], total: 1 })) },
  appApi: { savePreferences: vi.fn((p: unknown) => Promise.resolve(p)) },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: RecoveryKeyDialog } = await import('../src/dialogs/RecoveryKeyDialog.vue')
const { default: RewrapDialog } = await import('../src/dialogs/RewrapDialog.vue')
const { default: LocalWarningDialog } = await import('../src/dialogs/LocalWarningDialog.vue')
const { useSettingsStore } = await import('../src/stores/settings')
const { useAppStore } = await import('../src/stores/app')
const { useFilesStore } = await import('../src/stores/files')

beforeEach(() => {
  document.body.replaceChildren()
  for (const group of Object.values(api)) for (const f of Object.values(group)) f.mockClear()
})

describe('recovery key dialog', () => {
  it('saves the key where the user chooses, shows the public half, and adds it to the profile', async () => {
    api.settingsApi.createRecoveryKey.mockResolvedValue({ recipient, keyId: 'age:0011223344556677', path: '/usb/key.txt', identity: 'AGE-SECRET-KEY-1XYZ', postQuantum: true })
    api.settingsApi.saveProfile.mockImplementation((p: typeof local) => Promise.resolve(p))
    const { w } = await openDialog(RecoveryKeyDialog, {})
    const settings = useSettingsStore()
    settings.profiles = [{ ...local }]
    settings.active = { ...local }
    await click('[data-testid="recovery-pq"] input')
    await click('[data-testid="recovery-create"]')
    expect(api.settingsApi.createRecoveryKey).toHaveBeenCalledWith(true)
    expect(q('[data-testid="recovery-saved"]').textContent).toContain('/usb/key.txt')
    expect(q('[data-testid="recovery-recipient"]').textContent).toBe(recipient)
    // The secret half is not on screen until asked for.
    expect(document.querySelector('[data-testid="recovery-secret"]')).toBeNull()
    await click('[data-testid="recovery-show-secret"]')
    expect(q('[data-testid="recovery-secret"]').textContent).toBe('AGE-SECRET-KEY-1XYZ')
    await click('[data-testid="recovery-use-profile"]')
    expect(api.settingsApi.saveProfile).toHaveBeenCalledWith({ ...local, recovery: [recipient] }, '', '')
    expect(settings.active?.recovery).toEqual([recipient])
    expect(q<HTMLButtonElement>('[data-testid="recovery-use-profile"]').disabled).toBe(true)
    // Closing forgets the secret half.
    await w.setProps({ visible: false })
    await flush()
    await w.setProps({ visible: true })
    await flush()
    expect(document.querySelector('[data-testid="recovery-recipient"]')).toBeNull()
    w.unmount()
  })

  it('does nothing when the save dialog is cancelled', async () => {
    api.settingsApi.createRecoveryKey.mockResolvedValue({ recipient: '', keyId: '', path: '', identity: '', postQuantum: false })
    const { w } = await openDialog(RecoveryKeyDialog, {})
    await click('[data-testid="recovery-create"]')
    expect(document.querySelector('[data-testid="recovery-saved"]')).toBeNull()
    expect(q('[data-testid="recovery-create"]')).toBeTruthy()
    w.unmount()
  })
})

describe('change keys dialog', () => {
  const slots = [
    { kind: service.SlotKind.Local, keyId: 'k-local', region: 'ap-guangzhou', instance: 'aaaa', thisComputer: true },
    { kind: service.SlotKind.Recovery, keyId: 'age:0011223344556677', region: '', instance: '', thisComputer: false },
  ]
  const header = { path: '/f/a.kmsenc', kind: 'envelope', size: 1, plaintextSize: 1, keys: slots }

  it('moves a file to a key of another profile by its alias', async () => {
    api.filesApi.inspect.mockResolvedValue(header)
    api.filesApi.rewrap.mockResolvedValue({ id: 'r1', kind: 'rewrap', files: 1, bytes: 1 })
    const settings = useSettingsStore()
    const { w } = await openDialog(RewrapDialog, { paths: ['/f/a.kmsenc'], label: 'a.kmsenc' })
    settings.profiles = [local, cloud]
    settings.active = local
    await flush()
    expect(api.filesApi.inspect).toHaveBeenCalledWith('/f/a.kmsenc')
    expect([...document.querySelectorAll('[data-testid="inspect-key"]')].map((e) => e.getAttribute('data-kind'))).toEqual(['local', 'recovery'])
    // Nothing chosen yet: the submit button waits.
    expect(q<HTMLButtonElement>('[data-testid="rewrap-submit"]').disabled).toBe(true)
    // Another profile: its key is named by KeyId or alias.
    w.findComponent({ name: 'TSelect' }).vm.$emit('update:modelValue', 'cloud')
    await flush()
    await type('[data-testid="rewrap-key-ref"] input', 'archive')
    await click('[data-testid="rewrap-submit"]')
    expect(api.filesApi.rewrap).toHaveBeenCalledWith({ paths: ['/f/a.kmsenc'], to: ['archive'], add: [], remove: [], addRecovery: [], profile: 'cloud', identityFile: '' })
    expect(useFilesStore().job('r1')?.label).toBe('a.kmsenc')
    w.unmount()
  })

  it('refuses to remove every key of a file', async () => {
    api.filesApi.inspect.mockResolvedValue(header)
    const { w } = await openDialog(RewrapDialog, { paths: ['/f/a.kmsenc'], label: 'a.kmsenc' })
    await click('[data-testid="rewrap-mode-remove"]')
    const boxes = document.querySelectorAll<HTMLInputElement>('[data-testid="rewrap-remove"] input')
    expect(boxes).toHaveLength(2)
    boxes[0]!.click()
    await flush()
    expect(q<HTMLButtonElement>('[data-testid="rewrap-submit"]').disabled).toBe(false)
    boxes[1]!.click()
    await flush()
    expect(q<HTMLButtonElement>('[data-testid="rewrap-submit"]').disabled).toBe(true)
    expect(document.body.textContent).toContain('Keep at least one key')
    w.unmount()
  })
})

describe('local KMS warning', () => {
  it('remembers "don\'t show again" only when the user goes on', async () => {
    const { w } = await openDialog(LocalWarningDialog, {})
    const app = useAppStore()
    await click('[data-testid="local-warning-dont-show"] input')
    await click('[data-testid="local-warning-continue"]')
    expect(api.appApi.savePreferences).toHaveBeenCalledWith(expect.objectContaining({ localWarningOff: true }))
    expect(w.emitted('done')?.[0]).toEqual([true])
    expect(app.prefs.localWarningOff).toBe(true)
    w.unmount()
  })

  it('"Back up local keys…" opens their backup in Settings without encrypting', async () => {
    const { w } = await openDialog(LocalWarningDialog, {})
    const app = useAppStore()
    await click('[data-testid="local-warning-backup"]')
    expect(w.emitted('done')?.[0]).toEqual([false])
    expect(app.view).toBe('settings')
    expect(app.settingsTab).toBe('local')
    expect(useSettingsStore().localBackup).toBe('backup')
    expect(api.appApi.savePreferences).not.toHaveBeenCalled()
    w.unmount()
  })
})
