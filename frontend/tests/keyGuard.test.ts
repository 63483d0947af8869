// Key-lifecycle guards: before a key is disabled, archived or scheduled for deletion the
// drawer shows the known files that need it and offers to move those only it opens to
// another key (MoveFilesDialog, a re-wrap); decrypt errors say what to do for the key's
// real state and name it.
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp, openDialog, q } from './mount'

const source = { keyId: 'aaaaaaaa-0000-4000-8000-000000000001', alias: 'payroll', description: '', keyState: 'Enabled', keyUsage: 'ENCRYPT_DECRYPT', origin: 'TENCENT_KMS' }
Object.assign(source, { owner: 'user', createTime: 1700000000, rotationEnabled: false, nextRotateTime: 0, deletionDate: 0, validTo: 0, resourceId: '', creatorUin: 0, complianceType: 0 })
const target = { ...source, keyId: 'bbbbbbbb-0000-4000-8000-000000000002', alias: 'archive-2026' }

function dependents(count: number, only: number) {
  const files = Array.from({ length: count }, (_, i) => ({ path: `/home/ann/doc${i}.xlsx.kmsenc`, size: 100 + i, time: 1700000000, only: i < only, offline: false }))
  return { keyId: source.keyId, count, only, files }
}

const api = vi.hoisted(() => ({
  keysApi: { list: vi.fn(), describe: vi.fn(), setEnabled: vi.fn(), setArchived: vi.fn(), dependents: vi.fn() },
  filesApi: { rewrap: vi.fn() },
  appApi: { uiReady: vi.fn(() => Promise.resolve()) },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: KeyDrawer } = await import('../src/views/KeyDrawer.vue')
const { default: MoveFilesDialog } = await import('../src/dialogs/MoveFilesDialog.vue')
const { default: KeyPicker } = await import('../src/components/KeyPicker.vue')
const { default: JobCard } = await import('../src/components/JobCard.vue')
const { useFilesStore } = await import('../src/stores/files')
const { keyStateCase } = await import('../src/i18n/errors')

beforeEach(() => {
  document.body.replaceChildren()
  for (const group of Object.values(api)) for (const f of Object.values(group)) f.mockReset()
  api.appApi.uiReady.mockResolvedValue(undefined)
  api.keysApi.list.mockResolvedValue({ keys: [source, target], total: 2 })
  api.keysApi.describe.mockResolvedValue(source)
  api.keysApi.setEnabled.mockResolvedValue(undefined)
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0))
})
afterEach(() => vi.unstubAllGlobals())

const guardDialog = () => document.querySelector<HTMLElement>('[data-testid="key-guard-dialog"]')
const visibleGuard = () => {
  const d = guardDialog()
  return d !== null && d.closest('.t-dialog__ctx')?.getAttribute('style')?.includes('display: none') !== true
}

async function openDrawer() {
  const m = mountApp(KeyDrawer, { props: { visible: true, keyId: source.keyId, initial: null } })
  await flush(10)
  return m
}

// clickInDrawer opens the drawer and clicks one of its buttons (by test id).
async function clickInDrawer(testid: string) {
  const m = await openDrawer()
  q<HTMLButtonElement>(`[data-testid="${testid}"]`).click()
  await flush(10)
  return m
}

describe('the guard in the key drawer', () => {
  it('lists the files that need the key, folds the rest, and disables only when told to go on', async () => {
    api.keysApi.dependents.mockResolvedValue(dependents(7, 6))
    const { w } = await clickInDrawer('drawer-disable')
    expect(api.keysApi.dependents).toHaveBeenCalledWith(source.keyId)
    expect(api.keysApi.setEnabled).not.toHaveBeenCalled()
    const dialog = q('[data-testid="key-guard-dialog"]')
    expect(dialog.getAttribute('data-count')).toBe('7')
    expect(dialog.getAttribute('data-only')).toBe('6')
    expect(q('[data-testid="guard-summary"]').textContent).toContain('7 encrypted files on this computer open with payroll')
    expect(q('[data-testid="guard-summary"]').textContent).toContain('6 of them open with no other key')
    // Five shown, two folded; the files only this key opens first, and marked.
    expect(q('[data-testid="guard-files"]').querySelectorAll('[data-testid="guard-file"]')).toHaveLength(5)
    expect(document.querySelectorAll('[data-testid="guard-file"]')).toHaveLength(7)
    expect(dialog.querySelector('details summary')?.textContent).toBe('Show 2 more files')
    // "Move files…" comes before going on.
    const buttons = [...dialog.querySelectorAll('button')].map((b) => b.getAttribute('data-testid'))
    expect(buttons.indexOf('guard-move')).toBeLessThan(buttons.indexOf('guard-proceed'))
    expect(q('[data-testid="guard-proceed"]').textContent).toBe('Disable anyway')
    q<HTMLButtonElement>('[data-testid="guard-proceed"]').click()
    await flush(10)
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([source.keyId], false)
    w.unmount()
  })

  it('changes the key at once when no known file needs it', async () => {
    api.keysApi.dependents.mockResolvedValue(dependents(0, 0))
    api.keysApi.setArchived.mockResolvedValue({ ...source, keyState: 'Archived' })
    const { w } = await clickInDrawer('drawer-archive')
    expect(api.keysApi.setArchived).toHaveBeenCalledWith(source.keyId, true)
    expect(visibleGuard()).toBe(false)
    w.unmount()
  })

  it('does not block the change when the list cannot be read, and says so', async () => {
    api.keysApi.dependents.mockRejectedValue({ code: 'Inventory.Corrupt', message: 'raw' })
    const { w } = await clickInDrawer('drawer-disable')
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([source.keyId], false)
    expect(q('[data-testid="guard-error"]').getAttribute('data-code')).toBe('Inventory.Corrupt')
    w.unmount()
  })

  it('offers no move when every file also opens with another key', async () => {
    api.keysApi.dependents.mockResolvedValue(dependents(2, 0))
    const { w } = await clickInDrawer('drawer-disable')
    expect(document.querySelector('[data-testid="guard-move"]')).toBeNull()
    expect(q('[data-testid="guard-summary"]').textContent).toContain('also opens with another key')
    w.unmount()
  })

  it('opens the move dialog with the files that need the key', async () => {
    api.keysApi.dependents.mockResolvedValue(dependents(3, 2))
    const { w } = await clickInDrawer('drawer-disable')
    q<HTMLButtonElement>('[data-testid="guard-move"]').click()
    await flush(10)
    const move = w.findComponent(MoveFilesDialog)
    expect(move.props('paths')).toEqual(['/home/ann/doc0.xlsx.kmsenc', '/home/ann/doc1.xlsx.kmsenc', '/home/ann/doc2.xlsx.kmsenc'])
    expect(q('[data-testid="move-files-dialog"]').textContent).toContain('Give 3 files a new key in place of payroll')
    w.unmount()
  })
})

