package jobs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

func inspectSlots(t *testing.T, path string) []envelope.Slot {
	t.Helper()
	in, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	return in.Header.Slots
}

func newRecovery(t *testing.T) (envelope.Identity, envelope.Recipient) {
	t.Helper()
	id, err := envelope.GenerateIdentity(false)
	if err != nil {
		t.Fatal(err)
	}
	return id, id.Recipient()
}

// TestLocalKMSSlots: files encrypted on a local KMS carry its instance id; another
// computer's local KMS is named in the error, with the slot, instead of "not found".
func TestLocalKMSSlots(t *testing.T) {
	e := newEnv(t)
	e.local = "7d0e5c2a-1b3c-4d5e-8f60-718293a4b5c6"
	dir := t.TempDir()
	src := filepath.Join(dir, "notes.txt")
	writeFile(t, src, []byte("local only"), 0o600, time.Time{})
	backup := e.newKey("backup")
	sum, res := e.encrypt(EncryptSpec{Paths: []string{src}, KeyID: e.keyID, BackupKeys: []envelope.KeyRef{{KeyID: backup}}})
	if sum.Done != 1 {
		t.Fatalf("encrypt %+v %v", sum, res)
	}
	out := res[src].Output
	slots := inspectSlots(t, out)
	want := envelope.LocalRegion(e.local, "ap-guangzhou")
	if len(slots) != 2 || slots[0].Type != envelope.SlotLocalKMS || slots[0].Region != want || slots[1].Type != envelope.SlotLocalKMS || slots[1].Region != want {
		t.Fatalf("slots %+v", slots)
	}
	os.Remove(src)
	if sum, _ := e.decrypt(DecryptSpec{Paths: []string{out}}); sum.Done != 1 {
		t.Fatalf("decrypt on the same computer: %+v", sum)
	}
	// On another computer: its local KMS has another id.
	os.Remove(src)
	e.local = "00000000-0000-4000-8000-000000000000"
	sum, res = e.decrypt(DecryptSpec{Paths: []string{out}})
	r := res[out]
	if sum.Failed != 1 || r.ErrorCode != "LocalKMS.OtherComputer" || r.Key == nil || r.Key.Type != envelope.SlotLocalKMS || r.Key.Region != want || r.Key.KeyID != e.keyID {
		t.Fatalf("another computer: %+v", r)
	}
}

// TestRecoveryKeyOpensFilesWithoutKMS: a file with a recovery slot opens with the
// identity alone; not one KMS Decrypt is made.
func TestRecoveryKeyOpensFilesWithoutKMS(t *testing.T) {
	e := newEnv(t)
	id, rc := newRecovery(t)
	dir := t.TempDir()
	var in []string
	for _, n := range []string{"a.txt", "b.txt"} {
		p := filepath.Join(dir, n)
		writeFile(t, p, content(n, 5000), 0o600, time.Time{})
		in = append(in, p)
	}
	sum, res := e.encrypt(EncryptSpec{Paths: in, KeyID: e.keyID, Recovery: []envelope.Recipient{rc}, OutputDir: filepath.Join(dir, "enc")})
	if sum.Done != 2 {
		t.Fatalf("encrypt %+v", sum)
	}
	enc := res[in[0]].Output
	if s := inspectSlots(t, enc); len(s) != 2 || s[1].Type != envelope.SlotRecovery || s[1].KeyID != rc.KeyID() {
		t.Fatalf("slots %+v", s)
	}
	must(t, e.admin.DisableKeys(context.Background(), e.keyID))
	e.count.reset()
	sum, res = e.decrypt(DecryptSpec{Paths: []string{filepath.Join(dir, "enc")}, OutputDir: filepath.Join(dir, "out"), Identities: []envelope.Identity{id}})
	if sum.Done != 2 || e.count.calls("Decrypt") != 0 {
		t.Fatalf("recovery decrypt: %+v %v, %d KMS Decrypt calls", sum, res, e.count.calls("Decrypt"))
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out", "enc", "a.txt")); !bytes.Equal(got, content("a.txt", 5000)) {
		t.Fatal("restored bytes differ")
	}
	// Without the recovery key the disabled key's error is what the user sees.
	sum, res = e.decrypt(DecryptSpec{Paths: []string{enc}, OutputDir: filepath.Join(dir, "out2")})
	if r := res[enc]; sum.Failed != 1 || r.ErrorCode != "ResourceUnavailable.CmkDisabled" || r.Key == nil || r.Key.KeyID != e.keyID {
		t.Fatalf("without the recovery key: %+v", r)
	}
}

