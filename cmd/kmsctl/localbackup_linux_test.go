package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// onTerminal runs kmsctl with a terminal as stdin, with input typed ahead into it,
// and returns stdout and stderr. The terminal's own echo is off from the start (as
// term.ReadPassword turns it off; typed ahead, the line discipline would echo before
// kmsctl runs), so what shows is what kmsctl printed.
func onTerminal(t *testing.T, input string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ptmx, tty := openPTY(t)
	setTermios(t, tty, func(tio *unix.Termios) { tio.Lflag &^= unix.ECHO })
	if _, err := ptmx.WriteString(input); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetIn(tty)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestLocalBackupPrompt: without KMSDESK_BACKUP_PASSPHRASE the passphrase is asked on
// the terminal, twice for a backup, and never printed; two different answers write
// nothing.
func TestLocalBackupPrompt(t *testing.T) {
	localHome(t)
	t.Setenv(backupPassphraseEnv, "") // restored when the test ends
	os.Unsetenv(backupPassphraseEnv)
	data := filepath.Join(t.TempDir(), "data")
	initLocal(t, data)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.age")
	shown, stderr, err := onTerminal(t, cliPassphrase+"\n"+cliPassphrase+"x\n", "local", "backup", "--data", data, "--master-key", "file", "-o", path)
	if service.ErrorCode(err) != service.CodeInvalidInput || !strings.Contains(stderr, "at least 12 characters") || strings.Contains(shown+stderr, cliPassphrase) {
		t.Fatalf("different answers: %v %q %q", err, shown, stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a backup was written")
	}
	shown, stderr, err = onTerminal(t, cliPassphrase+"\n"+cliPassphrase+"\n", "local", "backup", "--data", data, "--master-key", "file", "-o", path)
	if err != nil || !strings.Contains(stderr, "The same passphrase again") || strings.Contains(shown+stderr, cliPassphrase) {
		t.Fatalf("backup: %v, terminal %q, stderr %q", err, shown, stderr)
	}
	target := filepath.Join(t.TempDir(), "target")
	shown, stderr, err = onTerminal(t, cliPassphrase+"\n", "local", "restore", path, "--data", target, "--master-key", "file")
	if err != nil || !strings.Contains(stderr, "Passphrase of the backup") || strings.Contains(shown+stderr, cliPassphrase) {
		t.Fatalf("restore: %v, terminal %q, stderr %q", err, shown, stderr)
	}
}
