// Package credentials manages KMS Desk's connection profiles and the
// secrets that go with them.
//
// A [Profile] says where a KMS is (kind, region, endpoint, timeout,
// language). Profiles live in a JSON file, <os.UserConfigDir()>/kmsdesk/
// profiles.json, written atomically with mode 0600 in a 0700 directory.
// That file never contains a secret: only whether one exists and a masked
// SecretId. A built-in profile "local" (the embedded local KMS, which needs
// no secret) exists from the first run so the app works offline at once.
//
// # Secrets
//
// Long-term keys (SecretId and SecretKey) are kept only in the OS keychain
// through github.com/zalando/go-keyring: one item per profile, service
// [KeychainService], user = profile name, value = a small JSON object,
// capped at [MaxKeychainItemBytes]. Temporary (STS) credentials go to a
// separate item "<name>#sts", or stay in memory when they do not fit.
// Every keychain call has a timeout, and on Linux/BSD a call is never made
// without a session bus, so no D-Bus daemon is ever autolaunched. Failures
// come back as *[Error] with a stable Keychain.* code and an English hint
// ([CodeKeychainNoSessionBus], [CodeKeychainLocked], …). When no keychain
// exists at all, secrets are kept for the session only, in memory, and the
// profile is labelled so ([Profile.SessionOnly]); they are never written to
// a plaintext file.
//
// # Imports and exports
//
// [Store.ImportEnv] reads the TENCENTCLOUD_* variables; [Store.ImportTCCLI]
// reads tccli's ~/.tccli/<name>.credential and .configure files and
// [Store.DeleteTCCLICredentialFile] removes the plaintext credential file
// when the user asks. [Store.Export] and [Store.Import] move profiles
// (never secrets) between machines in a versioned JSON file; Import never
// overwrites silently ([ConflictPolicy]).
//
// # Temporary credentials
//
// [Store.SetTemporary] stores credentials the user pastes;
// [Store.AssumeRole] gets them from sts:AssumeRole with the profile's
// long-term keys, and [Store.Credentials] then refreshes them when less
// than [RefreshBefore] is left.
//
// docs/CREDENTIALS.md describes storage per OS, the failure classes and what
// users should do about each, and the file formats.
package credentials
