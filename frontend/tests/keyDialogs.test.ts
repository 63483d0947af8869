// Key dialogs and the drawer, as a person meets them: the focus lands in the field to
// fill, a too-long alias is reported with its length and never cut, validation says
// what is wrong; the drawer speaks of a deletion still to come in the future tense and
// keeps cloud facts out of local keys.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp, openDialog, q, type } from './mount'
import { keyFixture, localProfile } from './fixtures'
import { service } from '../src/api/contract'

const api = vi.hoisted(() => ({
  keysApi: { create: vi.fn(), list: vi.fn(), describe: vi.fn(), dependents: vi.fn(), updateAlias: vi.fn(), updateDescription: vi.fn() },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: CreateKeyDialog } = await import('../src/dialogs/CreateKeyDialog.vue')
const { default: DeleteKeyDialog } = await import('../src/dialogs/DeleteKeyDialog.vue')
const { default: KeyDrawer } = await import('../src/views/KeyDrawer.vue')
const { useSettingsStore } = await import('../src/stores/settings')

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
})
afterEach(() => vi.useRealTimers())

describe('create key dialog', () => {
  it('puts the focus in Alias when it opens', async () => {
    const { w } = await openDialog(CreateKeyDialog, {})
    expect(document.activeElement).toBe(q('[data-testid="alias-input"] input'))
    w.unmount()
  })

  it('keeps a pasted 300-character alias whole and says how long it is', async () => {
    const { w } = await openDialog(CreateKeyDialog, {})
    const long = 'a'.repeat(300)
    await type('[data-testid="alias-input"] input', long)
    expect(q<HTMLInputElement>('[data-testid="alias-input"] input').value).toBe(long)
    expect(q('[data-testid="alias-count"]').textContent).toBe('300 / 60')
    expect(q('[data-testid="alias-item"]').textContent).toContain('The alias is 300 characters long; at most 60 are allowed.')
    q('[data-testid="create-key-submit"]').click()
    await flush()
    expect(api.keysApi.create).not.toHaveBeenCalled()
    w.unmount()
  })

  it('says what is wrong with an alias, not only the rule', async () => {
    const { w } = await openDialog(CreateKeyDialog, {})
    const tip = () => q('[data-testid="alias-item"]').textContent ?? ''
    await type('[data-testid="alias-input"] input', 'payroll 2026')
    expect(tip()).toContain("may hold only letters, digits, '-' and '_'")
    await type('[data-testid="alias-input"] input', '-payroll')
    expect(tip()).toContain('must start with a letter or a digit')
    await type('[data-testid="alias-input"] input', 'KMS-payroll')
    expect(tip()).toContain("reserved for cloud products")
    // An empty alias is not an error before the user tries to create the key.
    await type('[data-testid="alias-input"] input', '')
    expect(tip()).not.toContain('Give the key an alias.')
    q('[data-testid="create-key-submit"]').click()
    await flush()
    expect(tip()).toContain('Give the key an alias.')
    w.unmount()
  })
})

describe('key/value rows', () => {
  it('name the row each Remove button removes', async () => {
    const { w } = await openDialog(CreateKeyDialog, {})
    const add = [...document.querySelectorAll<HTMLElement>('[data-testid="tag-rows"] button')].find((b) => b.textContent?.includes('Add tag'))
    add?.click()
    await flush()
    add?.click()
    await flush()
    await type('[data-testid="tag-rows"] .ctx-row:first-child input', 'team')
    const labels = [...document.querySelectorAll('[data-testid="tag-rows"] .ctx-row button')].map((b) => b.getAttribute('aria-label'))
    expect(labels).toEqual(['Remove team', 'Remove row 2'])
    w.unmount()
  })
})

describe('delete key dialog', () => {
  it('puts the focus in the confirmation field when it opens', async () => {
    const { w } = await openDialog(DeleteKeyDialog, { target: keyFixture({ keyState: 'Disabled' }) })
    expect(document.activeElement).toBe(q('[data-testid="delete-confirm"] input'))
    w.unmount()
  })
})

describe('key drawer', () => {
  const day = 86400
  async function drawer(key: ReturnType<typeof keyFixture>, kind: service.ProfileKind) {
    api.keysApi.describe.mockResolvedValue(key)
    const m = mountApp(KeyDrawer, { props: { visible: false, keyId: key.keyId, initial: key } })
    const settings = useSettingsStore()
    settings.active = { ...localProfile, kind, name: kind }
    await m.w.setProps({ visible: true } as never)
    await flush(10)
    return m
  }

  it('says "Will be deleted on" for a date still to come', async () => {
    const soon = Math.floor(Date.now() / 1000) + 7 * day
    const { w } = await drawer(keyFixture({ keyState: 'PendingDelete', deletionDate: soon }), service.ProfileKind.Tencent)
    expect(q('[data-testid="drawer-deletion-label"]').textContent).toBe('Will be deleted on')
    w.unmount()
  })

  it('says "Deleted on" for a date that passed', async () => {
    const past = Math.floor(Date.now() / 1000) - day
    const { w } = await drawer(keyFixture({ keyState: 'PendingDelete', deletionDate: past }), service.ProfileKind.Tencent)
    expect(q('[data-testid="drawer-deletion-label"]').textContent).toBe('Deleted on')
    w.unmount()
  })

  it('keeps the description being typed when the alias saved before it comes back', async () => {
    const key = keyFixture({ description: 'old text' })
    let answer: (k: ReturnType<typeof keyFixture>) => void = () => {}
    api.keysApi.updateAlias.mockReturnValue(new Promise((r) => (answer = r)))
    const { w } = await drawer(key, service.ProfileKind.Local)
    await type('[data-testid="drawer-alias"] input', 'payroll-2027')
    q('[data-testid="drawer-alias-save"]').click()
    await flush()
    await type('[data-testid="drawer-description"] textarea', 'typed while saving')
    answer({ ...key, alias: 'payroll-2027' })
    await flush()
    expect(q<HTMLInputElement>('[data-testid="drawer-alias"] input').value).toBe('payroll-2027')
    expect(q<HTMLTextAreaElement>('[data-testid="drawer-description"] textarea').value).toBe('typed while saving')
    expect(q<HTMLButtonElement>('[data-testid="drawer-description-save"]').disabled).toBe(false)
    w.unmount()
  })

  it('starts from the key again when it is opened again', async () => {
    const key = keyFixture({ description: 'old text' })
    const { w } = await drawer(key, service.ProfileKind.Local)
    await type('[data-testid="drawer-description"] textarea', 'left unsaved')
    await w.setProps({ visible: false } as never)
    await w.setProps({ visible: true } as never)
    await flush(10)
    expect(q<HTMLTextAreaElement>('[data-testid="drawer-description"] textarea').value).toBe('old text')
    w.unmount()
  })

  it('shows the creator account and resource id for cloud keys only', async () => {
    const key = keyFixture({ creatorUin: 100000000001, resourceId: 'creatorUin/100000000001/11111111' })
    let m = await drawer(key, service.ProfileKind.Local)
    expect(document.querySelector('[data-testid="drawer-creator"]')).toBeNull()
    expect(document.body.textContent).not.toContain('100000000001')
    m.w.unmount()
    document.body.replaceChildren()
    m = await drawer(key, service.ProfileKind.Tencent)
    expect(q('[data-testid="drawer-creator"]').textContent).toBe('100000000001')
    m.w.unmount()
  })
})
