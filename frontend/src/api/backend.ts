// Typed access to the Go services bound by Wails (frontend/wailsjs is generated from the
// Go code by `make bindings` and committed; `make check-bindings` fails on drift).
// Every call rejects with a BackendError carrying a stable code.
import * as AppSvc from '../../wailsjs/go/service/AppService'
import * as KeySvc from '../../wailsjs/go/service/KeyService'
import * as TextSvc from '../../wailsjs/go/service/TextService'
import { kms, service } from '../../wailsjs/go/models'
import { call } from './errors'

export type Key = kms.Key
export type KeyPage = kms.KeyPage
export type ListOptions = Partial<Omit<kms.ListOptions, 'convertValues'>>
export type CreateKeyInput = Omit<kms.CreateKeyInput, 'convertValues'>
export type ContextPair = service.ContextPair
export type TextEncryptResult = service.TextEncryptResult
export type TextDecryptResult = service.TextDecryptResult
export type Preferences = Omit<service.Preferences, 'convertValues'>
export type AppInfo = service.AppInfo

export const keysApi = {
  list: (o: ListOptions) => call(KeySvc.List(kms.ListOptions.createFrom(o))),
  create: (i: CreateKeyInput) => call(KeySvc.Create(kms.CreateKeyInput.createFrom(i))),
  describe: (id: string) => call(KeySvc.Describe(id)),
}

export const textApi = {
  encrypt: (keyId: string, text: string, isBase64: boolean, context: ContextPair[]) =>
    call(TextSvc.Encrypt(service.TextEncryptInput.createFrom({ keyId, text, isBase64, context }))),
  decrypt: (blob: string, context: ContextPair[]) =>
    call(TextSvc.Decrypt(service.TextDecryptInput.createFrom({ blob, context }))),
  saveBlob: (blob: string) => call(TextSvc.SaveBlob(blob)),
  openBlob: () => call(TextSvc.OpenBlob()),
  copySecret: (text: string) => call(TextSvc.CopySecret(text)),
}

export const appApi = {
  info: () => call(AppSvc.Info()),
  preferences: () => call(AppSvc.Preferences()),
  savePreferences: (p: Preferences) => call(AppSvc.SavePreferences(service.Preferences.createFrom(p))),
  takeLaunchFiles: () => call(AppSvc.TakeLaunchFiles()),
  quit: () => call(AppSvc.Quit()),
  uiReady: (view: string) => call(AppSvc.UIReady(view)),
}
