// Package credentials manages KMS Desk's connection profiles and the
// secrets that go with them.
//
// A [Profile] says where a KMS is (kind, region, endpoint, timeout,
// language). Endpoints are parsed, and stored in canonical form, by package
// backend/endpoint, which also gives a profile without one the Tencent Cloud
// endpoint that serves its region and derives the STS endpoint. Profiles live in a JSON file, <os.UserConfigDir()>/kmsdesk/
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
// come back with a stable Keychain.* code ([CodeKeychainNoSessionBus],
// [CodeKeychainLocked], …) and an English hint ([HintFor]). When no keychain
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
// than [RefreshBefore] is left. Credentials are the client's own type,
// kms.Credentials, so what the store returns is what a KMS client signs with.
//
// # Errors
//
// Every user-facing failure is an *errcode.Error (package backend/errcode), or
// wraps one, with one of the Code* codes of this package or, for AssumeRole, the
// Tencent Cloud code. Find it with errcode.Code; [HintFor] gives the English hint.
//
// docs/CREDENTIALS.md describes storage per OS, the failure classes and what
// users should do about each, and the file formats.
package credentials
