// The dialogs that guard irreversible or blocking actions: scheduling a key deletion
// (typed confirmation), answering a file conflict, quitting while jobs run.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { flush, mountApp, openDialog, q, type } from './mount'

const api = vi.hoisted(() => ({
  keysApi: { scheduleDeletion: vi.fn(), list: vi.fn(() => Promise.resolve({ keys: [], total: 0 })) },
  filesApi: { resolveConflict: vi.fn(() => Promise.resolve()) },
  appApi: { quit: vi.fn(() => Promise.resolve()) },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: DeleteKeyDialog } = await import('../src/dialogs/DeleteKeyDialog.vue')
const { default: ConflictDialog } = await import('../src/dialogs/ConflictDialog.vue')
const { default: CloseConfirmDialog } = await import('../src/dialogs/CloseConfirmDialog.vue')
const { useFilesStore } = await import('../src/stores/files')

const key = { keyId: 'aaaaaaaa-0000-0000-0000-000000000001', alias: 'payroll-2026', keyState: 'Disabled' }

beforeEach(() => {
  document.body.replaceChildren()
  for (const group of Object.values(api)) for (const f of Object.values(group)) f.mockClear()
})

describe('schedule deletion', () => {
  it('stays disabled until the alias is typed exactly, then sends what was typed', async () => {
    api.keysApi.scheduleDeletion.mockResolvedValue({ ...key, keyState: 'PendingDelete' })
    const { w } = await openDialog(DeleteKeyDialog, { target: key })
    const submit = () => q<HTMLButtonElement>('[data-testid="delete-submit"]')
    expect(submit().disabled).toBe(true)
    await type('[data-testid="delete-confirm"] input', 'payroll-202')
    expect(submit().disabled).toBe(true)
    await type('[data-testid="delete-confirm"] input', 'Payroll-2026')
    expect(submit().disabled).toBe(true)
    await type('[data-testid="delete-confirm"] input', 'payroll-2026')
    expect(submit().disabled).toBe(false)
    submit().click()
    await flush()
    expect(api.keysApi.scheduleDeletion).toHaveBeenCalledWith(key.keyId, 30, 'payroll-2026')
    expect(w.emitted('scheduled')?.[0]?.[0]).toMatchObject({ keyState: 'PendingDelete' })
    w.unmount()
  })

  it('asks for the KeyId of a key without alias and shows the translated error', async () => {
    api.keysApi.scheduleDeletion.mockRejectedValue({ code: 'Key.ConfirmationMismatch', message: 'raw' })
    const { w } = await openDialog(DeleteKeyDialog, { target: { ...key, alias: '' } })
    await type('[data-testid="delete-confirm"] input', key.keyId)
    q<HTMLButtonElement>('[data-testid="delete-submit"]').click()
    await flush()
    expect(api.keysApi.scheduleDeletion).toHaveBeenCalledWith(key.keyId, 30, key.keyId)
    const alert = q('[data-testid="error-alert"]')
    expect(alert.getAttribute('data-code')).toBe('Key.ConfirmationMismatch')
    expect(alert.textContent).toContain('The confirmation does not match')
    expect(alert.textContent).not.toContain('raw')
    w.unmount()
  })
})

describe('conflict dialog', () => {
  it('shows the waiting conflict and answers it with the chosen decision', async () => {
    const { w } = mountApp(ConflictDialog)
    const files = useFilesStore()
    files.onConflict({ id: 'j1', path: '/in/a.txt', output: '/out/a.txt.kmsenc' })
    files.onConflict({ id: 'j1', path: '/in/b.txt', output: '/out/b.txt.kmsenc' })
    await flush()
    expect(q('[data-testid="conflict-output"]').textContent).toBe('/out/a.txt.kmsenc')
    q<HTMLButtonElement>('[data-testid="conflict-rename"]').click()
    await flush()
    expect(api.filesApi.resolveConflict).toHaveBeenLastCalledWith('j1', 'rename', false)
    expect(q('[data-testid="conflict-output"]').textContent).toBe('/out/b.txt.kmsenc')
    // "apply to all" goes with the answer.
    q<HTMLInputElement>('[data-testid="conflict-apply-all"] input').click()
    await flush()
    q<HTMLButtonElement>('[data-testid="conflict-overwrite"]').click()
    await flush()
    expect(api.filesApi.resolveConflict).toHaveBeenLastCalledWith('j1', 'overwrite', true)
    expect(files.conflicts).toHaveLength(0)
    w.unmount()
  })

  it('treats Escape as Skip, never as Overwrite', async () => {
    const { w } = mountApp(ConflictDialog)
    useFilesStore().onConflict({ id: 'j2', path: '/in/c', output: '/out/c' })
    await flush()
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape', bubbles: true }))
    await flush()
    expect(api.filesApi.resolveConflict).toHaveBeenCalledWith('j2', 'skip', false)
    w.unmount()
  })
})

describe('close confirmation', () => {
  it('quits only after the user confirms', async () => {
    const { w } = mountApp(CloseConfirmDialog, { props: { visible: false, running: 2 } })
    await w.setProps({ visible: true })
    await nextTick()
    await flush()
    expect(q('[data-testid="close-dialog"]').textContent).toContain('2 file jobs are still running')
    q<HTMLButtonElement>('[data-testid="close-keep"]').click()
    await flush()
    expect(api.appApi.quit).not.toHaveBeenCalled()
    expect(w.emitted('update:visible')?.at(-1)).toEqual([false])
    await w.setProps({ visible: true })
    await flush()
    q<HTMLButtonElement>('[data-testid="close-quit"]').click()
    await flush()
    expect(api.appApi.quit).toHaveBeenCalledOnce()
    w.unmount()
  })
})
