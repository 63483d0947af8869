import { describe, expect, it } from 'vitest'
import { byteLength, validAlias } from '../src/validation'

describe('validAlias (the service’s alias rules)', () => {
  it.each([
    ['a', true],
    ['payroll-2026', true],
    ['A_b-9', true],
    ['x'.repeat(60), true],
    ['x'.repeat(61), false],
    ['', false],
    ['-lead', false],
    ['_lead', false],
    ['has space', false],
    ['中文', false],
    ['kms-reserved', false],
    ['KMS-reserved', false],
    ['kmsx', true],
    ['<script>', false],
  ])('%s → %s', (alias, ok) => {
    expect(validAlias(alias)).toBe(ok)
  })
})

describe('byteLength', () => {
  it('counts UTF-8 bytes of text', () => {
    expect(byteLength('abc', false)).toBe(3)
    expect(byteLength('密钥', false)).toBe(6)
    expect(byteLength('✓', false)).toBe(3)
  })
  it('counts decoded bytes of base64 and rejects invalid base64', () => {
    expect(byteLength('aGVsbG8=', true)).toBe(5)
    expect(byteLength('aGVsbG8h', true)).toBe(6)
    expect(byteLength('aGVs bG8=', true)).toBe(5)
    expect(byteLength('', true)).toBe(0)
    expect(byteLength('abc', true)).toBeNull()
    expect(byteLength('ab$=', true)).toBeNull()
  })
})
