package credentials

import (
	"errors"
	"fmt"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// Stable error codes of this package, found with errcode.Code. The UI translates by
// code; the English message and [HintFor] are only a fallback.
const (
	// CodeKeychainNoSessionBus: Linux/BSD only. No D-Bus session bus can be found
	// (DBUS_SESSION_BUS_ADDRESS is unset or points at a socket that does not exist).
	CodeKeychainNoSessionBus = "Keychain.NoSessionBus"
	// CodeKeychainNoSecretService: a session bus exists but nothing provides
	// org.freedesktop.secrets (no gnome-keyring, KWallet or KeePassXC running).
	CodeKeychainNoSecretService = "Keychain.NoSecretService"
	// CodeKeychainLocked: the keyring is locked and could not be unlocked, or
	// the unlock prompt was dismissed.
	CodeKeychainLocked = "Keychain.Locked"
	// CodeKeychainDenied: the OS refused access to the keychain item.
	CodeKeychainDenied = "Keychain.Denied"
	// CodeKeychainTooLarge: the item is larger than [MaxKeychainItemBytes] or
	// larger than the platform allows.
	CodeKeychainTooLarge = "Keychain.TooLarge"
	// CodeKeychainTimeout: the keychain did not answer in time (often a
	// hidden unlock prompt) or the call was cancelled.
	CodeKeychainTimeout = "Keychain.Timeout"
	// CodeKeychainNotFound: the profile's item is missing from the keychain.
	CodeKeychainNotFound = "Keychain.NotFound"
	// CodeKeychainUnavailable: any other keychain failure.
	CodeKeychainUnavailable = "Keychain.Unavailable"

	// CodeProfileNotFound: no profile has that name.
	CodeProfileNotFound = "Profile.NotFound"
	// CodeProfileExists: a profile with that name already exists.
	CodeProfileExists = "Profile.Exists"
	// CodeProfileInvalid: a profile field failed validation; the message names the field.
	CodeProfileInvalid = "Profile.Invalid"
	// CodeProfileBuiltin: the built-in "local" profile cannot be deleted or change kind.
	CodeProfileBuiltin = "Profile.Builtin"
	// CodeProfileKindChange: an existing profile cannot change its kind.
	CodeProfileKindChange = "Profile.KindChange"
	// CodeProfileInsecureHTTP: the endpoint is plain http:// to another computer and
	// the user has not accepted that (Profile.InsecureHTTP, kmsctl --insecure-http).
	CodeProfileInsecureHTTP = "Profile.InsecureHTTP"
	// CodeProfilesCorrupt: the profiles file cannot be parsed.
	CodeProfilesCorrupt = "Profiles.Corrupt"
	// CodeProfilesIO: the profiles file or its directory cannot be read or written.
	CodeProfilesIO = "Profiles.IO"

	// CodeSecretInvalid: a SecretId, SecretKey or token is empty or malformed.
	CodeSecretInvalid = "Secret.Invalid"
	// CodeCredentialsMissing: the profile has no stored secret.
	CodeCredentialsMissing = "Credentials.Missing"
	// CodeCredentialsExpired: the temporary credentials expired and cannot be refreshed.
	CodeCredentialsExpired = "Credentials.Expired"
	// CodeCredentialsNotNeeded: the profile is of kind "local"; the embedded KMS
	// supplies its own credentials.
	CodeCredentialsNotNeeded = "Credentials.NotNeeded"

	// CodeEnvMissing: TENCENTCLOUD_SECRET_ID or TENCENTCLOUD_SECRET_KEY is not set.
	CodeEnvMissing = "Env.Missing"
	// CodeTCCLINotFound: the tccli profile (or its credential file) does not exist.
	CodeTCCLINotFound = "TCCLI.NotFound"
	// CodeTCCLIInvalid: a tccli file is not valid JSON of the expected shape.
	CodeTCCLIInvalid = "TCCLI.Invalid"
	// CodeTCCLIUnsupported: the tccli profile uses a credential type (cvm-role,
	// oauth, sso) that cannot be imported.
	CodeTCCLIUnsupported = "TCCLI.Unsupported"

	// CodeImportInvalid: a profile export file is malformed or contains secrets.
	CodeImportInvalid = "Import.Invalid"
	// CodeImportUnsupportedVersion: the export file comes from a newer KMS Desk.
	CodeImportUnsupportedVersion = "Import.UnsupportedVersion"

	// CodeSTSFailed: AssumeRole failed without a Tencent Cloud error code.
	// When Tencent Cloud returns a code (e.g. "AuthFailure.SecretIdNotFound")
	// that code is used instead.
	CodeSTSFailed = "STS.Failed"
)

var hints = map[string]string{
	CodeKeychainNoSessionBus: "No desktop session bus was found, so the system keychain cannot be reached. " +
		"Log in to a desktop session (or start one with dbus-run-session), or keep the secret for this session only.",
	CodeKeychainNoSecretService: "No keychain service is running. Install and start GNOME Keyring, KWallet or " +
		"KeePassXC (with Secret Service enabled), or keep the secret for this session only.",
	CodeKeychainLocked: "The keychain is locked. Unlock it (for example by logging in again or opening " +
		"\"Passwords and Keys\") and try again; do not dismiss the unlock prompt.",
	CodeKeychainDenied: "The system refused access to the keychain. Allow KMS Desk in the keychain's " +
		"access prompt or settings, then try again.",
	CodeKeychainTooLarge: "The secret is too large for the keychain. Check that you pasted only the SecretId " +
		"and SecretKey.",
	CodeKeychainTimeout: "The keychain did not answer in time. Look for an unlock prompt that may be hidden " +
		"behind other windows, then try again.",
	CodeKeychainNotFound: "No secret is stored for this profile. Enter its SecretId and SecretKey again.",
	CodeKeychainUnavailable: "The system keychain could not be used. Try again; if it keeps failing, " +
		"keep the secret for this session only and contact IT.",

	CodeProfileNotFound:   "Choose an existing connection profile.",
	CodeProfileExists:     "Choose another name or delete the existing profile first.",
	CodeProfileInvalid:    "Correct the highlighted field.",
	CodeProfileBuiltin:    "The built-in \"local\" profile always exists; edit it instead.",
	CodeProfileKindChange: "Create a new profile for a different kind of connection.",
	CodeProfileInsecureHTTP: "Use an https:// endpoint, or confirm that this network is trusted to accept plain HTTP " +
		"(in KMS Desk tick the confirmation; with kmsctl add --insecure-http).",
	CodeProfilesCorrupt: "The connection profile file is damaged. Move it away (secrets are not in it) " +
		"and restart KMS Desk to recreate it.",
	CodeProfilesIO: "KMS Desk could not read or write its settings folder. Check disk space and permissions.",

	CodeSecretInvalid:        "Copy the SecretId and SecretKey again from the Tencent Cloud console (API key management).",
	CodeCredentialsMissing:   "Enter the SecretId and SecretKey for this profile.",
	CodeCredentialsExpired:   "The temporary credentials have expired. Enter new ones or assume the role again.",
	CodeCredentialsNotNeeded: "The local profile uses the built-in KMS and needs no keys.",

	CodeEnvMissing:       "Set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, then import again.",
	CodeTCCLINotFound:    "Run \"tccli configure list\" to see which tccli profiles exist.",
	CodeTCCLIInvalid:     "The tccli file is damaged. Run \"tccli configure\" again or enter the keys by hand.",
	CodeTCCLIUnsupported: "This tccli profile gets its keys from a CVM role or single sign-on; enter keys by hand instead.",

	CodeImportInvalid:            "The file is not a KMS Desk profile export. Ask IT for a new export.",
	CodeImportUnsupportedVersion: "The file was made by a newer KMS Desk. Update KMS Desk and import again.",

	CodeSTSFailed: "Could not obtain temporary credentials. Check the role ARN, the network and the profile's keys.",
}

// HintFor returns the English hint for a code: a sentence telling the user what to
// do, or "" for codes this package does not define. The UI translates by code; the
// hint is the fallback (and [Status.Hint]).
func HintFor(code string) string { return hints[code] }

// newErr returns the coded error of this package: every user-facing failure is an
// *errcode.Error (or wraps one) with one of the Code* codes, or a Tencent Cloud code
// for STS failures. Messages never contain secrets.
func newErr(code, op, msg string, cause error) *errcode.Error {
	return &errcode.Error{Code: code, Op: op, Message: msg, Err: cause}
}

func invalidf(op, format string, args ...any) *errcode.Error {
	return newErr(CodeProfileInvalid, op, fmt.Sprintf(format, args...), nil)
}

// stsError maps an error from the STS SDK client to an *errcode.Error that keeps the
// Tencent Cloud code, message and request id when there are some.
func stsError(op string, err error) *errcode.Error {
	var sdk *tcerr.TencentCloudSDKError
	if errors.As(err, &sdk) && sdk.GetCode() != "" {
		return &errcode.Error{Code: sdk.GetCode(), Op: op, Message: sdk.GetMessage(), RequestID: sdk.GetRequestId()}
	}
	return newErr(CodeSTSFailed, op, "", err)
}
