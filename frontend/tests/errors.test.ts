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
  it('reads the code of a rejection that is not a BackendError yet', () => {
    expect(errorText({ code: 'ResourceUnavailable.CmkDisabled', message: 'raw' }, 'en').title).toBe('The key is disabled')
    expect(errorText('{"code":"Envelope.AuthenticationFailed","message":"x"}', 'en').code).toBe('Envelope.AuthenticationFailed')
    expect(errorText(new Error('boom'), 'en').code).toBe('App.UnknownError')
  })
  it('falls back to the parent code, then to a generic text with the code', () => {
    expect(errorText(new BackendError('AuthFailure.SomethingNew', ''), 'en').title).toBe('Tencent Cloud refused the credentials')
    const unknown = errorText(new BackendError('Totally.Unknown', 'secret detail'), 'en')
    expect(unknown.title).toBe('Something went wrong')
    expect(unknown.code).toBe('Totally.Unknown')
    expect(unknown.title + unknown.hint).not.toContain('secret detail')
  })
})

describe('errorText for the file, keychain and profile areas', () => {
  it.each([
    ['Envelope.AuthenticationFailed', 'The encrypted file failed its integrity check', '加密文件未通过完整性校验'],
    ['Envelope.ContextMismatch', 'The encryption context does not match', '加密上下文不匹配'],
    ['Keychain.NoSecretService', 'No keychain service is running', '没有运行钥匙串服务'],
    ['Profile.Exists', 'A profile with that name already exists', '同名配置已存在'],
    ['TCCLI.Unsupported', 'This tccli profile cannot be imported', '无法导入此 tccli 配置'],
    ['Job.Cancelled', 'The job was cancelled', '任务已取消'],
    ['App.NotAvailable', 'This feature is not available in this version', '此版本不提供该功能'],
  ])('%s', (code, en, zh) => {
    const err = new BackendError(code, 'go: internal detail')
    expect(errorText(err, 'en').title).toBe(en)
    expect(errorText(err, 'zh-CN').title).toBe(zh)
    expect(errorText(err, 'en').hint).not.toBe('')
    expect(errorText(err, 'en').hint).not.toContain('internal detail')
  })
  it('maps an unknown sub-code of a known area to the area', () => {
    expect(errorText(new BackendError('Keychain.SomethingNew', ''), 'en').title).toBe('Something went wrong')
    expect(errorText(new BackendError('ResourceUnavailable.CmkDisabled.Extra', ''), 'en').title).toBe('The key is disabled')
  })
})
