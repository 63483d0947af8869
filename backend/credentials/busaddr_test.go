package credentials

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestParseBusAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    []busEntry
		wantErr bool
	}{
		{in: "unix:path=/run/user/1000/bus", want: []busEntry{{"unix", map[string]string{"path": "/run/user/1000/bus"}}}},
		{in: "unix:path=/tmp/with%20space,guid=abc", want: []busEntry{{"unix", map[string]string{"path": "/tmp/with space", "guid": "abc"}}}},
		{in: "unix:abstract=/tmp/dbus-x;tcp:host=localhost,port=1", want: []busEntry{
			{"unix", map[string]string{"abstract": "/tmp/dbus-x"}}, {"tcp", map[string]string{"host": "localhost", "port": "1"}}}},
		{in: "autolaunch:", want: []busEntry{{"autolaunch", map[string]string{}}}},
		{in: "", wantErr: true},
		{in: ";", wantErr: true},
		{in: "nocolon", wantErr: true},
		{in: "unix:path", wantErr: true},
		{in: "unix:path=%zz", wantErr: true},
		{in: "unix:path=%4", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseBusAddress(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseBusAddress(%q) = %v, want error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].transport != tt.want[i].transport || len(got[i].params) != len(tt.want[i].params) {
					t.Fatalf("entry %d = %v, want %v", i, got[i], tt.want[i])
				}
				for k, v := range tt.want[i].params {
					if got[i].params[k] != v {
						t.Fatalf("entry %d param %s = %q, want %q", i, k, got[i].params[k], v)
					}
				}
			}
		})
	}
}

func TestCheckSessionBus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets as files: not on Windows")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("cannot create a unix socket here: %v", err)
	}
	defer l.Close()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nonexistent")

	tests := []struct {
		name       string
		addr       string
		runtimeBus string
		ok         bool
	}{
		{"unset, no runtime socket", "", missing, false},
		{"unset, runtime socket exists", "", sock, true},
		{"unset, runtime path is a plain file", "", plain, false},
		{"existing socket", "unix:path=" + sock, "", true},
		{"missing socket", "unix:path=/nonexistent", "", false},
		{"path is a plain file", "unix:path=" + plain, "", false},
		{"second entry usable", "unix:path=/nonexistent;unix:path=" + sock, "", true},
		{"abstract", "unix:abstract=/tmp/dbus-test", "", true},
		{"tcp", "tcp:host=127.0.0.1,port=5555", "", true},
		{"autolaunch only", "autolaunch:", sock, false},
		{"listen-only tmpdir", "unix:tmpdir=/tmp", "", false},
		{"garbage", "not an address", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkSessionBus(busProbe{
				getenv:     func(k string) string { return map[string]string{"DBUS_SESSION_BUS_ADDRESS": tt.addr}[k] },
				runtimeBus: tt.runtimeBus,
				isSocket:   isSocketFile,
			})
			if tt.ok && err != nil {
				t.Fatalf("checkSessionBus: %v", err)
			}
			if !tt.ok {
				if err == nil {
					t.Fatal("checkSessionBus accepted an unusable bus")
				}
				wantCode(t, classify("read keychain item", "p", err), CodeKeychainNoSessionBus)
			}
		})
	}
}