// "Move files to another key…" is an action of the drawer of its own, shown when the
// inventory knows files on this computer that open with the key.
describe('moving files off a key from its drawer', () => {
  const moveVisible = () => {
    const d = document.querySelector('[data-testid="move-files-dialog"]')
    return d !== null && d.closest('.t-dialog__ctx')?.getAttribute('style')?.includes('display: none') !== true
  }

  it('offers the move with the count of known files, and opens the move dialog with them', async () => {
    api.keysApi.dependents.mockResolvedValue(dependents(3, 2))
    const { w } = await openDrawer()
    expect(api.keysApi.dependents).toHaveBeenCalledWith(source.keyId)
    expect(q('[data-testid="drawer-files"]').textContent).toContain('3 encrypted files on this computer open with this key')
    const button = q<HTMLButtonElement>('[data-testid="drawer-move-files"]')
    expect(button.textContent).toBe('Move files to another key…')
    button.click()
    await flush(10)
    expect(moveVisible()).toBe(true)
    expect(w.findComponent(MoveFilesDialog).props('paths')).toEqual(['/home/ann/doc0.xlsx.kmsenc', '/home/ann/doc1.xlsx.kmsenc', '/home/ann/doc2.xlsx.kmsenc'])
    expect(visibleGuard()).toBe(false)
    // Closed, it goes back to the drawer, not to a guard no change asked for.
    q<HTMLButtonElement>('[data-testid="move-files-dialog"] .dialog-actions button').click()
    await flush(10)
    expect(moveVisible()).toBe(false)
    expect(visibleGuard()).toBe(false)
    expect(api.keysApi.setEnabled).not.toHaveBeenCalled()
    w.unmount()
  })

  it('is not offered when no known file opens with the key, or none can be reached', async () => {
    api.keysApi.dependents.mockResolvedValue(dependents(0, 0))
    let m = await openDrawer()
    expect(api.keysApi.dependents).toHaveBeenCalledWith(source.keyId)
    expect(document.querySelector('[data-testid="drawer-move-files"]')).toBeNull()
    m.w.unmount()
    const offline = dependents(2, 2)
    for (const f of offline.files) f.offline = true
    api.keysApi.dependents.mockResolvedValue(offline)
    m = await openDrawer()
    expect(document.querySelector('[data-testid="drawer-move-files"]')).toBeNull()
    m.w.unmount()
  })

  it('says nothing when the list cannot be read until a change asks for it', async () => {
    api.keysApi.dependents.mockRejectedValue({ code: 'Inventory.Corrupt', message: 'raw' })
    const { w } = await openDrawer()
    expect(document.querySelector('[data-testid="drawer-move-files"]')).toBeNull()
    expect(document.querySelector('[data-testid="guard-error"]')).toBeNull()
    w.unmount()
  })
})

