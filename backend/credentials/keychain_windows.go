//go:build windows

package credentials

import (
	"errors"
	"syscall"
)

const platformBackend = "windows-credential-manager"

func platformPrecheck() error { return nil }

// Win32 error codes returned by Credential Manager.
const (
	winErrorAccessDenied       syscall.Errno = 5
	winErrorNoSuchLogonSession syscall.Errno = 1312
	winErrorBadStubData        syscall.Errno = 1783
)

func platformClassify(err error) (code, msg string, ok bool) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "", "", false
	}
	switch errno {
	case winErrorAccessDenied:
		return CodeKeychainDenied, "Credential Manager denied access", true
	case winErrorNoSuchLogonSession:
		return CodeKeychainUnavailable, "no logon session for Credential Manager", true
	case winErrorBadStubData:
		return CodeKeychainTooLarge, "item too large for Credential Manager", true
	}
	return "", "", false
}
