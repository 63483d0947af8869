package service

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// startJob waits for the job that start began and returns its summary event.
func startJob(t *testing.T, ev *eventLog, info JobInfo, err error) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return ev.waitFor(t, info.ID, EventJobDone)
}

// jobFileCodes maps each file of a job to its status and error code.
func jobFileCodes(ev *eventLog, id string) map[string]string {
	out := map[string]string{}
	for _, f := range ev.of(id, EventJobFile) {
		out[f["path"].(string)] = f["status"].(string) + " " + f["errorCode"].(string)
	}
	return out
}

func TestCreateRecoveryKey(t *testing.T) {
	b, sh, _ := newBackend(t)
	sh.save = filepath.Join(t.TempDir(), "recovery.txt")
	k, err := b.Settings.CreateRecoveryKey(false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Recipient, "age1") || !strings.HasPrefix(k.KeyID, "age:") || k.Path != sh.save ||
		!strings.HasPrefix(k.Identity, "AGE-SECRET-KEY-1") {
		t.Fatalf("%+v", k)
	}
	fi, err := os.Stat(sh.save)
	if err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // Windows keeps no POSIX modes
		t.Fatalf("key file: %v %v", fi, err)
	}
	saved, _ := os.ReadFile(sh.save)
	ids, err := envelope.ParseIdentities(bytes.NewReader(saved))
	if err != nil || len(ids) != 1 || ids[0].Recipient().String() != k.Recipient {
		t.Fatalf("the saved file does not hold the key: %v %v", ids, err)
	}
	// An existing file is never replaced.
	if _, err := b.Settings.CreateRecoveryKey(true); ErrorCode(err) != CodeRecoveryKeyExists {
		t.Fatalf("second key over the first: %v", err)
	}
	if again, _ := os.ReadFile(sh.save); !bytes.Equal(again, saved) {
		t.Fatal("the first key file changed")
	}
	// The post-quantum kind, and cancelling the dialog.
	sh.save = filepath.Join(t.TempDir(), "pq.txt")
	if k, err := b.Settings.CreateRecoveryKey(true); err != nil || !strings.HasPrefix(k.Recipient, "age1pq1") || !k.PostQuantum {
		t.Fatalf("pq: %+v %v", k, err)
	}
	sh.save = ""
	if k, err := b.Settings.CreateRecoveryKey(false); err != nil || k != (RecoveryKey{}) {
		t.Fatalf("cancelled: %+v %v", k, err)
	}
}

// TestProfileRecoveryOpensFilesWithoutKMS: a profile's recovery recipient gets a slot in
// every file encrypted with it, and the recovery key file alone decrypts them once the
// KMS is gone.
func TestProfileRecoveryOpensFilesWithoutKMS(t *testing.T) {
	fs, ev, sh, k, b := newFiles(t)
	dir := t.TempDir()
	sh.save = filepath.Join(dir, "break-glass.txt")
	rk, err := b.Settings.CreateRecoveryKey(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Settings.SaveProfile(ProfileInput{Profile: Profile{Name: "local", Kind: KindLocal, Recovery: []string{"not-a-key"}}}); ErrorCode(err) != "Envelope.InvalidRecoveryKey" {
		t.Fatalf("a bad recipient was saved: %v", err)
	}
	p, err := b.Settings.SaveProfile(ProfileInput{Profile: Profile{Name: "local", Kind: KindLocal, Recovery: []string{" " + rk.Recipient + " "}}})
	if err != nil || len(p.Recovery) != 1 || p.Recovery[0] != rk.Recipient {
		t.Fatalf("saved %+v %v", p, err)
	}
	src := filepath.Join(dir, "payroll.xlsx")
	writeTestFile(t, src, []byte("salaries"))
	if _, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID, Direct: true}); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("direct mode with a recovery key: %v", err)
	}
	info, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID, Overwrite: OverwriteSkip})
	if done := startJob(t, ev, info, err); done["done"] != 1.0 {
		t.Fatalf("encrypt %v", done)
	}
	enc := src + ".kmsenc"
	in, err := fs.Inspect(enc)
	if err != nil || len(in.Keys) != 2 || in.Keys[1].Kind != SlotRecovery || in.Keys[1].KeyID != rk.KeyID {
		t.Fatalf("inspect %+v %v", in, err)
	}

	// The computer's KMS is gone.
	if err := b.Host.conn.local.(interface{ Close() error }).Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	info, err = fs.Decrypt(DecryptRequest{Paths: []string{enc}, OutputDir: out, Overwrite: OverwriteSkip})
	if done := startJob(t, ev, info, err); done["failed"] != 1.0 {
		t.Fatalf("decrypt without the KMS or the recovery key: %v", done)
	}
	if f := ev.of(info.ID, EventJobFile); len(f) != 1 || f[0]["recoverable"] != true || f[0]["keyId"] != k.KeyID {
		t.Fatalf("the failure must name the key and say a recovery key opens the file: %v", f)
	}
	if _, err := fs.Decrypt(DecryptRequest{Paths: []string{enc}, OutputDir: out, IdentityFile: filepath.Join(dir, "missing.txt")}); ErrorCode(err) != CodeIdentityFile {
		t.Fatalf("missing key file: %v", err)
	}
	info, err = fs.Decrypt(DecryptRequest{Paths: []string{enc}, OutputDir: out, Overwrite: OverwriteSkip, IdentityFile: rk.Path})
	if done := startJob(t, ev, info, err); done["done"] != 1.0 {
		t.Fatalf("decrypt with the recovery key: %v %v", done, jobFileCodes(ev, info.ID))
	}
	if got, _ := os.ReadFile(filepath.Join(out, "payroll.xlsx")); string(got) != "salaries" {
		t.Fatalf("got %q", got)
	}
}

