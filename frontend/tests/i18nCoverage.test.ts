// Every message the code asks for exists, and every error code the Go backend can
// produce has its own translated title and hint (not just a parent-code fallback).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import en from '../src/i18n/locales/en.json'
import zhCN from '../src/i18n/locales/zh-CN.json'
import { service } from '../src/api/contract'

function files(dir: string, ok: (f: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return name === 'testdata' || name === 'node_modules' ? [] : files(p, ok)
    return ok(p) ? [p] : []
  })
}

function lookup(loc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), loc)
}

const src = resolve(__dirname, '../src')
const sources = files(src, (f) => f.endsWith('.vue') || f.endsWith('.ts')).map((f) => readFileSync(f, 'utf8'))

describe('messages used by the code', () => {
  it('exist in the locale files (static keys)', () => {
    const keys = new Set<string>()
    for (const s of sources) for (const m of s.matchAll(/\bt\(\s*'([A-Za-z0-9_.]+)'/g)) keys.add(m[1] as string)
    expect(keys.size).toBeGreaterThan(200)
    const missing = [...keys].filter((k) => typeof lookup(en, k) !== 'string' || typeof lookup(zhCN, k) !== 'string')
    expect(missing).toEqual([])
  })

  it('exist for every value of the computed keys', () => {
    const groups: Record<string, readonly string[]> = {
      usage: ['ENCRYPT_DECRYPT', 'ASYMMETRIC_DECRYPT_RSA_2048', 'ASYMMETRIC_DECRYPT_SM2', 'ASYMMETRIC_SIGN_VERIFY_SM2', 'ASYMMETRIC_SIGN_VERIFY_ECC', 'ASYMMETRIC_SIGN_VERIFY_RSA_2048', 'ASYMMETRIC_SIGN_VERIFY_ECDSA384'],
      'keys.state': ['Enabled', 'Disabled', 'PendingDelete', 'PendingImport', 'Archived'],
      'files.action': ['encrypt', 'decrypt'],
      'files.kind': ['file', 'folder', 'envelope', 'blob'],
      'files.job': ['encrypt', 'decrypt', 'verify', 'rewrap'],
      'files.jobEnded': ['encrypt', 'decrypt', 'verify', 'rewrap'],
      'files.jobPartly': ['encrypt', 'decrypt', 'verify', 'rewrap'],
      'files.jobFailed': ['encrypt', 'decrypt', 'verify', 'rewrap'],
      'files.jobCancelled': ['encrypt', 'decrypt', 'verify', 'rewrap'],
      'files.bytesEnded': ['encrypt', 'decrypt', 'verify', 'rewrap'],
      'rewrap.modeHint': ['move', 'add', 'recovery', 'remove'],
      'guard.title': ['disable', 'archive', 'delete'],
      'guard.only': ['disable', 'archive', 'delete'],
      'guard.proceed': ['disable', 'archive', 'delete'],
      'files.state': ['running', 'done', 'failed', 'cancelled'],
      'files.fileStatus': ['done', 'failed', 'skipped', 'cancelled'],
      'files.overwrite': Object.values(service.Overwrite),
      'settings.profiles.policy': ['rename', 'skip', 'replace'],
      suites: ['auto', 'aes', 'sm4'],
      'keys.aliasProblem': ['empty', 'tooLong', 'firstChar', 'chars', 'reserved'],
    }
    // Every template-literal key in the code belongs to one of the groups above.
    for (const s of sources) {
      for (const m of s.matchAll(/\bt\(\s*`([A-Za-z0-9_.]+)\.\$\{/g)) expect(Object.keys(groups), m[0]).toContain(m[1])
    }
    const missing: string[] = []
    for (const [prefix, values] of Object.entries(groups)) {
      for (const v of values) {
        const k = `${prefix}.${v}`
        if (typeof lookup(en, k) !== 'string' || typeof lookup(zhCN, k) !== 'string') missing.push(k)
      }
    }
    expect(missing).toEqual([])
  })
})

describe('backend error codes', () => {
  // Codes are declared in Go as Code… = "Area.Reason" constants (or code… in localkms),
  // or set inline as Code: "…".
  const backend = resolve(__dirname, '../../backend')
  const goFiles = files(backend, (f) => f.endsWith('.go') && !f.endsWith('_test.go'))
  const codes = new Set<string>()
  for (const f of goFiles) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:[Cc]ode\w*\s*=\s*|Code:\s*)"([A-Za-z]+(?:\.[A-Za-z0-9]+)*)"/g)) codes.add(m[1] as string)
  }

  it('are found in the Go sources', () => {
    expect(goFiles.length).toBeGreaterThan(10)
    expect(codes).toContain('ResourceUnavailable.CmkDisabled')
    expect(codes).toContain('Envelope.AuthenticationFailed')
    expect(codes).toContain('Keychain.NoSessionBus')
  })

  it('each have a title and a hint in both languages', () => {
    const table = (loc: { errors: Record<string, { title: string; hint: string }> }) => loc.errors
    const missing = [...codes].filter((c) => !table(en)[c]?.title || !table(en)[c]?.hint || !table(zhCN)[c]?.title || !table(zhCN)[c]?.hint)
    expect(missing).toEqual([])
  })
})
