package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// slotKinds are the kinds of a .kmsenc file's key slots, as inspect --json tells.
func slotKinds(t *testing.T, path string) []string {
	t.Helper()
	out, _, err := kmsctl(t, "", "--json", "inspect", path)
	var ins []service.Inspection
	if err != nil || json.Unmarshal([]byte(out), &ins) != nil || len(ins) != 1 {
		t.Fatalf("inspect %q %v", out, err)
	}
	var kinds []string
	for _, k := range ins[0].Keys {
		kinds = append(kinds, string(k.Kind))
	}
	return kinds
}

// TestRecoveryAndRewrapCommands: keygen, encrypt --recovery, rewrap --to/--add/--remove,
// and decrypt --identity with the KMS unreachable.
func TestRecoveryAndRewrapCommands(t *testing.T) {
	ep, srv := cliEnv(t)
	for _, alias := range []string{"old", "new"} {
		if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", alias); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "usb", "break-glass.txt")
	if _, _, err := kmsctl(t, "", "recovery", "keygen"); exitCode(err) != 2 {
		t.Fatalf("keygen without -o: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := kmsctl(t, "", "recovery", "keygen", "-o", keyFile)
	recipient := strings.TrimSpace(stdout)
	if err != nil || !strings.HasPrefix(recipient, "age1") || !strings.Contains(stderr, "keep that file offline") {
		t.Fatalf("keygen: %q %q %v", stdout, stderr, err)
	}
	if fi, err := os.Stat(keyFile); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // Windows keeps no POSIX modes
		t.Fatalf("key file %v %v", fi, err)
	}
	saved, _ := os.ReadFile(keyFile)
	if _, _, err := kmsctl(t, "", "recovery", "keygen", "-o", keyFile); service.ErrorCode(err) != service.CodeRecoveryKeyExists {
		t.Fatalf("keygen over a file: %v", err)
	}
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, saved) {
		t.Fatal("the key file changed")
	}

	src := filepath.Join(dir, "docs")
	writeTree(t, src, map[string]string{"a.txt": "alpha", "sub/b.txt": "bravo"})
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "old", "--recovery", recipient, "-r", src); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	a := filepath.Join(src, "a.txt.kmsenc")
	slots := func() []string { return slotKinds(t, a) }
	if got := strings.Join(slots(), ","); got != "tencent,recovery" {
		t.Fatalf("slots after encrypt: %s", got)
	}

	// rewrap needs something to do and -r for folders.
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "rewrap", a); exitCode(err) != 2 {
		t.Fatalf("rewrap without a change: %v", err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--to", "new", src); exitCode(err) != 2 {
		t.Fatalf("rewrap of a folder without -r: %v", err)
	}
	if stdout, stderr, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--to", "new", "-r", src); err != nil || len(strings.Fields(stdout)) != 2 {
		t.Fatalf("rewrap --to: %q %q %v", stdout, stderr, err)
	}
	if got := strings.Join(slots(), ","); got != "recovery,tencent" {
		t.Fatalf("slots after --to: %s", got)
	}
	// Removing the last KMS key leaves the recovery key; removing that too is refused.
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--remove", "new", a); err != nil {
		t.Fatalf("rewrap --remove: %v %s", err, stderr)
	}
	before, _ := os.ReadFile(a)
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "rewrap", "--remove", recipient, "--identity", keyFile, a)
	if exitCode(err) != 1 || !strings.Contains(stderr, "[Envelope.LastSlot]") {
		t.Fatalf("removing the last key: %v %s", err, stderr)
	}
	if after, _ := os.ReadFile(a); !bytes.Equal(before, after) {
		t.Fatal("a refused re-wrap changed the file")
	}

	decryptOffline(t, srv, ep, keyFile, src)
}

// decryptOffline stops the KMS, then decrypts the folder src (docs/, holding
// sub/b.txt "bravo") with the recovery key file alone.
func decryptOffline(t *testing.T, srv *localkms.Server, ep, keyFile, src string) {
	t.Helper()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(src), "out")
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", out, "--identity", keyFile, src); err != nil {
		t.Fatalf("decrypt --identity with the KMS gone: %v %s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "docs", "sub", "b.txt")); string(b) != "bravo" {
		t.Fatalf("decrypted %q", b)
	}
}

