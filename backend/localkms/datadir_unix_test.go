//go:build unix

package localkms

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirPermissions: a data dir (or file in it) that other users can write
// to is refused; one they can only read or search is restricted to its owner,
// with a warning in the log; one owned by another user is refused.
func TestDataDirPermissions(t *testing.T) {
	// prepare makes a data dir with a database and a master key file.
	prepare := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "data")
		srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
		must(t, err)
		must(t, srv.Close())
		return dir
	}
	for _, tc := range []struct {
		name    string
		file    string // "" for the data dir itself
		mode    os.FileMode
		refused bool
	}{
		{"dir readable by all", "", 0o755, false},
		{"dir searchable by the group", "", 0o710, false},
		{"dir writable by the group", "", 0o770, true},
		{"dir writable by all", "", 0o703, true},
		{"master key readable by all", masterKeyFileName, 0o644, false},
		{"master key writable by the group", masterKeyFileName, 0o620, true},
		{"database readable by the group", dbFileName, 0o640, false},
		{"database writable by all", dbFileName, 0o602, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := prepare(t)
			path := filepath.Join(dir, tc.file)
			must(t, os.Chmod(path, tc.mode))
			var log bytes.Buffer
			srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			fi, serr := os.Stat(path)
			must(t, serr)
			if tc.refused {
				if errorCode(err) != CodeDataDir || !strings.Contains(err.Error(), "other users can write") {
					t.Fatalf("Open: %v, want %s", err, CodeDataDir)
				}
				if fi.Mode().Perm() != tc.mode {
					t.Fatalf("mode changed to %v although Open refused", fi.Mode().Perm())
				}
				return
			}
			must(t, err)
			must(t, srv.Close())
			want := os.FileMode(0o600)
			if tc.file == "" {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Fatalf("mode %v after Open, want %v", fi.Mode().Perm(), want)
			}
			if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), fmt.Sprintf("changed it to %04o", want)) {
				t.Fatalf("no warning logged: %s", log.String())
			}
		})
	}
	t.Run("dir of another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("only root can give a directory to another user")
		}
		dir := prepare(t)
		must(t, os.Chown(dir, 65534, 65534))
		if _, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile}); errorCode(err) != CodeDataDir || !strings.Contains(err.Error(), "belongs to user 65534") {
			t.Fatalf("Open: %v", err)
		}
	})
}
