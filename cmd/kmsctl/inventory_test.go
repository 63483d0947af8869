package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// exitStatus is the status kmsctl exits with for err.
func exitStatus(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitCode(err)
}

func keyState(t *testing.T, ep, key string) string {
	t.Helper()
	out, _, err := kmsctl(t, "", "--endpoint", ep, "--json", "keys", "describe", key)
	if err != nil {
		t.Fatal(err)
	}
	var k service.Key
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatal(err)
	}
	return k.KeyState
}

// TestInventoryAndKeyGuards: what kmsctl encrypts is listed by 'kmsctl inventory';
// disabling or deleting a key that files only it opens stops (exit 3, nothing changed)
// until --yes; decrypting with a disabled or pending-deletion key says what to run;
// after the files moved to another key, disabling needs no --yes.
func TestInventoryAndKeyGuards(t *testing.T) {
	ep, _ := cliEnv(t)
	for _, alias := range []string{"payroll", "spare"} {
		if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", alias); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	evil, shown := "evil\x1b[2J.txt", `evil\x1b[2J.txt.kmsenc`
	if runtime.GOOS == "windows" { // no control characters in Windows names: a bidi override instead
		evil, shown = "evil\u202etxt.exe", `evil\u202etxt.exe.kmsenc`
	}
	writeTree(t, dir, map[string]string{"a.txt": "alpha", "b.txt": "beta", "c.txt": "gamma", evil: "terminal trick"})
	p := func(n string) string { return filepath.Join(dir, n) }
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "payroll", p("a.txt"), p("b.txt"), p(evil)); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "payroll", "--backup-key", "spare", p("c.txt")); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}

	// The inventory: every file, escaped for the terminal; JSON for scripts.
	out, _, err := kmsctl(t, "", "--endpoint", ep, "inventory")
	if err != nil || strings.Count(out, ".kmsenc") != 4 || strings.ContainsRune(out, 0x1b) || !strings.Contains(out, shown) {
		t.Fatalf("inventory: %q %v", out, err)
	}
	out, _, err = kmsctl(t, "", "--endpoint", ep, "--json", "inventory", "--key", "payroll")
	var d service.Dependents
	if err != nil || json.Unmarshal([]byte(out), &d) != nil || d.Count != 4 || d.Only != 3 {
		t.Fatalf("inventory --key: %q %v", out, err)
	}

	// Disable: listed, refused without --yes (stdin is no terminal), nothing changed.
	_, stderr, err := kmsctl(t, "", "--endpoint", ep, "keys", "disable", "payroll")
	if exitStatus(err) != exitRefused || keyState(t, ep, "payroll") != "Enabled" {
		t.Fatalf("disable without --yes: %v, state %s", err, keyState(t, ep, "payroll"))
	}
	if !strings.Contains(stderr, "4 files on this computer are encrypted with payroll") || !strings.Contains(stderr, "3 of them only with it") ||
		!strings.Contains(stderr, p("a.txt.kmsenc")+"  (only this key)") || strings.ContainsRune(stderr, 0x1b) ||
		!strings.Contains(err.Error(), "--yes") || !strings.Contains(err.Error(), "kmsctl rewrap --add OTHER-KEY --remove") {
		t.Fatalf("disable warning: %q / %v", stderr, err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "disable", "payroll", "--yes"); err != nil || keyState(t, ep, "payroll") != "Disabled" {
		t.Fatalf("disable --yes: %v", err)
	}

	// Decrypting with the disabled key names it and the command that fixes it.
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", p("out"), p("a.txt.kmsenc"))
	if err == nil || !strings.Contains(stderr, "key payroll is disabled: enable it (kmsctl keys enable") {
		t.Fatalf("decrypt with a disabled key: %v %q", err, stderr)
	}

	// Schedule deletion: the same guard, then, pending deletion, decrypt says to cancel.
	_, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "schedule-delete", "payroll", "--days", "7", "--confirm", "payroll")
	if exitStatus(err) != exitRefused || keyState(t, ep, "payroll") != "Disabled" {
		t.Fatalf("schedule-delete without --yes: %v", err)
	}
	if _, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "schedule-delete", "payroll", "--days", "7", "--confirm", "payroll", "--yes"); err != nil {
		t.Fatal(err)
	}
	_, stderr, _ = kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", p("out"), p("a.txt.kmsenc"))
	if !strings.Contains(stderr, "key payroll is scheduled for deletion on") || !strings.Contains(stderr, "kmsctl keys cancel-delete") || strings.Contains(stderr, "is disabled:") {
		t.Fatalf("decrypt with a key pending deletion: %q", stderr)
	}

	// Move the files to the spare key; then nothing depends on payroll.
	for _, args := range [][]string{{"keys", "cancel-delete", "payroll"}, {"keys", "enable", "payroll"},
		{"rewrap", "--add", "spare", "--remove", "payroll", "-r", dir}} {
		if _, stderr, err := kmsctl(t, "", append([]string{"--endpoint", ep}, args...)...); err != nil {
			t.Fatalf("%v: %v %s", args, err, stderr)
		}
	}
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "keys", "disable", "payroll")
	if err != nil || strings.Contains(stderr, "encrypted with") {
		t.Fatalf("disable after the move: %v %q", err, stderr)
	}
	// Archive warns only (an archived key still decrypts).
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "enable", "payroll"); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "keys", "archive", "spare")
	if err != nil || !strings.Contains(stderr, "4 files on this computer are encrypted with spare") || !strings.Contains(stderr, "still open while the key is archived") {
		t.Fatalf("archive: %v %q", err, stderr)
	}

	// A deleted file drops out of the list.
	if err := os.Remove(p("b.txt.kmsenc")); err != nil {
		t.Fatal(err)
	}
	out, _, err = kmsctl(t, "", "--json", "inventory")
	var list []service.InventoryEntry
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 3 {
		t.Fatalf("after a deletion: %q %v", out, err)
	}
}