// TestRewrapMovesFilesToAnotherKey: a folder of files sharing one data key moves to
// another key with one KMS Decrypt and one Encrypt; payloads stay byte-identical; the
// old key is no longer needed.
func TestRewrapMovesFilesToAnotherKey(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	for i, n := range []string{"a.pdf", "sub/b.docx", "sub/c.xlsx"} {
		writeFile(t, filepath.Join(dir, "plain", n), content(n, 1000*(i+1)+envelope.ChunkSize), 0o640, time.Time{})
	}
	sum, _ := e.encrypt(EncryptSpec{Paths: []string{filepath.Join(dir, "plain")}, KeyID: e.keyID, Recursive: true, OutputDir: filepath.Join(dir, "enc")})
	if sum.Done != 3 {
		t.Fatalf("encrypt %+v", sum)
	}
	encDir := filepath.Join(dir, "enc")
	before := map[string][]byte{}
	_ = filepath.WalkDir(encDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			before[p], _ = os.ReadFile(p)
		}
		return nil
	})
	target := e.newKey("archive-2027")
	_, rc := newRecovery(t)
	e.count.reset()
	info, err := e.m.Rewrap(context.Background(), RewrapSpec{Paths: []string{encDir}, Keep: func(s envelope.Slot) bool { return !s.IsKMS() },
		Add: []envelope.KeyRef{{KeyID: target}}, AddRecovery: []envelope.Recipient{rc}})
	sum, res := e.wait(info, err)
	if sum.Done != 3 || info.Kind != KindRewrap {
		t.Fatalf("rewrap %+v %v", sum, res)
	}
	if d, enc := e.count.calls("Decrypt"), e.count.calls("Encrypt"); d != 1 || enc != 1 {
		t.Fatalf("%d Decrypt and %d Encrypt calls for 3 files of one data key, want 1 and 1", d, enc)
	}
	for p, old := range before {
		now, _ := os.ReadFile(p)
		oh, _ := envelope.Inspect(bytes.NewReader(old))
		nh, _ := envelope.Inspect(bytes.NewReader(now))
		if !bytes.Equal(old[oh.Len():], now[nh.Len():]) || nh.Salt != oh.Salt || nh.Commitment != oh.Commitment {
			t.Fatalf("%s: the payload changed", p)
		}
		if len(nh.Slots) != 2 || nh.Slots[0].KeyID != target || nh.Slots[1].Type != envelope.SlotRecovery {
			t.Fatalf("%s: slots %+v", p, nh.Slots)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != platformMode(0o640) {
			t.Fatalf("%s: mode %v", p, fi.Mode())
		}
		if res[p].Output != p {
			t.Fatalf("%s: output %q", p, res[p].Output)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(encDir, "plain", "sub"))
	if len(entries) != 2 {
		t.Fatalf("left behind: %v", entries)
	}
	// The old key can go: the files open with the new one.
	must(t, e.admin.DisableKeys(context.Background(), e.keyID))
	if sum, _ := e.decrypt(DecryptSpec{Paths: []string{encDir}, OutputDir: filepath.Join(dir, "back")}); sum.Done != 3 {
		t.Fatalf("decrypt after the move: %+v", sum)
	}

	// Removing every key is refused per file; the files stay as they were.
	moved, _ := os.ReadFile(filepath.Join(encDir, "plain", "a.pdf.kmsenc"))
	info, err = e.m.Rewrap(context.Background(), RewrapSpec{Paths: []string{encDir}, Keep: func(envelope.Slot) bool { return false }})
	sum, res = e.wait(info, err)
	if r := res[filepath.Join(encDir, "plain", "a.pdf.kmsenc")]; sum.Failed != 3 || r.ErrorCode != envelope.CodeLastSlot {
		t.Fatalf("removing the last key: %+v %+v", sum, r)
	}
	if now, _ := os.ReadFile(filepath.Join(encDir, "plain", "a.pdf.kmsenc")); !bytes.Equal(now, moved) {
		t.Fatal("a refused re-wrap changed the file")
	}
}

// TestSymlinkInFolderSkippedByEveryJob: a link inside a folder is never followed by a
// re-wrap, a decrypt or a verify either: it is reported as skipped (File.Symlink), and
// the encrypted file it points to, outside the folder, is left exactly as it was.
func TestSymlinkInFolderSkippedByEveryJob(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain", "a.txt"), content("a", 3000), 0o600, time.Time{})
	writeFile(t, filepath.Join(dir, "elsewhere", "x.txt"), content("x", 2000), 0o600, time.Time{})
	encDir := filepath.Join(dir, "enc")
	if sum, _ := e.encrypt(EncryptSpec{Paths: []string{filepath.Join(dir, "plain")}, Recursive: true, OutputDir: encDir}); sum.Done != 1 {
		t.Fatalf("encrypt %+v", sum)
	}
	outside := filepath.Join(dir, "elsewhere", "x.txt.kmsenc")
	if sum, _ := e.encrypt(EncryptSpec{Paths: []string{filepath.Join(dir, "elsewhere", "x.txt")}}); sum.Done != 1 {
		t.Fatalf("encrypt %+v", sum)
	}
	link := filepath.Join(encDir, "plain", "x.txt.kmsenc")
	symlinkOrSkip(t, outside, link)
	before, _ := os.ReadFile(outside)
	inside := filepath.Join(encDir, "plain", "a.txt.kmsenc")

	target := e.newKey("symlink-target")
	info, err := e.m.Rewrap(context.Background(), RewrapSpec{Paths: []string{encDir}, Keep: func(envelope.Slot) bool { return false },
		Add: []envelope.KeyRef{{KeyID: target}}})
	sum, res := e.wait(info, err)
	if sum.Done != 1 || sum.Skipped != 1 || sum.Failed != 0 {
		t.Fatalf("rewrap %+v %v", sum, res)
	}
	expect(t, res, inside, StatusDone, "")
	expect(t, res, link, StatusSkipped, CodeSymlink)
	if slots := inspectSlots(t, inside); len(slots) != 1 || slots[0].KeyID != target {
		t.Fatalf("the file inside the folder was not re-wrapped: %+v", slots)
	}
	if after, _ := os.ReadFile(outside); !bytes.Equal(after, before) {
		t.Fatal("re-wrap followed the link and changed the file outside the folder")
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}

	out := filepath.Join(dir, "dec")
	sum, res = e.decrypt(DecryptSpec{Paths: []string{encDir}, OutputDir: out})
	if sum.Done != 1 || sum.Skipped != 1 || sum.Failed != 0 {
		t.Fatalf("decrypt %+v %v", sum, res)
	}
	expect(t, res, link, StatusSkipped, CodeSymlink)
	if _, err := os.Lstat(filepath.Join(out, "plain", "x.txt")); !os.IsNotExist(err) {
		t.Fatalf("decrypt followed the link: %v", err)
	}

	sum, res = e.verify(VerifySpec{Paths: []string{encDir}})
	if sum.Done != 1 || sum.Skipped != 1 || sum.Failed != 0 {
		t.Fatalf("verify %+v %v", sum, res)
	}
	expect(t, res, link, StatusSkipped, CodeSymlink)
}

// TestRewrapToAnotherKMS re-wraps files of one local KMS to a key of a second one
// (another profile); the first KMS can then disappear.
func TestRewrapToAnotherKMS(t *testing.T) {
	e := newEnv(t)
	e.local = "7d0e5c2a-1b3c-4d5e-8f60-718293a4b5c6"
	src := filepath.Join(t.TempDir(), "contract.pdf")
	writeFile(t, src, content("contract", 30000), 0o600, time.Time{})
	sum, res := e.encrypt(EncryptSpec{Paths: []string{src}, KeyID: e.keyID})
	if sum.Done != 1 {
		t.Fatal(sum)
	}
	out := res[src].Output

	other := localkmstest.Start(t, localkmstest.Keys("cloud"))
	dest := func(_ context.Context, route string) (KMS, error) {
		region := route
		if region == "" {
			region = other.Region
		}
		c, err := kms.New(kms.Config{Region: region, Endpoint: other.URL, Transport: other.Transport,
			Credentials: kms.StaticCredentials(kms.Credentials{SecretID: other.SecretID, SecretKey: other.SecretKey})})
		return KMS{Client: c}, err
	}
	info, err := e.m.Rewrap(context.Background(), RewrapSpec{Paths: []string{out}, Keep: func(s envelope.Slot) bool { return !s.IsKMS() },
		Add: []envelope.KeyRef{{KeyID: other.KeyID("cloud")}}, Dest: dest})
	if sum, res := e.wait(info, err); sum.Done != 1 {
		t.Fatalf("rewrap %+v %v", sum, res)
	}
	if s := inspectSlots(t, out); len(s) != 1 || s[0].Type != envelope.SlotTencentKMS || s[0].KeyID != other.KeyID("cloud") || s[0].Region != other.Region {
		t.Fatalf("slots %+v", s)
	}
	// The first local KMS is gone; a manager on the second alone opens the file.
	e.lk.Server.Close()
	rec := newRecorder()
	m := NewManager(Options{KMS: dest, Sink: rec})
	os.Remove(src)
	info, err = m.Decrypt(context.Background(), DecryptSpec{Paths: []string{out}})
	if err != nil {
		t.Fatal(err)
	}
	if s := <-rec.doneChan(info.ID); s.Done != 1 {
		t.Fatalf("decrypt with the second KMS only: %+v %v", s, rec.filesOf(info.ID))
	}
	if got, _ := os.ReadFile(src); !bytes.Equal(got, content("contract", 30000)) {
		t.Fatal("restored bytes differ")
	}
}
