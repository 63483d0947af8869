//go:build linux

package credentials

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

func TestKeychainClassifyDBus(t *testing.T) {
	serviceUnknown := dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}
	tests := []struct {
		name string
		raw  error
		code string
	}{
		{"service unknown (pointer)", &serviceUnknown, CodeKeychainNoSecretService},
		{"service unknown (value)", serviceUnknown, CodeKeychainNoSecretService},
		{"name has no owner", &dbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"}, CodeKeychainNoSecretService},
		{"is locked", &dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, CodeKeychainLocked},
		{"access denied", &dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}, CodeKeychainDenied},
		{"no reply", &dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, CodeKeychainTimeout},
		{"no such interface", &dbus.Error{Name: "org.freedesktop.DBus.Error.UnknownMethod", Body: []any{"No such interface"}}, CodeKeychainUnavailable},
		{"dial refused", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED}, CodeKeychainNoSessionBus},
		{"dial missing", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}, CodeKeychainNoSessionBus},
		{"no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, CodeKeychainNoSessionBus},
		{"no address", errors.New("dbus: couldn't determine address of session bus"), CodeKeychainNoSessionBus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, classify("read keychain item", "p", tt.raw), tt.code)
		})
	}
}

// TestKeychainSystemPrecheckReadsEnvironment checks that the real system
// keychain refuses to run without a session bus address, before godbus
// could autolaunch anything.
func TestKeychainSystemPrecheckReadsEnvironment(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kmsdesk-test-bus")
	kc := NewSystemKeychain(time.Second, time.Second)
	if kc.Backend() != "secret-service" {
		t.Fatalf("Backend = %q", kc.Backend())
	}
	start := time.Now()
	_, err := kc.Get(context.Background(), "work")
	wantCode(t, err, CodeKeychainNoSessionBus)
	if time.Since(start) > 500*time.Millisecond {
		t.Fatalf("precheck took %s", time.Since(start))
	}
	if _, statErr := os.Stat("/nonexistent/kmsdesk-test-bus"); !errors.Is(statErr, os.ErrNotExist) {
		t.Fatal("test path unexpectedly exists")
	}
}
