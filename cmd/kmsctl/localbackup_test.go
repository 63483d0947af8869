package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

const cliPassphrase = "a passphrase for the tests"

// localHome points kmsctl's local profile at a fresh KMSDESK_HOME whose local KMS keeps
// its master key in a file (never the OS keychain), and returns the home.
func localHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("KMSDESK_HOME", home)
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "")
	initLocal(t, filepath.Join(home, "localkms"))
	return home
}

// initLocal creates a local KMS data folder with a file master key.
func initLocal(t *testing.T, dir string) {
	t.Helper()
	srv, err := localkms.Open(localkms.Options{DataDir: dir, MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
}

// TestLocalBackupRestoreRecoversFiles: a file encrypted with the local profile is
// decrypted again after its local KMS was backed up (from the default data folder of
// KMSDESK_HOME), deleted and restored from the backup into a new one.
func TestLocalBackupRestoreRecoversFiles(t *testing.T) {
	home := localHome(t)
	if _, _, err := kmsctl(t, "", "keys", "create", "cli-backup"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "payroll.csv")
	if err := os.WriteFile(plain, []byte("alice,100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := kmsctl(t, "", "encrypt", "--key", "cli-backup", plain); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	t.Setenv(backupPassphraseEnv, cliPassphrase)
	backup := filepath.Join(dir, "keys.age")
	out, _, err := kmsctl(t, "", "local", "backup", "--master-key", "file", "-o", backup)
	if err != nil || !strings.Contains(out, "Backed up 1 key(s)") || !strings.Contains(out, "a lost computer means lost files") {
		t.Fatalf("backup: %q %v", out, err)
	}
	if st, err := os.Stat(backup); err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 { // Windows keeps no POSIX modes
		t.Fatalf("backup file: %v %v", st, err)
	}

	if err := os.RemoveAll(filepath.Join(home, "localkms")); err != nil {
		t.Fatal(err)
	}
	out, _, err = kmsctl(t, "", "--json", "local", "restore", backup, "--master-key", "file")
	var res service.RestoreResult
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || len(res.KeysAdded) != 1 || res.AliasesAdded[0] != "cli-backup" || len(res.Instances) != 1 {
		t.Fatalf("restore: %q %v", out, err)
	}
	if _, stderr, err := kmsctl(t, "", "decrypt", "-o", filepath.Join(dir, "out"), plain+".kmsenc"); err != nil {
		t.Fatalf("decrypt after the restore: %v %s", err, stderr)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "out", "payroll.csv")); err != nil || string(got) != "alice,100\n" {
		t.Fatalf("decrypted %q %v", got, err)
	}
	// Restoring again adds nothing and says so.
	out, _, err = kmsctl(t, "", "local", "restore", backup, "--master-key", "file")
	if err != nil || !strings.Contains(out, "keys added:          0\n") || !strings.Contains(out, "keys already here:   1") {
		t.Fatalf("second restore: %q %v", out, err)
	}
}

// TestLocalBackupRefusals: an existing -o file is never replaced; a weak or wrong
// passphrase, a missing one, a missing data folder and a damaged backup each fail
// clearly and change nothing.
func TestLocalBackupRefusals(t *testing.T) {
	localHome(t)
	data := filepath.Join(t.TempDir(), "data")
	initLocal(t, data)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.age")
	if err := os.WriteFile(existing, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(backupPassphraseEnv, cliPassphrase)
	_, _, err := kmsctl(t, "", "local", "backup", "--data", data, "--master-key", "file", "-o", existing)
	if service.ErrorCode(err) != "File.Exists" {
		t.Fatalf("existing file: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Fatal("an existing file was replaced")
	}
	if _, _, err := kmsctl(t, "", "local", "backup", "--data", data, "--master-key", "file"); exitCode(err) != 2 {
		t.Fatalf("no -o: %v", err)
	}
	if _, _, err := kmsctl(t, "", "local", "backup", "--data", filepath.Join(dir, "nothing"), "-o", filepath.Join(dir, "x.age")); service.ErrorCode(err) != localkms.CodeDataDir {
		t.Fatalf("no local KMS: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); err == nil {
		t.Fatal("backing up a missing data folder created it")
	}

	t.Setenv(backupPassphraseEnv, "too short")
	_, _, err = kmsctl(t, "", "local", "backup", "--data", data, "--master-key", "file", "-o", filepath.Join(dir, "weak.age"))
	if service.ErrorCode(err) != localkms.CodeWeakPassphrase || !strings.Contains(describeErr(err), "12") {
		t.Fatalf("weak passphrase: %v", err)
	}
	// No passphrase and no terminal: kmsctl does not read one from a pipe.
	t.Setenv(backupPassphraseEnv, "") // restored when the test ends
	os.Unsetenv(backupPassphraseEnv)
	_, _, err = kmsctl(t, cliPassphrase+"\n", "local", "backup", "--data", data, "--master-key", "file", "-o", filepath.Join(dir, "piped.age"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), backupPassphraseEnv) {
		t.Fatalf("no passphrase: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files written: %v", entries)
	}

	t.Setenv(backupPassphraseEnv, cliPassphrase)
	good := filepath.Join(dir, "good.age")
	if _, _, err := kmsctl(t, "", "local", "backup", "--data", data, "--master-key", "file", "-o", good); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	initLocal(t, target)
	t.Setenv(backupPassphraseEnv, cliPassphrase+"!")
	_, _, err = kmsctl(t, "", "local", "restore", good, "--data", target, "--master-key", "file")
	if service.ErrorCode(err) != localkms.CodeBackupPassphrase || !strings.Contains(describeErr(err), "Caps Lock") || exitCode(err) != 1 {
		t.Fatalf("wrong passphrase: %v", err)
	}
	t.Setenv(backupPassphraseEnv, cliPassphrase)
	if _, _, err = kmsctl(t, "", "local", "restore", existing, "--data", target, "--master-key", "file"); service.ErrorCode(err) != localkms.CodeBackupDamaged {
		t.Fatalf("not a backup: %v", err)
	}
	if _, _, err = kmsctl(t, "", "local", "restore", filepath.Join(dir, "missing.age"), "--data", target); service.ErrorCode(err) != "File.NotFound" {
		t.Fatalf("missing backup: %v", err)
	}
	// (Opening a data folder rewrites bbolt's meta page, so the bytes of localkms.db
	// change with every command; the service test compares them with the KMS open.)
	srv, err := localkms.Open(localkms.Options{DataDir: target, MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if creds, _ := srv.ListCredentials(); len(srv.InstanceIDs()) != 1 || len(creds) != 0 {
		t.Fatal("a refused restore changed the local KMS")
	}
}

// TestLocalBackupOutputIsEscaped: a file name holding terminal escapes is shown
// escaped; --json prints the result.
func TestLocalBackupOutputIsEscaped(t *testing.T) {
	localHome(t)
	data := filepath.Join(t.TempDir(), "data")
	initLocal(t, data)
	t.Setenv(backupPassphraseEnv, cliPassphrase)
	name, shown := "keys\x1b]0;pwn\x07.age", `keys\x1b]0;pwn\x07.age`
	if runtime.GOOS == "windows" { // no control characters in Windows names: a bidi override instead
		name, shown = "keys\u202eega.exe", `keys\u202eega.exe`
	}
	path := filepath.Join(t.TempDir(), name)
	out, _, err := kmsctl(t, "", "local", "backup", "--data", data, "--master-key", "file", "-o", path)
	if err != nil || strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.Contains(out, shown) {
		t.Fatalf("backup output %q %v", out, err)
	}
	out, _, err = kmsctl(t, "", "--json", "local", "backup", "--data", data, "--master-key", "file", "-o", path+"2")
	var res service.BackupResult
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Path != path+"2" || res.Keys != 0 || res.Credentials != 0 || len(res.Instances) != 1 {
		t.Fatalf("--json: %q %v", out, err)
	}
}
