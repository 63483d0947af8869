// Typed access to the Go services bound by Wails: the generated functions
// (frontend/wailsjs, `make bindings`; `make check-bindings` fails on drift) with the
// types of ./contract. Every call rejects with a BackendError carrying a stable code.
import * as AppSvc from '../../wailsjs/go/service/AppService'
import * as KeySvc from '../../wailsjs/go/service/KeyService'
import * as TextSvc from '../../wailsjs/go/service/TextService'
import * as SettingsSvc from '../../wailsjs/go/service/SettingsService'
import * as FileSvc from '../../wailsjs/go/service/FileService'
import {
  service,
  type ContextPair,
  type CreateKeyInput,
  type DecryptRequest,
  type EncryptRequest,
  type ImportMaterialInput,
  type ListOptions,
  type Preferences,
  type Profile,
  type UIReady,
  type RewrapRequest,
  type SignInput,
} from './contract'

import { call } from './errors'

export * from './contract'

export const keysApi = {
  list: (o: ListOptions) =>
    call(KeySvc.List({ offset: 0, limit: 0, search: '', state: 0, usage: '', orderAscending: false, origin: '', tags: {}, ...o })),
  // cancelList aborts the key lists being loaded (their HTTP requests end at once).
  cancelList: () => call(KeySvc.CancelList()),
  create: (i: CreateKeyInput) => call(KeySvc.Create(i)),
  describe: (id: string) => call(KeySvc.Describe(id)),
  updateAlias: (id: string, alias: string) => call(KeySvc.UpdateAlias(id, alias)),
  updateDescription: (id: string, d: string) => call(KeySvc.UpdateDescription(id, d)),
  setEnabled: (ids: string[], on: boolean) => call(KeySvc.SetEnabled(ids, on)),
  scheduleDeletion: (id: string, days: number, confirm: string) => call(KeySvc.ScheduleDeletion(id, days, confirm)),
  cancelDeletion: (id: string) => call(KeySvc.CancelDeletion(id)),
  setRotation: (id: string, on: boolean, days: number) => call(KeySvc.SetRotation(id, on, days)),
  rotateNow: (id: string) => call(KeySvc.RotateNow(id)),
  // pickMaterial opens the file dialog in Go; only the file's name and size come back.
  pickMaterial: (id: string) => call(KeySvc.PickMaterial(id)),
  importMaterial: (i: ImportMaterialInput) => call(KeySvc.ImportMaterial(i)),
  deleteMaterial: (id: string) => call(KeySvc.DeleteMaterial(id)),
  algorithms: () => call(KeySvc.Algorithms()),
  setArchived: (id: string, on: boolean) => call(KeySvc.SetArchived(id, on)),
  publicKey: (id: string) => call(KeySvc.PublicKey(id)),
  savePublicKey: (id: string) => call(KeySvc.SavePublicKey(id)),
  sign: (i: SignInput) => call(KeySvc.Sign(i)),
  verify: (i: SignInput) => call(KeySvc.Verify(i)),
  // dependents: the known files on this computer the key opens (the inventory).
  dependents: (id: string) => call(KeySvc.Dependents(id)),
}

export const textApi = {
  encrypt: (keyId: string, text: string, isBase64: boolean, context: ContextPair[]) =>
    call(TextSvc.Encrypt({ keyId, text, isBase64, context })),
  decrypt: (blob: string, context: ContextPair[]) => call(TextSvc.Decrypt({ blob, context })),
  saveBlob: (blob: string) => call(TextSvc.SaveBlob(blob)),
  openBlob: () => call(TextSvc.OpenBlob()),
  copySecret: (text: string) => call(TextSvc.CopySecret(text)),
}

export const appApi = {
  info: () => call(AppSvc.Info()),
  preferences: () => call(AppSvc.Preferences()),
  savePreferences: (p: Preferences) => call(AppSvc.SavePreferences(p)),
  // listening: the UI subscribed to the events; files handed to the app before now
  // arrive as app:open-files.
  listening: () => call(AppSvc.Listening()),
  quit: () => call(AppSvc.Quit()),
  uiReady: (r: UIReady) => call(AppSvc.UIReady(r)),
}

