import { describe, expect, it } from 'vitest'
import { BackendError, call, toBackendError } from '../src/api/errors'
import { errorText } from '../src/i18n/errors'

describe('toBackendError', () => {
  it('keeps the code of the Go ErrorFormatter object', () => {
    const e = toBackendError({ code: 'ResourceUnavailable.CmkDisabled', message: 'kms Encrypt: …' })
    expect(e).toBeInstanceOf(BackendError)
    expect(e.code).toBe('ResourceUnavailable.CmkDisabled')
  })
  it('parses a JSON string rejection', () => {
    expect(toBackendError('{"code":"Envelope.AuthenticationFailed","message":"x"}').code).toBe('Envelope.AuthenticationFailed')
  })
  it('maps plain strings and Errors to App.UnknownError', () => {
    expect(toBackendError('boom').code).toBe('App.UnknownError')
    expect(toBackendError(new Error('boom')).message).toBe('boom')
    expect(toBackendError(42).code).toBe('App.UnknownError')
  })
  it('call rethrows as BackendError', async () => {
    await expect(call(Promise.reject({ code: 'A.B', message: 'm' }))).rejects.toMatchObject({ code: 'A.B' })
    await expect(call(Promise.resolve(7))).resolves.toBe(7)
  })
})

describe('errorText', () => {
  it('translates a known code in both languages', () => {
    const err = new BackendError('ResourceUnavailable.CmkDisabled', 'raw go text')
    expect(errorText(err, 'en').title).toBe('The key is disabled')
    expect(errorText(err, 'zh-CN').title).toBe('密钥已被禁用')
    expect(errorText(err, 'en').title).not.toContain('raw go text')
  })
  it('falls back to the parent code, then to a generic text with the code', () => {
    expect(errorText(new BackendError('AuthFailure.SomethingNew', ''), 'en').title).toBe('Tencent Cloud refused the credentials')
    const unknown = errorText(new BackendError('Totally.Unknown', 'secret detail'), 'en')
    expect(unknown.title).toBe('Something went wrong')
    expect(unknown.code).toBe('Totally.Unknown')
    expect(unknown.title + unknown.hint).not.toContain('secret detail')
  })
})