describe('MoveFilesDialog', () => {
  const paths = ['/home/ann/a.kmsenc', '/home/ann/b.kmsenc']

  it('re-wraps the files from the source key to the chosen one and follows the job to its end', async () => {
    api.filesApi.rewrap.mockResolvedValue({ id: 'job-1', kind: 'rewrap', files: 2, bytes: 200 })
    const { w } = await openDialog(MoveFilesDialog, { source, paths })
    const submit = () => q<HTMLButtonElement>('[data-testid="move-submit"]')
    expect(submit().disabled).toBe(true)
    const picker = w.findComponent(KeyPicker)
    picker.vm.$emit('update:modelValue', source.keyId)
    await flush()
    expect(q('[data-testid="move-same-key"]')).toBeTruthy()
    expect(submit().disabled).toBe(true)
    picker.vm.$emit('update:modelValue', target.keyId)
    await flush()
    expect(submit().disabled).toBe(false)
    submit().click()
    await flush()
    expect(api.filesApi.rewrap).toHaveBeenCalledWith(expect.objectContaining({ paths, add: [target.keyId], remove: [source.keyId] }))
    // The job is the files store's, listed in Files, and shown here.
    const files = useFilesStore()
    expect(files.job('job-1')?.label).toBe('Off payroll (2 files)')
    await flush()
    expect(w.findComponent(JobCard).exists()).toBe(true)
    expect(w.emitted('moved')).toBeUndefined()
    const final = { id: 'job-1', kind: 'rewrap', state: 'done', filesDone: 2, filesTotal: 2, bytesDone: 200, bytesTotal: 200, done: 2, failed: 0, skipped: 0, cancelled: 0, bytesPerSec: 0, etaSeconds: 0, startedMs: 0, seconds: 1 }
    files.onDone({ id: 'job-1', kind: 'rewrap', state: 'done', done: 2, failed: 0, skipped: 0, cancelled: 0, bytes: 200, seconds: 1, bytesPerSec: 200, final } as never)
    await flush()
    expect(w.emitted('moved')).toHaveLength(1)
    expect(q('[data-testid="move-done"]').textContent).toContain('2 files now open with the new key')
    w.unmount()
  })

  it('asks to enable a disabled source key first (moving opens the files with it)', async () => {
    api.keysApi.describe.mockResolvedValue({ ...source, keyState: 'Enabled' })
    const { w } = await openDialog(MoveFilesDialog, { source: { ...source, keyState: 'Disabled' }, paths })
    w.findComponent(KeyPicker).vm.$emit('update:modelValue', target.keyId)
    await flush()
    expect(q('[data-testid="move-source-unusable"]').textContent).toContain('enable it first')
    expect(q<HTMLButtonElement>('[data-testid="move-submit"]').disabled).toBe(true)
    q<HTMLButtonElement>('[data-testid="move-enable-source"]').click()
    await flush()
    expect(api.keysApi.setEnabled).toHaveBeenCalledWith([source.keyId], true)
    expect(w.emitted('source')?.[0]?.[0]).toMatchObject({ keyState: 'Enabled' })
    expect(api.filesApi.rewrap).not.toHaveBeenCalled()
    w.unmount()
  })
})

describe('errors of files a key kept closed', () => {
  const failed = { id: 'j', path: '/a.kmsenc', output: '', status: 'failed', errorCode: 'ResourceUnavailable.CmkDisabled', message: 'raw', keyId: source.keyId, recoverable: false }

  // card makes the job a JobCard shows (a store of its own: the card only reads it).
  function card(kind: string) {
    setActivePinia(createPinia())
    const files = useFilesStore()
    files.onFile({ ...failed, id: `j-${kind}` } as never)
    const j = files.job(`j-${kind}`)!
    j.kind = kind as never
    return j
  }

  // errorOf shows a failed file of a job of kind whose key is in state, and returns
  // the error text the card gives it.
  async function errorOf(kind: string, state: string): Promise<string> {
    api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
    api.keysApi.describe.mockResolvedValue({ ...source, keyState: state })
    const { w } = mountApp(JobCard, { props: { job: card(kind) } })
    await flush()
    expect(api.keysApi.describe).toHaveBeenCalledWith(source.keyId)
    const text = q('[data-testid="job-result-error"]').textContent ?? ''
    w.unmount()
    return text
  }

  it('says "cancel the deletion" for a key pending deletion, naming its alias', async () => {
    const text = await errorOf('decrypt', 'PendingDelete')
    expect(text).toContain('The key payroll is scheduled for deletion')
    expect(text).toContain('Cancel the deletion in Keys (key payroll)')
    expect(text).not.toContain('another key')
  })

  it('says "enable" for a disabled key, and never "choose another key" when decrypting', async () => {
    const text = await errorOf('verify', 'Disabled')
    expect(text).toContain('Enable the key in Keys (key payroll)')
    expect(text).not.toContain('another key')
  })

  it('picks the text by job kind and state', () => {
    expect(keyStateCase('decrypt', 'ResourceUnavailable.CmkDisabled', 'PendingDelete')).toBe('pendingDelete')
    expect(keyStateCase('rewrap', 'ResourceUnavailable.CmkDisabled', 'Disabled')).toBe('disabled')
    expect(keyStateCase('decrypt', 'ResourceUnavailable.CmkDisabled', undefined)).toBe('unknown')
    expect(keyStateCase('encrypt', 'ResourceUnavailable.CmkDisabled', 'Disabled')).toBeNull()
    expect(keyStateCase('decrypt', 'Envelope.AuthenticationFailed', 'Disabled')).toBeNull()
  })
})
