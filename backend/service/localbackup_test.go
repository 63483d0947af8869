package service

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// testLocal adapts a *localkms.Server to LocalKMS, as app.go does.
type testLocal struct{ *localkms.Server }

func (l testLocal) Backup(w io.Writer, passphrase string) (LocalBackup, error) {
	info, err := l.Server.Backup(w, passphrase)
	return LocalBackup(info), err
}

func (l testLocal) Restore(r io.Reader, passphrase string) (LocalRestore, error) {
	res, err := l.Server.Restore(r, passphrase)
	return LocalRestore(res), err
}

const backupPassphrase = "four random words here"

// openLocal opens a local KMS in dir (closed when the test ends).
func openLocal(t *testing.T, dir string) *localkms.Server {
	t.Helper()
	srv, err := localkms.Open(localkms.Options{DataDir: dir, MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// backendOn returns services on the local KMS srv, with profiles in config.
func backendOn(t *testing.T, srv *localkms.Server, config string, sh *fakeShell, events Events) *Backend {
	t.Helper()
	b := New(Deps{
		Context: context.Background(), Gate: OpenGate(), Log: slog.New(slog.DiscardHandler),
		Dirs: Dirs{Config: config}, Local: testLocal{srv}, Events: events, Dialogs: sh, Desktop: sh,
		Info: AppInfo{Name: "KMS Desk", Version: "1.2.3", ConfigDir: config}, Started: time.Now(),
	})
	t.Cleanup(func() { b.Host.Shutdown(10 * time.Second) })
	return b
}

// treeState is the content of every file under dir, by relative path.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// jobDone returns a function that waits for the file job it is given and returns its
// job:done payload: jobDone(t, ev)(b.Files.Encrypt(...)).
func jobDone(t *testing.T, ev *eventLog) func(JobInfo, error) map[string]any {
	return func(info JobInfo, err error) map[string]any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ev.waitFor(t, info.ID, EventJobDone)
	}
}

// TestLostComputerRecovery is the case backups exist for: files encrypted with the
// local KMS, a backup, then the whole data folder is gone. A fresh local KMS (another
// instance id) cannot open the files; once the backup is restored into it, the normal
// decrypt path opens every one of them, the .kmsenc files whose key slots name the
// lost instance ("<instance>/<region>", slot type 3) included. A wrong passphrase or a
// damaged backup leaves the new data folder byte for byte as it was.
func TestLostComputerRecovery(t *testing.T) {
	root := t.TempDir()
	oldData, config := filepath.Join(root, "old", "localkms"), filepath.Join(root, "config")
	oldSrv := openLocal(t, oldData)
	oldID := oldSrv.InstanceIDs()[0]
	ev := newEventLog()
	sh := &fakeShell{}
	b := backendOn(t, oldSrv, config, sh, Emitter(ev.Emit))
	if _, err := b.Keys.Create(CreateKeyInput{Alias: "contracts"}); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, "work")
	writeTestFile(t, filepath.Join(work, "docs", "a.txt"), []byte("contract A"))
	writeTestFile(t, filepath.Join(work, "docs", "sub", "b 合同.bin"), make([]byte, 200000))
	writeTestFile(t, filepath.Join(work, "note.txt"), []byte("small note"))
	if d := jobDone(t, ev)(b.Files.Encrypt(EncryptRequest{Paths: []string{filepath.Join(work, "docs")}, KeyID: "contracts", OutputDir: filepath.Join(root, "enc")})); d["done"] != 2.0 {
		t.Fatalf("encrypt: %v", d)
	}
	if d := jobDone(t, ev)(b.Files.Encrypt(EncryptRequest{Paths: []string{filepath.Join(work, "note.txt")}, KeyID: "contracts", OutputDir: filepath.Join(root, "enc"), Direct: true})); d["done"] != 1.0 {
		t.Fatalf("encrypt direct: %v", d)
	}
	enc := filepath.Join(root, "enc", "docs", "a.txt.kmsenc")
	in, err := b.Files.Inspect(enc)
	if err != nil || len(in.Keys) != 1 || in.Keys[0].Kind != SlotLocal || in.Keys[0].Instance != oldID {
		t.Fatalf("the file has no local slot of the old instance: %+v %v", in, err)
	}

	// Back up through the Settings service (the save dialog answers a path).
	sh.save = filepath.Join(root, "safe", "keys.age")
	if err := os.MkdirAll(filepath.Dir(sh.save), 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := b.Settings.BackupLocalKeys(backupPassphrase)
	if err != nil || res.Path != sh.save || res.Keys != 1 || !slices.Equal(res.Instances, []string{oldID}) {
		t.Fatalf("backup: %+v %v", res, err)
	}
	if st, err := os.Stat(sh.save); err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 { // Windows keeps no POSIX modes
		t.Fatalf("backup file: %v %v", st, err)
	}
	if left, _ := filepath.Glob(filepath.Join(root, "safe", "*.partial")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	// The computer is lost.
	b.Host.Shutdown(10 * time.Second)
	if err := oldSrv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "old")); err != nil {
		t.Fatal(err)
	}

	newData := filepath.Join(root, "new", "localkms")
	newSrv := openLocal(t, newData)
	if newSrv.InstanceIDs()[0] == oldID {
		t.Fatal("the new local KMS has the old instance id")
	}
	ev2 := newEventLog()
	sh2 := &fakeShell{}
	b2 := backendOn(t, newSrv, filepath.Join(root, "config2"), sh2, Emitter(ev2.Emit))
	out := filepath.Join(root, "out")
	d := jobDone(t, ev2)(b2.Files.Decrypt(DecryptRequest{Paths: []string{filepath.Join(root, "enc", "docs")}, OutputDir: out}))
	if d["failed"] != 2.0 {
		t.Fatalf("decrypt before the restore: %v", d)
	}
	if f := ev2.named(EventJobFile)[0]; f["errorCode"] != CodeOtherLocalKMS {
		t.Fatalf("before the restore: %v", f)
	}

	// A wrong passphrase and a damaged file change nothing.
	before := treeState(t, newData)
	if _, err := b2.Settings.RestoreLocalKeys(sh.save, "four random words there"); ErrorCode(err) != localkms.CodeBackupPassphrase {
		t.Fatalf("wrong passphrase: %v", err)
	}
	damaged := filepath.Join(root, "damaged.age")
	data, err := os.ReadFile(sh.save)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, damaged, data[:len(data)*2/3])
	if _, err := b2.Settings.RestoreLocalKeys(damaged, backupPassphrase); ErrorCode(err) != localkms.CodeBackupDamaged {
		t.Fatalf("damaged: %v", err)
	}
	if _, err := b2.Settings.RestoreLocalKeys(filepath.Join(root, "missing.age"), backupPassphrase); ErrorCode(err) != "File.NotFound" {
		t.Fatalf("missing file: %v", err)
	}
	if !sameTree(before, treeState(t, newData)) {
		t.Fatal("a refused restore changed the data folder")
	}

	// The restore, through the open dialog.
	sh2.open = sh.save
	rr, err := b2.Settings.RestoreLocalKeys("", backupPassphrase)
	if err != nil || rr.Path != sh.save || len(rr.KeysAdded) != 1 || !slices.Equal(rr.AliasesAdded, []string{"contracts"}) || !slices.Equal(rr.Instances, []string{oldID}) {
		t.Fatalf("restore: %+v %v", rr, err)
	}
	if in, err := b2.Files.Inspect(enc); err != nil || !in.Keys[0].ThisComputer {
		t.Fatalf("after the restore the slot is not this computer's: %+v %v", in, err)
	}
	d = jobDone(t, ev2)(b2.Files.Decrypt(DecryptRequest{Paths: []string{filepath.Join(root, "enc")}, OutputDir: out, Overwrite: OverwriteOverwrite}))
	if d["done"] != 3.0 || d["failed"] != 0.0 {
		t.Fatalf("decrypt after the restore: %v %v", d, ev2.named(EventJobFile))
	}
	for rel, want := range map[string]string{"enc/docs/a.txt": "contract A", "enc/note.txt": "small note"} {
		if got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel))); err != nil || string(got) != want {
			t.Fatalf("%s: %q %v", rel, got, err)
		}
	}
	if got, err := os.ReadFile(filepath.Join(out, "enc", "docs", "sub", "b 合同.bin")); err != nil || len(got) != 200000 {
		t.Fatalf("big file: %d bytes, %v", len(got), err)
	}
	// The new computer encrypts with its own id; the restored key works for new files.
	if d := jobDone(t, ev2)(b2.Files.Encrypt(EncryptRequest{Paths: []string{filepath.Join(work, "note.txt")}, KeyID: "contracts", OutputDir: filepath.Join(root, "enc2")})); d["done"] != 1.0 {
		t.Fatalf("encrypt after the restore: %v", d)
	}
}