// TestRewrapToAnotherProfile moves files made with the local KMS to a key of another
// profile (here a second KMS on loopback, standing in for Tencent Cloud): afterwards they
// open with that profile alone.
func TestRewrapToAnotherProfile(t *testing.T) {
	fs, ev, _, k, b := newFiles(t)
	cloud := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("archive"))
	if _, err := b.Settings.SaveProfile(ProfileInput{Profile: Profile{Name: "cloud", Kind: KindTencent, Region: cloud.Region, Endpoint: cloud.URL},
		SecretID: cloud.SecretID, SecretKey: cloud.SecretKey}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "docs", "a.txt")
	writeTestFile(t, src, []byte("alpha"))
	info, err := fs.Encrypt(EncryptRequest{Paths: []string{filepath.Join(dir, "docs")}, KeyID: k.KeyID, Overwrite: OverwriteSkip})
	startJob(t, ev, info, err)
	enc := src + ".kmsenc"

	if _, err := fs.Rewrap(RewrapRequest{Paths: []string{enc}}); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("a re-wrap that changes nothing: %v", err)
	}
	if _, err := fs.Rewrap(RewrapRequest{Paths: []string{enc}, To: []string{"no-such-alias"}, Profile: "cloud"}); err == nil {
		t.Fatal("an unknown alias was accepted")
	}
	info, err = fs.Rewrap(RewrapRequest{Paths: []string{filepath.Join(dir, "docs")}, To: []string{"archive"}, Profile: "cloud"})
	if done := startJob(t, ev, info, err); done["done"] != 1.0 || info.Kind != JobRewrap {
		t.Fatalf("rewrap %v %v", done, jobFileCodes(ev, info.ID))
	}
	in, err := fs.Inspect(enc)
	if err != nil || len(in.Keys) != 1 || in.Keys[0].KeyID != cloud.KeyID("archive") || in.Keys[0].Kind != SlotTencent {
		t.Fatalf("after the move: %+v %v", in, err)
	}

	// The local KMS is gone; the cloud profile opens the file.
	if err := b.Host.conn.local.(interface{ Close() error }).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Settings.SetActive("cloud"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	info, err = fs.Decrypt(DecryptRequest{Paths: []string{enc}, OutputDir: out, Overwrite: OverwriteSkip})
	if done := startJob(t, ev, info, err); done["done"] != 1.0 {
		t.Fatalf("decrypt with the cloud profile: %v %v", done, jobFileCodes(ev, info.ID))
	}
	if got, _ := os.ReadFile(filepath.Join(out, "a.txt")); string(got) != "alpha" {
		t.Fatalf("got %q", got)
	}

	// Removing the only key is refused, and the file stays as it was.
	before, _ := os.ReadFile(enc)
	info, err = fs.Rewrap(RewrapRequest{Paths: []string{enc}, Remove: []string{cloud.KeyID("archive")}})
	if done := startJob(t, ev, info, err); done["failed"] != 1.0 || !strings.Contains(jobFileCodes(ev, info.ID)[enc], "Envelope.LastSlot") {
		t.Fatalf("last slot: %v %v", done, jobFileCodes(ev, info.ID))
	}
	if after, _ := os.ReadFile(enc); !bytes.Equal(before, after) {
		t.Fatal("a refused re-wrap changed the file")
	}
}
