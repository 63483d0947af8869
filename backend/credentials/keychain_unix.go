//go:build linux || netbsd || openbsd || freebsd || dragonfly

package credentials

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"

	dbus "github.com/godbus/dbus/v5"
)

const platformBackend = "secret-service"

// platformPrecheck refuses to touch D-Bus without a session bus, so godbus
// never autolaunches dbus-daemon (which would leave daemons running).
func platformPrecheck() error {
	return checkSessionBus(busProbe{
		getenv:     os.Getenv,
		runtimeBus: "/run/user/" + strconv.Itoa(os.Getuid()) + "/bus",
		isSocket:   isSocketFile,
	})
}

func platformClassify(err error) (code, msg string, ok bool) {
	var name string
	var pe *dbus.Error
	var ve dbus.Error
	switch {
	case errors.As(err, &pe):
		name = pe.Name
	case errors.As(err, &ve):
		name = ve.Name
	}
	switch name {
	case "":
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
		return CodeKeychainNoSecretService, "no Secret Service provider on the session bus", true
	case "org.freedesktop.Secret.Error.IsLocked":
		return CodeKeychainLocked, "keyring is locked", true
	case "org.freedesktop.DBus.Error.AccessDenied", "org.freedesktop.DBus.Error.AuthFailed":
		return CodeKeychainDenied, "access to the keyring was denied", true
	case "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout", "org.freedesktop.DBus.Error.TimedOut":
		return CodeKeychainTimeout, "keyring did not answer in time", true
	default:
		return CodeKeychainUnavailable, "Secret Service error " + name, true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return CodeKeychainNoSessionBus, "cannot connect to the session bus", true
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return CodeKeychainNoSessionBus, "no session bus (autolaunch unavailable)", true
	}
	if strings.Contains(err.Error(), "couldn't determine address of session bus") {
		return CodeKeychainNoSessionBus, "no session bus", true
	}
	return "", "", false
}
