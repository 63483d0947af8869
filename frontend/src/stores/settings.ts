import { defineStore } from 'pinia'
import { ref } from 'vue'
import { settingsApi, service, type BackupResult, type ImportResult, type KeychainStatus, type Profile, type RecoveryKey, type Region, type RestoreResult, type TestResult } from '../api/backend'
import { EV, on } from '../api/events'
import type { Locale } from '../i18n'

// The profiles store holds what the UI shows about connections. It never holds a
// SecretKey: profiles come from Go with a masked SecretId only, and the key typed in
// the profile dialog goes straight from the form field to SettingsService.SaveProfile
// (saveProfile and setTemporary pass secrets through and keep nothing of them).
//
// The actions that change profiles answer with the profile; the views read the list
// again afterwards (load), so a failed re-read is reported apart from the change.
export const useSettingsStore = defineStore('settings', () => {
  const profiles = ref<Profile[]>([])
  const active = ref<Profile | null>(null)
  const regions = ref<Region[]>([])
  const keychain = ref<KeychainStatus | null>(null)
  // generation increases whenever the connection changes, so views reload their data.
  const generation = ref(0)
  // localBackup is the open LocalBackupDialog ('backup' or 'restore'), or null. Any view
  // opens it with openLocalBackup (e.g. a warning before the first encryption with the
  // local KMS: "Back up local keys…").
  const localBackup = ref<'backup' | 'restore' | null>(null)

  async function load() {
    const [list, act] = await Promise.all([settingsApi.profiles(), settingsApi.active()])
    profiles.value = list ?? []
    active.value = act
  }

  async function loadRegions() {
    regions.value = (await settingsApi.regions()) ?? []
  }

  async function loadKeychain() {
    keychain.value = await settingsApi.keychainStatus()
  }

  async function setActive(name: string) {
    const p = await settingsApi.setActive(name)
    changed(p)
  }

  // changed records a new active profile (from SetActive or the profile:changed event).
  function changed(p: Profile) {
    const a = active.value
    const switched =
      a?.name !== p.name || a?.region !== p.region || a?.endpoint !== p.endpoint || a?.proxy?.mode !== p.proxy?.mode || a?.proxy?.url !== p.proxy?.url
    active.value = p
    const i = profiles.value.findIndex((x) => x.name === p.name)
    if (i >= 0) profiles.value[i] = p
    if (switched) generation.value++
  }

  // renewed records that the active profile got new credentials (after they had
  // expired): the views load their data again, as after a change of connection.
  function renewed(p: Profile) {
    if (active.value?.name === p.name) active.value = p
    generation.value++
  }

  // listen follows the profile:changed event of the Go side; it returns the unsubscribe
  // function.
  function listen(): () => void {
    return on(EV.profileChanged, changed)
  }

  // --- profiles ----------------------------------------------------------------------

  // saveProfile creates or updates a profile. An empty secretKey (proxyPassword) keeps
  // the stored one.
  function saveProfile(profile: Profile, secretId: string, secretKey: string, proxyPassword = ''): Promise<Profile> {
    return settingsApi.saveProfile(profile, secretId, secretKey, proxyPassword)
  }

  function deleteProfile(name: string): Promise<void> {
    return settingsApi.deleteProfile(name)
  }

  // testProfile makes one cheap call with the profile; a failed connection is a result
  // (ok: false with its code), not an error.
  function testProfile(name: string): Promise<TestResult> {
    return settingsApi.testProfile(name)
  }

  // assumeRole gives a profile temporary credentials from a CAM role, assumed with its
  // stored keys.
  function assumeRole(name: string, roleArn: string, session: string, minutes: number): Promise<Profile> {
    return settingsApi.assumeRole(name, roleArn, session, minutes)
  }

  // setTemporary stores temporary credentials typed by hand (expiry: Unix seconds, 0 =
  // unknown) and answers with the profile.
  function setTemporary(name: string, secretId: string, secretKey: string, token: string, expiry: number): Promise<Profile> {
    return settingsApi.setTemporary(name, secretId, secretKey, token, expiry)
  }

  // --- recovery keys ---------------------------------------------------------------

  // createRecoveryKey makes a recovery key saved where the user chooses; its path is ""
  // when the user cancelled.
  function createRecoveryKey(postQuantum: boolean): Promise<RecoveryKey> {
    return settingsApi.createRecoveryKey(postQuantum)
  }

  // setRecovery gives a profile its recovery recipients (every file it encrypts gets a
  // slot for each) and records the saved profile.
  async function setRecovery(name: string, recipients: string[]): Promise<Profile> {
    const p = profiles.value.find((x) => x.name === name)
    if (!p) throw new Error(`no profile ${name}`)
    const saved = await settingsApi.saveProfile({ ...p, recovery: recipients }, '', '')
    const i = profiles.value.findIndex((x) => x.name === name)
    if (i >= 0) profiles.value[i] = saved
    if (active.value?.name === name) active.value = saved
    return saved
  }

  // --- imports and exports -------------------------------------------------------------

  function importEnv(name: string): Promise<Profile> {
    return settingsApi.importEnv(name)
  }

  // tccliProfiles lists the profiles of tccli's credential files.
  async function tccliProfiles(): Promise<string[]> {
    return (await settingsApi.tccliProfiles()) ?? []
  }

  function importTCCLI(tccliName: string, asName: string): Promise<Profile> {
    return settingsApi.importTCCLI(tccliName, asName)
  }

  // deleteTCCLIFile removes tccli's plaintext credential file of a profile (asked for
  // after an import, never done silently).
  function deleteTCCLIFile(tccliName: string): Promise<void> {
    return settingsApi.deleteTCCLIFile(tccliName)
  }

  // exportProfiles writes the profiles (without secrets) where the user chooses; "" when
  // cancelled.
  function exportProfiles(): Promise<string> {
    return settingsApi.exportProfiles()
  }

  // importProfiles reads a file the user chooses (native dialog); names already in use
  // are handled by the policy.
  function importProfiles(policy: service.ImportPolicy): Promise<ImportResult> {
    return settingsApi.importProfiles('', policy)
  }

  // --- backup and restore of the local KMS's keys ------------------------------------
  // The passphrase goes straight from the dialog's field through these actions to Go;
  // the store keeps nothing of it.

  function openLocalBackup(mode: 'backup' | 'restore') {
    localBackup.value = mode
  }

  // backupLocalKeys seals the local keys with the passphrase and writes them where the
  // user chooses (native dialog); path "" when cancelled.
  function backupLocalKeys(passphrase: string): Promise<BackupResult> {
    return settingsApi.backupLocalKeys(passphrase)
  }

  // chooseLocalBackup asks for a backup file (native dialog); "" when cancelled.
  function chooseLocalBackup(): Promise<string> {
    return settingsApi.chooseLocalBackup()
  }

  // restoreLocalKeys merges a backup into the local KMS, all or nothing. Keys were added:
  // the views reload their data.
  async function restoreLocalKeys(path: string, passphrase: string): Promise<RestoreResult> {
    const r = await settingsApi.restoreLocalKeys(path, passphrase)
    if (r.path) generation.value++
    return r
  }

  return {
    profiles,
    active,
    regions,
    keychain,
    generation,
    localBackup,
    load,
    loadRegions,
    loadKeychain,
    setActive,
    changed,
    renewed,
    listen,
    saveProfile,
    deleteProfile,
    testProfile,
    assumeRole,
    setTemporary,
    createRecoveryKey,
    setRecovery,
    importEnv,
    tccliProfiles,
    importTCCLI,
    deleteTCCLIFile,
    exportProfiles,
    importProfiles,
    openLocalBackup,
    backupLocalKeys,
    chooseLocalBackup,
    restoreLocalKeys,
  }
})

// regionName shows a region in the UI language (its ID when unknown).
export function regionName(id: string, regions: Region[], locale: Locale): string {
  const r = regions.find((x) => x.id === id)
  if (!r) return id
  return locale === 'zh-CN' ? r.nameZh || id : r.nameEn || id
}
