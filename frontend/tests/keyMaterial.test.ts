// The key drawer's rotation and bring-your-own-key parts: the rotation facts and "Rotate
// now" with its confirmation, importing material from a file chosen in Go (only the file
// name and size reach the UI), deleting imported material, creating an external key,
// and signing with ECDSA-384 keys.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { click, flush, mountApp, openDialog, q, type } from './mount'
import { expiryOf } from '../src/validation'
import { keyFixture } from './fixtures'

const api = vi.hoisted(() => ({
  keysApi: {
    list: vi.fn(),
    create: vi.fn(),
    setRotation: vi.fn(),
    rotateNow: vi.fn(),
    pickMaterial: vi.fn(),
    importMaterial: vi.fn(),
    deleteMaterial: vi.fn(),
    algorithms: vi.fn(),
  },
}))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: RotationPanel } = await import('../src/components/RotationPanel.vue')
const { default: MaterialPanel } = await import('../src/components/MaterialPanel.vue')
const { default: ImportMaterialDialog } = await import('../src/dialogs/ImportMaterialDialog.vue')
const { default: CreateKeyDialog } = await import('../src/dialogs/CreateKeyDialog.vue')
const { default: SignPanel } = await import('../src/views/SignPanel.vue')

const ID = '11111111-2222-3333-4444-555555555555'
const key = (over: Record<string, unknown> = {}) => keyFixture({ nextRotateTime: 1731536000, ...over })

const text = (sel: string) => q(sel).textContent?.trim()
const button = (sel: string) => q<HTMLButtonElement>(sel)

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  api.keysApi.list.mockResolvedValue({ keys: [], total: 0 })
  api.keysApi.algorithms.mockResolvedValue({ symmetric: [{ keyUsage: 'ENCRYPT_DECRYPT', algorithm: 'AES_256' }], asymmetricDecrypt: [], asymmetricSign: [], nationalStandard: false })
})

describe('rotation panel', () => {
  it('shows the period and last rotation, and rotates only keys with automatic rotation on', async () => {
    const { w } = mountApp(RotationPanel, { props: { target: key() } })
    await flush()
    expect(text('[data-testid="rotation-period"]')).toBe('Off')
    expect(text('[data-testid="rotation-last"]')).toBe('Never')
    expect(button('[data-testid="rotate-now"]').disabled).toBe(true)
    expect(text('[data-testid="rotate-now-hint"]')).toContain('Turn on automatic rotation')

    await w.setProps({ target: key({ rotationEnabled: true, rotateDays: 30, lastRotateTime: 1700086400 }) })
    await flush()
    expect(text('[data-testid="rotation-period"]')).toBe('Every 30 days')
    expect(text('[data-testid="rotation-last"]')).not.toBe('Never')
    expect(document.querySelector('[data-testid="rotation-next"]')).not.toBeNull()
    expect(button('[data-testid="rotate-now"]').disabled).toBe(false)

    await w.setProps({ target: key({ rotationEnabled: true, rotateDays: 30, keyState: 'Disabled' }) })
    await flush()
    expect(button('[data-testid="rotate-now"]').disabled).toBe(true)
    expect(text('[data-testid="rotate-now-hint"]')).toContain('Enable the key')
    w.unmount()
  })

  it('asks before rotating, rotates once confirmed and hands on the rotated key', async () => {
    const rotated = key({ rotationEnabled: true, rotateDays: 30, lastRotateTime: 1700090000 })
    api.keysApi.rotateNow.mockResolvedValue(rotated)
    const { w } = mountApp(RotationPanel, { props: { target: key({ rotationEnabled: true, rotateDays: 30 }) } })
    await flush()
    await click('[data-testid="rotate-now"]')
    expect(api.keysApi.rotateNow).not.toHaveBeenCalled()
    expect(text('[data-testid="rotate-key-dialog"] p')).toContain('payroll')
    await click('[data-testid="rotate-key-submit"]')
    expect(api.keysApi.rotateNow).toHaveBeenCalledExactlyOnceWith(ID)
    expect(w.emitted('changed')?.at(-1)).toEqual([rotated])
    w.unmount()
  })

  it('shows the once-a-day refusal in the confirmation, translated', async () => {
    api.keysApi.rotateNow.mockRejectedValue({ code: 'RequestLimitExceeded.RotateRateLimited', message: 'once a day' })
    const { w } = mountApp(RotationPanel, { props: { target: key({ rotationEnabled: true, rotateDays: 30 }) } })
    await flush()
    await click('[data-testid="rotate-now"]')
    await click('[data-testid="rotate-key-submit"]')
    const alert = q('[data-testid="rotate-key-dialog"] [data-testid="error-alert"]')
    expect(alert.dataset.code).toBe('RequestLimitExceeded.RotateRateLimited')
    expect(alert.textContent).toContain('less than 24 hours ago')
    expect(w.emitted('changed')).toBeUndefined()
    w.unmount()
  })

  it('saves the automatic rotation period', async () => {
    api.keysApi.setRotation.mockResolvedValue(key({ rotationEnabled: true, rotateDays: 90 }))
    const { w } = mountApp(RotationPanel, { props: { target: key() } })
    await flush()
    expect(button('[data-testid="drawer-rotation-save"]').disabled).toBe(true)
    await click('[data-testid="drawer-rotation-switch"]')
    await type('[data-testid="drawer-rotation-days"] input', '90')
    q('[data-testid="drawer-rotation-days"] input').dispatchEvent(new Event('blur'))
    await flush()
    await click('[data-testid="drawer-rotation-save"]')
    expect(api.keysApi.setRotation).toHaveBeenCalledExactlyOnceWith(ID, true, 90)
    expect(w.emitted('changed')?.at(-1)?.[0]).toMatchObject({ rotateDays: 90 })
    w.unmount()
  })
})