// TestRewrapAddRecoveryWithPostQuantumKey: recovery keygen --pq makes a post-quantum
// recipient (age1pq1…); rewrap --add-recovery gives existing files a slot for it, and
// that key alone opens them once the KMS is gone.
func TestRewrapAddRecoveryWithPostQuantumKey(t *testing.T) {
	ep, srv := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "k"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "pq.txt")
	stdout, _, err := kmsctl(t, "", "--json", "recovery", "keygen", "--pq", "-o", keyFile)
	var k struct {
		Recipient   string `json:"recipient"`
		PostQuantum bool   `json:"postQuantum"`
	}
	if err != nil || json.Unmarshal([]byte(stdout), &k) != nil || !k.PostQuantum || !strings.HasPrefix(k.Recipient, "age1pq1") {
		t.Fatalf("keygen --pq: %q %v", stdout, err)
	}
	if b, _ := os.ReadFile(keyFile); !strings.Contains(string(b), "AGE-SECRET-KEY-PQ-1") {
		t.Fatalf("the key file holds no post-quantum identity:\n%s", b)
	}

	src := filepath.Join(dir, "docs")
	writeTree(t, src, map[string]string{"a.txt": "alpha", "sub/b.txt": "bravo"})
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "k", "-r", src); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	a := filepath.Join(src, "a.txt.kmsenc")
	payload := func() []byte {
		b, _ := os.ReadFile(a)
		return b[len(b)-64:]
	}
	before := payload()
	if stdout, stderr, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--add-recovery", k.Recipient, "-r", src); err != nil || len(strings.Fields(stdout)) != 2 {
		t.Fatalf("rewrap --add-recovery: %q %q %v", stdout, stderr, err)
	}
	if got := strings.Join(slotKinds(t, a), ","); got != "tencent,recovery" {
		t.Fatalf("slots after --add-recovery: %s", got)
	}
	if !bytes.Equal(before, payload()) {
		t.Fatal("the re-wrap changed the payload")
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--add-recovery", "age1notarecipient", a); service.ErrorCode(err) != "Envelope.InvalidRecoveryKey" || exitCode(err) != 1 {
		t.Fatalf("a bad recipient: %v [%s] exit %d", err, service.ErrorCode(err), exitCode(err))
	}
	decryptOffline(t, srv, ep, keyFile, src)
}

// TestRewrapToProfile: rewrap --to KEY --to-profile NAME moves files from the KMS in
// use (a server reached with --endpoint) to a key of another profile (the embedded
// local KMS); once the first KMS is gone, the files open with that profile.
func TestRewrapToProfile(t *testing.T) {
	ep, srv := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "old"); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := kmsctl(t, "", "--profile", "local", "keys", "create", "here"); err != nil {
		t.Fatalf("create a key in the local profile: %v %s", err, stderr)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "note.txt")
	writeTree(t, dir, map[string]string{"note.txt": "moved"})
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "old", src); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	ct := src + ".kmsenc"
	// Without --to-profile the key is looked up in the KMS in use, which has no "here".
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--to", "here", ct); service.ErrorCode(err) != "ResourceUnavailable.CmkNotFound" {
		t.Fatalf("rewrap --to a key of another profile without --to-profile: %v", err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--to", "here", "--to-profile", "nosuch", ct); service.ErrorCode(err) != "Profile.NotFound" {
		t.Fatalf("an unknown --to-profile: %v", err)
	}
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "rewrap", "--to", "here", "--to-profile", "local", ct); err != nil {
		t.Fatalf("rewrap --to-profile local: %v %s", err, stderr)
	}
	if got := strings.Join(slotKinds(t, ct), ","); got != "local" {
		t.Fatalf("slots after the move: %s", got)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := kmsctl(t, "", "--profile", "local", "decrypt", ct); err != nil {
		t.Fatalf("decrypt with the local profile: %v %s", err, stderr)
	}
	if b, _ := os.ReadFile(src); string(b) != "moved" {
		t.Fatalf("decrypted %q", b)
	}
}
