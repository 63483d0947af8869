// The dialog that backs up and restores the local KMS's keys: the passphrase rules (at
// least 12 characters, typed twice), the warning, what is sent, the result, and the
// errors a restore can meet (wrong passphrase, a clash) without losing the chosen file.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { click, flush, mountApp, q, type } from './mount'

const api = vi.hoisted(() => ({
  settingsApi: {
    backupLocalKeys: vi.fn(),
    chooseLocalBackup: vi.fn(),
    restoreLocalKeys: vi.fn(),
  },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: LocalBackupDialog } = await import('../src/dialogs/LocalBackupDialog.vue')
const { useSettingsStore } = await import('../src/stores/settings')
const { i18n } = await import('../src/i18n')

const submit = () => q<HTMLButtonElement>('[data-testid="local-backup-submit"]')
const text = (sel: string) => q(sel).textContent ?? ''
const value = (sel: string) => q<HTMLInputElement>(`${sel} input`).value

async function open(mode: 'backup' | 'restore') {
  const m = mountApp(LocalBackupDialog)
  const settings = useSettingsStore()
  settings.openLocalBackup(mode)
  await flush()
  return { ...m, settings }
}

beforeEach(() => {
  document.body.replaceChildren()
  i18n.global.locale.value = 'en'
  for (const f of Object.values(api.settingsApi)) f.mockReset()
})

describe('back up local keys', () => {
  it('warns, wants 12 characters typed twice, sends the passphrase once and shows where the file went', async () => {
    api.settingsApi.backupLocalKeys.mockResolvedValue({ path: '/home/u/keys.age', keys: 3, credentials: 1, instances: ['id-1'] })
    const { w, settings } = await open('backup')
    expect(q('[data-testid="local-backup-dialog"]').getAttribute('data-mode')).toBe('backup')
    expect(text('[data-testid="backup-warning"]')).toContain('Anyone with this file and passphrase can decrypt your files. Without them, a lost computer means lost files.')
    expect(text('[data-testid="local-backup-dialog"]')).toContain('At least 12 characters')
    expect(submit().disabled).toBe(true)

    await type('[data-testid="backup-passphrase"] input', 'elevenchars')
    await type('[data-testid="backup-passphrase-again"] input', 'elevenchars')
    expect(submit().disabled).toBe(true)
    expect(text('[data-testid="local-backup-dialog"]')).toContain('11 characters; at least 12 are needed.')

    await type('[data-testid="backup-passphrase"] input', 'twelve chars')
    expect(submit().disabled).toBe(true) // the second field differs now
    expect(text('[data-testid="local-backup-dialog"]')).toContain('The two passphrases differ.')
    await type('[data-testid="backup-passphrase-again"] input', 'twelve chars')
    expect(submit().disabled).toBe(false)

    await click('[data-testid="local-backup-submit"]')
    expect(api.settingsApi.backupLocalKeys).toHaveBeenCalledExactlyOnceWith('twelve chars')
    expect(text('[data-testid="backup-result"]')).toContain('3 key(s) and 1 API key pair(s) are in /home/u/keys.age.')
    expect(text('[data-testid="local-backup-dialog"]')).toContain('a lost computer means lost files')
    expect(document.body.innerHTML).not.toContain('twelve chars')

    // Closed and opened again: an empty form, nothing of the passphrase kept.
    await click('[data-testid="local-backup-close"]')
    expect(settings.localBackup).toBeNull()
    settings.openLocalBackup('backup')
    await flush()
    expect(value('[data-testid="backup-passphrase"]')).toBe('')
    expect(document.querySelector('[data-testid="backup-result"]')).toBeNull()
    w.unmount()
  })

  it('counts characters, not UTF-16 units or bytes: 12 Chinese characters are enough', async () => {
    api.settingsApi.backupLocalKeys.mockResolvedValue({ path: '/p.age', keys: 0, credentials: 0, instances: [] })
    const { w } = await open('backup')
    await type('[data-testid="backup-passphrase"] input', '我的备份口令十一个字')
    await type('[data-testid="backup-passphrase-again"] input', '我的备份口令十一个字')
    expect(submit().disabled).toBe(true)
    const zh = '我的备份口令十二个汉字呀'
    await type('[data-testid="backup-passphrase"] input', zh)
    await type('[data-testid="backup-passphrase-again"] input', zh)
    expect(submit().disabled).toBe(false)
    // 11 emoji are 22 UTF-16 units, but 11 characters.
    await type('[data-testid="backup-passphrase"] input', '🔑'.repeat(11))
    await type('[data-testid="backup-passphrase-again"] input', '🔑'.repeat(11))
    expect(submit().disabled).toBe(true)
    w.unmount()
  })

  it('keeps the form when the save dialog is cancelled, and shows a refusal translated', async () => {
    api.settingsApi.backupLocalKeys.mockResolvedValueOnce({ path: '', keys: 0, credentials: 0, instances: [] })
    api.settingsApi.backupLocalKeys.mockRejectedValueOnce({ code: 'LocalKMS.WeakPassphrase', message: 'raw' })
    const { w } = await open('backup')
    await type('[data-testid="backup-passphrase"] input', 'twelve chars')
    await type('[data-testid="backup-passphrase-again"] input', 'twelve chars')
    await click('[data-testid="local-backup-submit"]')
    expect(document.querySelector('[data-testid="backup-result"]')).toBeNull()
    expect(value('[data-testid="backup-passphrase"]')).toBe('twelve chars')
    await click('[data-testid="local-backup-submit"]')
    const alert = q('[data-testid="error-alert"]')
    expect(alert.getAttribute('data-code')).toBe('LocalKMS.WeakPassphrase')
    expect(alert.textContent).toContain('The passphrase is too short')
    expect(alert.textContent).not.toContain('raw')
    w.unmount()
  })
})

describe('restore local keys', () => {
  it('needs a file and a passphrase; a wrong passphrase keeps the file chosen; the result lists what came back', async () => {
    api.settingsApi.chooseLocalBackup.mockResolvedValue('/media/usb/keys.age')
    api.settingsApi.restoreLocalKeys.mockRejectedValueOnce({ code: 'LocalKMS.BackupPassphrase', message: 'wrong passphrase' })
    api.settingsApi.restoreLocalKeys.mockResolvedValueOnce({
      path: '/media/usb/keys.age', keysAdded: ['k1', 'k2'], keysPresent: ['k3'], versionsAdded: 1,
      aliasesAdded: ['payroll', 'contracts'], credentialsAdded: 2, instances: ['7d0e5c2a-1b3c-4d5e-8f60-718293a4b5c6'],
    })
    const { w, settings } = await open('restore')
    expect(q('[data-testid="local-backup-dialog"]').getAttribute('data-mode')).toBe('restore')
    expect(text('[data-testid="restore-file"]')).toBe('No file chosen yet.')
    await type('[data-testid="restore-passphrase"] input', 'the passphrase')
    expect(submit().disabled).toBe(true)
    await click('[data-testid="restore-choose"]')
    expect(text('[data-testid="restore-file"]')).toBe('/media/usb/keys.age')
    expect(submit().disabled).toBe(false)

    await click('[data-testid="local-backup-submit"]')
    expect(api.settingsApi.restoreLocalKeys).toHaveBeenLastCalledWith('/media/usb/keys.age', 'the passphrase')
    expect(q('[data-testid="error-alert"]').getAttribute('data-code')).toBe('LocalKMS.BackupPassphrase')
    expect(text('[data-testid="error-alert"]')).toContain('Wrong passphrase')
    expect(text('[data-testid="restore-file"]')).toBe('/media/usb/keys.age')

    const before = settings.generation
    await type('[data-testid="restore-passphrase"] input', 'the right one')
    await click('[data-testid="local-backup-submit"]')
    expect(api.settingsApi.restoreLocalKeys).toHaveBeenLastCalledWith('/media/usb/keys.age', 'the right one')
    expect(api.settingsApi.chooseLocalBackup).toHaveBeenCalledOnce()
    expect(text('[data-testid="restore-added"]')).toContain('2')
    expect(text('[data-testid="restore-added"]')).toContain('payroll, contracts')
    expect(text('[data-testid="restore-present"]')).toBe('1')
    expect(text('[data-testid="restore-instances"]')).toBe('7d0e5c2a-1b3c-4d5e-8f60-718293a4b5c6')
    expect(settings.generation).toBe(before + 1) // the views reload their keys
    expect(document.body.innerHTML).not.toContain('the right one')
    w.unmount()
  })

  it('names what clashes when a key of the backup conflicts, as text', async () => {
    api.settingsApi.chooseLocalBackup.mockResolvedValue('/b.age')
    api.settingsApi.restoreLocalKeys.mockRejectedValue({ code: 'LocalKMS.RestoreConflict', message: 'alias "<b>payroll</b>" (ap-guangzhou) of key k1 belongs to key k9 here' })
    const { w } = await open('restore')
    await click('[data-testid="restore-choose"]')
    await type('[data-testid="restore-passphrase"] input', 'p')
    await click('[data-testid="local-backup-submit"]')
    expect(q('[data-testid="error-alert"]').getAttribute('data-code')).toBe('LocalKMS.RestoreConflict')
    const detail = q('[data-testid="restore-conflict-detail"]')
    expect(detail.textContent).toContain('alias "<b>payroll</b>" (ap-guangzhou) of key k1 belongs to key k9 here')
    expect(detail.querySelector('b')).toBeNull()
    w.unmount()
  })

  it('is in Chinese with the UI', async () => {
    i18n.global.locale.value = 'zh-CN'
    const { w, settings } = await open('backup')
    expect(text('[data-testid="backup-warning"]')).toContain('任何拿到此文件和口令的人都能解密您的文件')
    settings.openLocalBackup('restore')
    await flush()
    expect(text('[data-testid="restore-file"]')).toBe('尚未选择文件。')
    w.unmount()
  })
})
