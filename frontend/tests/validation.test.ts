import { describe, expect, it } from 'vitest'
import { byteLength, DELETION_DAYS, inRange, ROTATION_DAYS, tagProblem, tagsOf, validAlias, validProfileName, validRegionId } from '../src/validation'

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

describe('key and profile rules', () => {
  it('checks rotation and deletion periods', () => {
    expect(inRange(7, ROTATION_DAYS)).toBe(true)
    expect(inRange(365, ROTATION_DAYS)).toBe(true)
    expect(inRange(6, ROTATION_DAYS)).toBe(false)
    expect(inRange(366, ROTATION_DAYS)).toBe(false)
    expect(inRange(30, DELETION_DAYS)).toBe(true)
    expect(inRange(31, DELETION_DAYS)).toBe(false)
    expect(inRange(7.5, DELETION_DAYS)).toBe(false)
  })
  it('checks tag rows', () => {
    expect(tagProblem([])).toBeNull()
    expect(tagProblem([{ key: '', value: '' }])).toBeNull()
    expect(tagProblem([{ key: 'env', value: 'prod' }, { key: 'team', value: '' }])).toBeNull()
    expect(tagProblem([{ key: '', value: 'orphan' }])).toBe('keys.createDialog.tagKeyMissing')
    expect(tagProblem([{ key: 'env', value: 'a' }, { key: ' env ', value: 'b' }])).toBe('keys.createDialog.tagDuplicate')
    expect(tagsOf([{ key: ' env ', value: ' prod ' }, { key: '', value: '' }])).toEqual({ env: 'prod' })
  })
  it('checks profile names and regions like the credentials package', () => {
    expect(validProfileName('work-prod_1.cn')).toBe(true)
    expect(validProfileName('...')).toBe(false)
    expect(validProfileName('has space')).toBe(false)
    expect(validProfileName('x'.repeat(65))).toBe(false)
    expect(validRegionId('ap-guangzhou')).toBe(true)
    expect(validRegionId('ap-shanghai-fsi')).toBe(true)
    expect(validRegionId('Guangzhou')).toBe(false)
  })
})
