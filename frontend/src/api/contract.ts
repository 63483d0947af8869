// The contract with the Go side, generated (frontend/wailsjs, from
// backend/service/contract.go by `make bindings`): the enums of the `service` namespace
// and short names for its types. Nothing here is written by hand but the aliases. Views
// and components may import this module; only stores import ./backend, which calls Go.
import { service } from '../../wailsjs/go/models'

export { service }

export type Key = service.Key
export type KeyPage = service.KeyPage
export type PublicKey = service.PublicKey
export type ListOptions = Partial<service.ListOptions>
export type CreateKeyInput = service.CreateKeyInput
export type MaterialFile = service.MaterialFile
export type ImportMaterialInput = service.ImportMaterialInput
export type Algorithms = service.Algorithms
export type SignInput = service.SignInput
export type SignResult = service.SignResult
export type ContextPair = service.ContextPair
export type TextEncryptResult = service.TextEncryptResult
export type TextDecryptResult = service.TextDecryptResult
export type OpenedBlob = service.OpenedBlob
export type Preferences = service.Preferences
export type AppInfo = service.AppInfo
export type UIReady = service.UIReady
export type UIMark = service.UIMark
export type Profile = service.Profile
export type ProxySetting = service.ProxySetting
export type Region = service.Region
export type KeychainStatus = service.KeychainStatus
export type ImportResult = service.ImportResult
export type TestResult = service.TestResult
export type BackupResult = service.BackupResult
export type RestoreResult = service.RestoreResult
export type FileItem = service.Item
export type OpenFiles = service.OpenFiles
export type EncryptRequest = service.EncryptRequest
export type DecryptRequest = service.DecryptRequest
export type JobInfo = service.JobInfo
export type JobProgress = service.JobProgress
export type JobFile = service.JobFile
export type JobConflict = service.JobConflict
export type JobSummary = service.JobSummary
export type JobReport = service.JobReport
export type Inspection = service.Inspection
export type InspectionKey = service.InspectionKey
export type RewrapRequest = service.RewrapRequest
export type RecoveryKey = service.RecoveryKey
export type RecoveryKeyFile = service.RecoveryKeyFile
export type InventoryEntry = service.InventoryEntry
export type Dependents = service.Dependents
export type DependentFile = service.DependentFile
