//go:build darwin

package credentials

import (
	"errors"
	"os/exec"
)

const platformBackend = "macos-keychain"

func platformPrecheck() error { return nil }

// platformClassify maps exit statuses of /usr/bin/security, which go-keyring
// runs. The status is the low byte of the Security framework OSStatus:
// errSecInteractionNotAllowed (-25308) → 36, errSecUserCanceled (-128) → 128,
// errSecAuthFailed (-25293) → 51, errSecNoSuchKeychain (-25294) → 50,
// errSecNotAvailable (-25291) → 53.
func platformClassify(err error) (code, msg string, ok bool) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "", "", false
	}
	switch ee.ExitCode() {
	case 36:
		return CodeKeychainLocked, "keychain is locked and no prompt can be shown", true
	case 128:
		return CodeKeychainLocked, "the keychain prompt was dismissed", true
	case 51:
		return CodeKeychainDenied, "keychain access was denied", true
	case 50, 53:
		return CodeKeychainUnavailable, "no default keychain is available", true
	}
	return "", "", false
}