// TestWriteLocalBackup: kmsctl's writer never replaces a file and leaves no temporary
// file behind; a weak passphrase writes nothing; no local KMS is a clear error.
func TestWriteLocalBackup(t *testing.T) {
	srv := openLocal(t, filepath.Join(t.TempDir(), "localkms"))
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.age")
	if _, err := WriteLocalBackup(testLocal{srv}, path, "short"); ErrorCode(err) != localkms.CodeWeakPassphrase {
		t.Fatalf("weak passphrase: %v", err)
	}
	res, err := WriteLocalBackup(testLocal{srv}, path, backupPassphrase)
	if err != nil || res.Path != path || res.Keys != 0 || len(res.Instances) != 1 {
		t.Fatalf("backup: %+v %v", res, err)
	}
	first, _ := os.ReadFile(path)
	if _, err := WriteLocalBackup(testLocal{srv}, path, backupPassphrase); ErrorCode(err) != "File.Exists" {
		t.Fatalf("existing file: %v", err)
	}
	// Appearing while the backup is made is caught too.
	if err := placeNew(path+".x", path); ErrorCode(err) != "File.Exists" {
		t.Fatalf("placeNew over an existing file: %v", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Fatal("the existing backup was changed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
	if _, err := WriteLocalBackup(nil, filepath.Join(dir, "b.age"), backupPassphrase); ErrorCode(err) != CodeNoLocalKMS {
		t.Fatalf("no local KMS: %v", err)
	}
	if _, err := RestoreLocalBackup(nil, path, backupPassphrase); ErrorCode(err) != CodeNoLocalKMS {
		t.Fatalf("no local KMS: %v", err)
	}
}

// TestBackupLocalKeysCancelled: a weak passphrase is refused before the save dialog
// opens; a cancelled dialog writes nothing and answers an empty path.
func TestBackupLocalKeysCancelled(t *testing.T) {
	b, sh, _ := newBackend(t)
	dir := t.TempDir()
	sh.save = filepath.Join(dir, "x.age")
	if _, err := b.Settings.BackupLocalKeys("eleven char"); ErrorCode(err) != localkms.CodeWeakPassphrase {
		t.Fatalf("weak: %v", err)
	}
	sh.save = ""
	if res, err := b.Settings.BackupLocalKeys(backupPassphrase); err != nil || res.Path != "" {
		t.Fatalf("cancelled: %+v %v", res, err)
	}
	if res, err := b.Settings.RestoreLocalKeys("", backupPassphrase); err != nil || res.Path != "" {
		t.Fatalf("cancelled restore: %+v %v", res, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written: %v", entries)
	}
	if p, err := b.Settings.ChooseLocalBackup(); err != nil || p != "" {
		t.Fatalf("choose: %q %v", p, err)
	}
}

// TestRestoreFormatV1Vector: a backup of format 1 made by kmsctl on a local KMS that
// no longer exists (testdata/localkms-backup) restores, and the file encrypted there,
// whose only key slot names that instance, decrypts.
func TestRestoreFormatV1Vector(t *testing.T) {
	root := t.TempDir()
	srv := openLocal(t, filepath.Join(root, "localkms"))
	ev := newEventLog()
	b := backendOn(t, srv, filepath.Join(root, "config"), &fakeShell{}, Emitter(ev.Emit))
	vec := filepath.Join("..", "..", "testdata", "localkms-backup")
	enc := filepath.Join(root, "lost-computer.txt.kmsenc")
	data, err := os.ReadFile(filepath.Join(vec, "lost-computer.txt.kmsenc"))
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, enc, data)
	res, err := b.Settings.RestoreLocalKeys(filepath.Join(vec, "v1.age"), "e2e fixture passphrase")
	if err != nil || !slices.Equal(res.KeysAdded, []string{"d0acec24-d646-4e19-91cf-00242bd4e108"}) || !slices.Equal(res.AliasesAdded, []string{"e2e-fixture"}) ||
		!slices.Equal(res.Instances, []string{"1e5efab8-0512-418a-b2a0-6c24e150e5a1"}) || res.CredentialsAdded != 1 {
		t.Fatalf("restore: %+v %v", res, err)
	}
	out := filepath.Join(root, "out")
	if d := jobDone(t, ev)(b.Files.Decrypt(DecryptRequest{Paths: []string{enc}, OutputDir: out})); d["done"] != 1.0 {
		t.Fatalf("decrypt: %v %v", d, ev.named(EventJobFile))
	}
	if got, err := os.ReadFile(filepath.Join(out, "lost-computer.txt")); err != nil || string(got) != "Made on a computer that is gone.\n" {
		t.Fatalf("decrypted %q %v", got, err)
	}
}

// downLocal is a local KMS that did not open.
type downLocal struct {
	testLocal
	err error
}

func (d downLocal) InstanceIDs() []string { return nil }

func (d downLocal) EmbeddedCredential() (string, string, error) { return "", "", d.err }

// TestBackupWithoutLocalKMS: when the local KMS did not open, backup and restore say
// why (its own code when it has one) and write nothing.
func TestBackupWithoutLocalKMS(t *testing.T) {
	dir := t.TempDir()
	inUse := downLocal{err: &fakeCoded{"LocalKMS.DataDirInUse"}}
	if _, err := WriteLocalBackup(inUse, filepath.Join(dir, "a.age"), backupPassphrase); ErrorCode(err) != "LocalKMS.DataDirInUse" {
		t.Fatalf("in use: %v", err)
	}
	starting := downLocal{err: errors.New("the local KMS is still starting")}
	if _, err := RestoreLocalBackup(starting, filepath.Join(dir, "a.age"), backupPassphrase); ErrorCode(err) != CodeNoLocalKMS {
		t.Fatalf("starting: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written: %v", entries)
	}
}

type fakeCoded struct{ code string }

func (f *fakeCoded) Error() string     { return f.code }
func (f *fakeCoded) ErrorCode() string { return f.code }
