// Typed access to the Go services bound by Wails (frontend/wailsjs is generated from the
// Go code by `make bindings` and committed; `make check-bindings` fails on drift).
// Every call rejects with a BackendError carrying a stable code.
import * as AppSvc from '../../wailsjs/go/service/AppService'
import * as KeySvc from '../../wailsjs/go/service/KeyService'
import * as TextSvc from '../../wailsjs/go/service/TextService'
import * as SettingsSvc from '../../wailsjs/go/service/SettingsService'
import * as FileSvc from '../../wailsjs/go/service/FileService'
import { credentials, kms, service } from '../../wailsjs/go/models'
import { call } from './errors'

type Plain<T> = Omit<T, 'convertValues'>

export type Key = kms.Key
export type KeyPage = kms.KeyPage
export type PublicKey = kms.PublicKey
export type ListOptions = Partial<Plain<kms.ListOptions>>
export type CreateKeyInput = Plain<kms.CreateKeyInput>
export type SignInput = Plain<service.SignInput>
export type SignResult = service.SignResult
export type ContextPair = service.ContextPair
export type TextEncryptResult = service.TextEncryptResult
export type TextDecryptResult = service.TextDecryptResult
export type Preferences = Plain<service.Preferences>
export type AppInfo = service.AppInfo
export type Profile = Plain<credentials.Profile>
export type Region = credentials.Region
export type KeychainStatus = credentials.Status
export type ImportResult = credentials.ImportResult
export type TestResult = service.TestResult
export type ImportPolicy = 'report' | 'skip' | 'replace' | 'rename'

export const keysApi = {
  list: (o: ListOptions) => call(KeySvc.List(kms.ListOptions.createFrom(o))),
  create: (i: CreateKeyInput) => call(KeySvc.Create(kms.CreateKeyInput.createFrom(i))),
  describe: (id: string) => call(KeySvc.Describe(id)),
  updateAlias: (id: string, alias: string) => call(KeySvc.UpdateAlias(id, alias)),
  updateDescription: (id: string, d: string) => call(KeySvc.UpdateDescription(id, d)),
  setEnabled: (ids: string[], on: boolean) => call(KeySvc.SetEnabled(ids, on)),
  scheduleDeletion: (id: string, days: number, confirm: string) => call(KeySvc.ScheduleDeletion(id, days, confirm)),
  cancelDeletion: (id: string) => call(KeySvc.CancelDeletion(id)),
  setRotation: (id: string, on: boolean, days: number) => call(KeySvc.SetRotation(id, on, days)),
  setArchived: (id: string, on: boolean) => call(KeySvc.SetArchived(id, on)),
  publicKey: (id: string) => call(KeySvc.PublicKey(id)),
  savePublicKey: (id: string) => call(KeySvc.SavePublicKey(id)),
  sign: (i: SignInput) => call(KeySvc.Sign(service.SignInput.createFrom(i))),
  verify: (i: SignInput) => call(KeySvc.Verify(service.SignInput.createFrom(i))),
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

export const settingsApi = {
  profiles: () => call(SettingsSvc.Profiles()),
  active: () => call(SettingsSvc.Active()),
  setActive: (name: string) => call(SettingsSvc.SetActive(name)),
  // The SecretKey goes to Go once, inside this call, and is never read back.
  saveProfile: (profile: Profile, secretId: string, secretKey: string) =>
    call(SettingsSvc.SaveProfile(service.ProfileInput.createFrom({ profile, secretId, secretKey }))),
  deleteProfile: (name: string) => call(SettingsSvc.DeleteProfile(name)),
  testProfile: (name: string) => call(SettingsSvc.TestProfile(name)),
  importEnv: (name: string) => call(SettingsSvc.ImportEnv(name)),
  tccliProfiles: () => call(SettingsSvc.TCCLIProfiles()),
  importTCCLI: (tccliName: string, asName: string) => call(SettingsSvc.ImportTCCLI(tccliName, asName)),
  deleteTCCLIFile: (tccliName: string) => call(SettingsSvc.DeleteTCCLIFile(tccliName)),
  exportProfiles: () => call(SettingsSvc.ExportProfiles()),
  // path "" asks with a native dialog.
  importProfiles: (path: string, policy: ImportPolicy) => call(SettingsSvc.ImportProfiles(path, policy)),
  keychainStatus: () => call(SettingsSvc.KeychainStatus()),
  regions: () => call(SettingsSvc.Regions()),
  assumeRole: (name: string, roleArn: string, session: string, minutes: number) =>
    call(SettingsSvc.AssumeRole(name, roleArn, session, minutes)),
  setTemporary: (name: string, secretId: string, secretKey: string, token: string, expiry: number) =>
    call(SettingsSvc.SetTemporary(service.TemporaryInput.createFrom({ name, secretId, secretKey, token, expiry }))),
}

// FileService: batch file jobs (backend/jobs). Progress and results arrive as the
// job:* events (./events.ts).
export type FileAction = 'encrypt' | 'decrypt'
export type FileKind = 'file' | 'folder' | 'envelope' | 'blob'
export type Overwrite = 'ask' | 'skip' | 'rename' | 'overwrite'
export type ConflictDecision = 'overwrite' | 'skip' | 'rename' | 'cancel'
export type JobKind = 'encrypt' | 'decrypt' | 'verify'

// The generated classes type these enums as string; the UI narrows them.
export type FileItem = Omit<service.Item, 'action' | 'kind'> & { action: FileAction; kind: FileKind }
export type EncryptRequest = Omit<Plain<service.EncryptRequest>, 'overwrite'> & { overwrite: Overwrite }
export type DecryptRequest = Omit<Plain<service.DecryptRequest>, 'overwrite'> & { overwrite: Overwrite }
export type JobInfo = Omit<service.JobInfo, 'kind'> & { kind: JobKind }
export type Inspection = Plain<service.Inspection>
export type JobStatus = service.JobStatus

export const filesApi = {
  classify: (paths: string[]) => call(FileSvc.Classify(paths)) as Promise<FileItem[]>,
  encrypt: (r: EncryptRequest) => call(FileSvc.Encrypt(service.EncryptRequest.createFrom(r))) as Promise<JobInfo>,
  decrypt: (r: DecryptRequest) => call(FileSvc.Decrypt(service.DecryptRequest.createFrom(r))) as Promise<JobInfo>,
  verify: (paths: string[]) => call(FileSvc.Verify(paths)) as Promise<JobInfo>,
  inspect: (path: string) => call(FileSvc.Inspect(path)),
  cancel: (id: string) => call(FileSvc.Cancel(id)),
  cancelAll: () => call(FileSvc.CancelAll()),
  resolveConflict: (id: string, decision: ConflictDecision, applyToAll: boolean) => call(FileSvc.ResolveConflict(id, decision, applyToAll)),
  jobs: () => call(FileSvc.Jobs()),
  runningJobs: () => call(FileSvc.RunningJobs()),
  pickFiles: () => call(FileSvc.PickFiles()),
  pickFolder: () => call(FileSvc.PickFolder()),
  showOutput: (id: string, path: string) => call(FileSvc.ShowOutput(id, path)),
}