describe('material panel', () => {
  it('tells a key without material to import some, and offers no delete', async () => {
    const { w } = mountApp(MaterialPanel, { props: { target: key({ origin: 'EXTERNAL', keyState: 'PendingImport' }) } })
    await flush()
    expect(text('[data-testid="material-none"]')).toContain('No key material yet')
    expect(text('[data-testid="import-material"]')).toBe('Import key material…')
    expect(document.querySelector('[data-testid="delete-material"]')).toBeNull()
    w.unmount()
  })

  it('deletes the material only after the warning is confirmed', async () => {
    api.keysApi.deleteMaterial.mockResolvedValue(key({ origin: 'EXTERNAL', keyState: 'PendingImport' }))
    const { w } = mountApp(MaterialPanel, { props: { target: key({ origin: 'EXTERNAL', validTo: 1900000000 }) } })
    await flush()
    expect(text('[data-testid="material-expires"]')).not.toBe('Never')
    await click('[data-testid="delete-material"]')
    expect(text('[data-testid="delete-material-dialog"]')).toContain('stops working at once')
    expect(api.keysApi.deleteMaterial).not.toHaveBeenCalled()
    await click('[data-testid="delete-material-submit"]')
    expect(api.keysApi.deleteMaterial).toHaveBeenCalledExactlyOnceWith(ID)
    expect(w.emitted('changed')?.at(-1)?.[0]).toMatchObject({ keyState: 'PendingImport' })
    w.unmount()
  })
})