export const settingsApi = {
  profiles: () => call(SettingsSvc.Profiles()),
  active: () => call(SettingsSvc.Active()),
  setActive: (name: string) => call(SettingsSvc.SetActive(name)),
  // The SecretKey and the proxy password go to Go once, inside this call, and are never
  // read back.
  saveProfile: (profile: Profile, secretId: string, secretKey: string, proxyPassword = '') =>
    call(SettingsSvc.SaveProfile({ profile, secretId, secretKey, proxyPassword })),
  deleteProfile: (name: string) => call(SettingsSvc.DeleteProfile(name)),
  testProfile: (name: string) => call(SettingsSvc.TestProfile(name)),
  importEnv: (name: string) => call(SettingsSvc.ImportEnv(name)),
  tccliProfiles: () => call(SettingsSvc.TCCLIProfiles()),
  importTCCLI: (tccliName: string, asName: string) => call(SettingsSvc.ImportTCCLI(tccliName, asName)),
  deleteTCCLIFile: (tccliName: string) => call(SettingsSvc.DeleteTCCLIFile(tccliName)),
  exportProfiles: () => call(SettingsSvc.ExportProfiles()),
  // path "" asks with a native dialog.
  importProfiles: (path: string, policy: service.ImportPolicy) => call(SettingsSvc.ImportProfiles(path, policy)),
  keychainStatus: () => call(SettingsSvc.KeychainStatus()),
  regions: () => call(SettingsSvc.Regions()),
  assumeRole: (name: string, roleArn: string, session: string, minutes: number) =>
    call(SettingsSvc.AssumeRole(name, roleArn, session, minutes)),
  setTemporary: (name: string, secretId: string, secretKey: string, token: string, expiry: number) =>
    call(SettingsSvc.SetTemporary({ name, secretId, secretKey, token, expiry })),
  // createRecoveryKey asks where to save a new recovery key and answers with its public
  // half, and its secret half once, for the print view.
  createRecoveryKey: (postQuantum: boolean) => call(SettingsSvc.CreateRecoveryKey(postQuantum)),
  // The passphrase goes to Go once, inside these calls, and is never read back.
  backupLocalKeys: (passphrase: string) => call(SettingsSvc.BackupLocalKeys(passphrase)),
  chooseLocalBackup: () => call(SettingsSvc.ChooseLocalBackup()),
  restoreLocalKeys: (path: string, passphrase: string) => call(SettingsSvc.RestoreLocalKeys(path, passphrase)),
}

// FileService: batch file jobs (backend/jobs). Progress and results arrive as the
// job:* events (./events.gen.ts).
export const filesApi = {
  addFiles: () => call(FileSvc.AddFiles()),
  addFolder: () => call(FileSvc.AddFolder()),
  pickOutputFolder: () => call(FileSvc.PickOutputFolder()),
  encrypt: (r: EncryptRequest) => call(FileSvc.Encrypt(r)),
  decrypt: (r: DecryptRequest) => call(FileSvc.Decrypt(r)),
  verify: (paths: string[]) => call(FileSvc.Verify(paths)),
  inspect: (path: string) => call(FileSvc.Inspect(path)),
  cancel: (id: string) => call(FileSvc.Cancel(id)),
  // cancelFile cancels one file of a job (the rest of the job goes on).
  cancelFile: (id: string, path: string) => call(FileSvc.CancelFile(id, path)),
  cancelAll: () => call(FileSvc.CancelAll()),
  resolveConflict: (id: string, decision: service.Decision, applyToAll: boolean) => call(FileSvc.ResolveConflict(id, decision, applyToAll)),
  jobs: () => call(FileSvc.Jobs()),
  job: (id: string) => call(FileSvc.Job(id)),
  showOutput: (id: string, path: string) => call(FileSvc.ShowOutput(id, path)),
  // rewrap changes which keys open .kmsenc files, in place; unset lists are empty.
  rewrap: (r: Partial<RewrapRequest> & { paths: string[] }) =>
    call(FileSvc.Rewrap({ to: [], add: [], remove: [], addRecovery: [], profile: '', identityFile: '', ...r })),
  // pickRecoveryKey asks for a recovery key file; the key stays in the file (Go reads it).
  pickRecoveryKey: () => call(FileSvc.PickRecoveryKey()),
  // inventory: the encrypted files written on this computer ("" = all, or one key's).
  inventory: (keyId: string) => call(FileSvc.Inventory(keyId)),
}