describe('import material dialog', () => {
  const external = key({ origin: 'EXTERNAL', keyState: 'PendingImport' })

  it('imports the picked file with an expiry; only its path, never its content, is sent', async () => {
    api.keysApi.pickMaterial.mockResolvedValue({ path: '/home/me/keys/payroll.key', name: 'payroll.key', bits: 256, wantBits: 256, problem: '' })
    api.keysApi.importMaterial.mockResolvedValue(key({ origin: 'EXTERNAL' }))
    const { w } = await openDialog(ImportMaterialDialog, { target: external })
    expect(button('[data-testid="import-material-submit"]').disabled).toBe(true)
    await click('[data-testid="material-pick"]')
    expect(api.keysApi.pickMaterial).toHaveBeenCalledExactlyOnceWith(ID)
    expect(text('[data-testid="material-file"]')).toBe('payroll.key')
    expect(text('[data-testid="material-bits"]')).toBe('256-bit key')
    // SM2 is offered only in national-standard regions.
    expect(text('[data-testid="import-material-dialog"]')).not.toContain('SM2 (national standard)')

    await click('[data-testid="material-expiry-date"]')
    await type('[data-testid="material-date"]', '2030-06-30')
    await click('[data-testid="import-material-submit"]')
    expect(api.keysApi.importMaterial).toHaveBeenCalledExactlyOnceWith({
      keyId: ID,
      path: '/home/me/keys/payroll.key',
      validTo: expiryOf('2030-06-30'),
      wrapping: 'RSAES_OAEP_SHA_256',
    })
    expect(w.emitted('imported')).toHaveLength(1)
    expect(w.emitted('update:visible')?.at(-1)).toEqual([false])
    w.unmount()
  })

  it('refuses a file of the wrong size for the region, and a past expiry', async () => {
    api.keysApi.algorithms.mockResolvedValue({ symmetric: [{ keyUsage: 'ENCRYPT_DECRYPT', algorithm: 'SM4' }], asymmetricDecrypt: [], asymmetricSign: [], nationalStandard: true })
    api.keysApi.pickMaterial.mockResolvedValue({ path: '/k/aes.key', name: 'aes.key', bits: 256, wantBits: 128, problem: 'Key.MaterialSizeMismatch' })
    const { w } = await openDialog(ImportMaterialDialog, { target: external })
    await click('[data-testid="material-pick"]')
    expect(text('[data-testid="material-problem"]')).toBe('This file holds a 256-bit key, but keys in this region take 128-bit material.')
    expect(button('[data-testid="import-material-submit"]').disabled).toBe(true)

    api.keysApi.pickMaterial.mockResolvedValue({ path: '/k/sm4.key', name: 'sm4.key', bits: 128, wantBits: 128, problem: '' })
    await click('[data-testid="material-pick"]')
    expect(document.querySelector('[data-testid="material-problem"]')).toBeNull()
    expect(button('[data-testid="import-material-submit"]').disabled).toBe(false)
    await click('[data-testid="material-expiry-date"]')
    await type('[data-testid="material-date"]', '2001-01-01')
    expect(text('[data-testid="material-date-problem"]')).toContain('future date')
    expect(button('[data-testid="import-material-submit"]').disabled).toBe(true)
    expect(api.keysApi.importMaterial).not.toHaveBeenCalled()
    w.unmount()
  })

  it('offers SM2 wrapping in a national-standard region and sends it', async () => {
    api.keysApi.algorithms.mockResolvedValue({ symmetric: [{ keyUsage: 'ENCRYPT_DECRYPT', algorithm: 'SM4' }], asymmetricDecrypt: [], asymmetricSign: [], nationalStandard: true })
    api.keysApi.pickMaterial.mockResolvedValue({ path: '/k/sm4.key', name: 'sm4.key', bits: 128, wantBits: 128, problem: '' })
    api.keysApi.importMaterial.mockResolvedValue(key({ origin: 'EXTERNAL' }))
    const { w } = await openDialog(ImportMaterialDialog, { target: external })
    await click('[data-testid="material-pick"]')
    await click('[data-testid="material-wrapping"] .t-input')
    const sm2 = [...document.querySelectorAll<HTMLElement>('.t-select-option')].find((e) => e.textContent?.includes('SM2'))
    expect(sm2).toBeTruthy()
    sm2!.click()
    await flush()
    await click('[data-testid="import-material-submit"]')
    expect(api.keysApi.importMaterial).toHaveBeenCalledExactlyOnceWith({ keyId: ID, path: '/k/sm4.key', validTo: 0, wrapping: 'SM2' })
    w.unmount()
  })

  it('keeps the dialog open with the cancelled pick', async () => {
    api.keysApi.pickMaterial.mockResolvedValue({ path: '', name: '', bits: 0, wantBits: 256, problem: '' })
    const { w } = await openDialog(ImportMaterialDialog, { target: external })
    await click('[data-testid="material-pick"]')
    expect(document.querySelector('[data-testid="material-file"]')).toBeNull()
    expect(button('[data-testid="import-material-submit"]').disabled).toBe(true)
    w.unmount()
  })
})

describe('create key dialog', () => {
  it('creates an external key for encryption, without asking for a usage', async () => {
    api.keysApi.create.mockResolvedValue(key({ origin: 'EXTERNAL', keyState: 'PendingImport' }))
    const { w } = await openDialog(CreateKeyDialog, {})
    await type('[data-testid="alias-input"] input', 'own-key')
    await click('[data-testid="origin-external"]')
    expect(document.querySelector('[data-testid="usage-select"]')).toBeNull()
    expect(text('[data-testid="create-key-dialog"]')).toContain('import your own key material')
    await click('[data-testid="create-key-submit"]')
    expect(api.keysApi.create).toHaveBeenCalledExactlyOnceWith({ alias: 'own-key', description: '', usage: 'ENCRYPT_DECRYPT', tags: {}, external: true })
    w.unmount()
  })
})

describe('sign panel', () => {
  it('signs with ECDSA-384 keys by SHA-384', async () => {
    const { w } = mountApp(SignPanel, { props: { keyId: ID, usage: 'ASYMMETRIC_SIGN_VERIFY_ECDSA384', enabled: true } })
    await flush()
    expect(q<HTMLInputElement>('[data-testid="sign-algorithm"] input').value).toBe('ECDSA384_SHA384')
    expect(text('.mode')).toContain('File (SHA-384 digest)')
    w.unmount()
  })
})

describe('expiryOf', () => {
  it('is the end of the chosen day, local time', () => {
    expect(expiryOf('2030-06-30')).toBe(new Date(2030, 6, 1).getTime() / 1000)
    for (const bad of ['', '2030-02-30', '30-06-2030', '2030-6-1', '2030-06-30T00:00']) expect(expiryOf(bad)).toBeNull()
  })
})
