package jobs

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cancelAt makes the first progress report of the file at src that reaches n bytes
// cancel the file victim of the job whose id arrives on id. The report waits for the
// cancel to be done, so the file at src is mid-way when it happens.
func cancelAt(t *testing.T, e *env, src string, n int64, victim string) chan<- string {
	t.Helper()
	id := make(chan string, 1)
	var once sync.Once
	e.m.hooks.fileProgress = func(p string, done int64) {
		if p != src || done < n {
			return
		}
		once.Do(func() {
			if err := e.m.CancelFile(<-id, victim); err != nil {
				t.Errorf("CancelFile: %v", err)
			}
		})
	}
	return id
}

// TestCancelOneFile cancels one file of a batch while it is written: that file
// reports cancelled and leaves nothing, the others finish, and the job is done.
func TestCancelOneFile(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	srcs := plainFiles(t, dir, 8<<20, "a.bin", "b.bin", "c.bin")
	a, b, c := srcs[0], srcs[1], srcs[2]
	out := filepath.Join(dir, "enc")

	id := cancelAt(t, e, b, 1<<20, b)
	info, err := e.m.Encrypt(context.Background(), EncryptSpec{KeyID: e.keyID, Paths: srcs, OutputDir: out})
	id <- info.ID
	sum, res := e.wait(info, err)
	expect(t, res, a, StatusDone, "")
	expect(t, res, b, StatusCancelled, CodeCancelled)
	expect(t, res, c, StatusDone, "")
	if sum.State != StateDone || sum.Done != 2 || sum.Cancelled != 1 {
		t.Fatalf("the job after one file was cancelled: %+v", sum)
	}
	if got := names(t, out); len(got) != 2 || got[0] != "a.bin.kmsenc" || got[1] != "c.bin.kmsenc" {
		t.Fatalf("outputs: %v (the cancelled file must leave nothing)", got)
	}
	if final := sum.Final; final.FilesDone != 3 || final.State != StateDone {
		t.Fatalf("final progress %+v", final)
	}

	// Decrypting: the same, and the cancelled file's partial plaintext is removed.
	e.m.hooks.fileProgress = nil
	_, res = e.encrypt(EncryptSpec{Paths: []string{b}, OutputDir: out})
	expect(t, res, b, StatusDone, "")
	cts := []string{filepath.Join(out, "a.bin.kmsenc"), filepath.Join(out, "b.bin.kmsenc"), filepath.Join(out, "c.bin.kmsenc")}
	dec := filepath.Join(dir, "dec")
	id = cancelAt(t, e, cts[1], 1<<20, cts[1])
	info, err = e.m.Decrypt(context.Background(), DecryptSpec{Paths: cts, OutputDir: dec})
	id <- info.ID
	sum, res = e.wait(info, err)
	expect(t, res, cts[1], StatusCancelled, CodeCancelled)
	if sum.State != StateDone || sum.Done != 2 || sum.Cancelled != 1 {
		t.Fatalf("the decryption after one file was cancelled: %+v", sum)
	}
	if got := names(t, dec); len(got) != 2 || got[0] != "a.bin" || got[1] != "c.bin" {
		t.Fatalf("decrypted: %v (the cancelled file must leave nothing)", got)
	}
	sameBytes(t, a, filepath.Join(dec, "a.bin"))
	sameBytes(t, c, filepath.Join(dec, "c.bin"))
	if _, err := os.Stat(b); err != nil {
		t.Fatalf("the original of the cancelled file: %v", err)
	}
}

// TestCancelWaitingFile cancels a file that has not started yet (one file at a time):
// it is never processed, the files before and after it are.
func TestCancelWaitingFile(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.FileWorkers = 1 })
	dir := t.TempDir()
	srcs := plainFiles(t, dir, 2<<20, "1.bin", "2.bin", "3.bin")
	out := filepath.Join(dir, "enc")
	id := cancelAt(t, e, srcs[0], 1<<20, srcs[2])
	info, err := e.m.Encrypt(context.Background(), EncryptSpec{KeyID: e.keyID, Paths: srcs, OutputDir: out})
	id <- info.ID
	sum, res := e.wait(info, err)
	expect(t, res, srcs[0], StatusDone, "")
	expect(t, res, srcs[1], StatusDone, "")
	expect(t, res, srcs[2], StatusCancelled, CodeCancelled)
	if sum.State != StateDone || sum.Cancelled != 1 {
		t.Fatalf("%+v", sum)
	}
	if got := names(t, out); len(got) != 2 {
		t.Fatalf("outputs: %v", got)
	}
}

// TestCancelFileRefusals: an unknown job, a path that is not one of the job's files;
// a finished file stays as it was.
func TestCancelFileRefusals(t *testing.T) {
	e := newEnv(t)
	dir, src := plainFile(t, "done.txt", 100)
	if err := e.m.CancelFile("job-nope", src); codeOf(err) != CodeJobNotFound {
		t.Fatalf("unknown job: %v", err)
	}
	info, err := e.m.Encrypt(context.Background(), EncryptSpec{KeyID: e.keyID, Paths: []string{src}})
	sum, res := e.wait(info, err)
	if err := e.m.CancelFile(info.ID, filepath.Join(dir, "other.txt")); codeOf(err) != CodeInvalidRequest {
		t.Fatalf("a path outside the job: %v", err)
	}
	if err := e.m.CancelFile(info.ID, src); err != nil {
		t.Fatalf("a finished file: %v", err)
	}
	expect(t, res, src, StatusDone, "")
	if r, _ := e.m.Report(info.ID); r.Summary == nil || r.Summary.Done != 1 || sum.State != StateDone {
		t.Fatalf("report after cancelling a finished file: %+v", r.Summary)
	}
	// A job whose every file the user cancelled is a cancelled job.
	big := filepath.Join(dir, "big.bin")
	writeFile(t, big, content("big", 4<<20), 0o644, time.Time{})
	id := cancelAt(t, e, big, 1<<20, big)
	info, err = e.m.Encrypt(context.Background(), EncryptSpec{KeyID: e.keyID, Paths: []string{big}})
	id <- info.ID
	if sum, res = e.wait(info, err); sum.State != StateCancelled {
		t.Fatalf("every file cancelled: %+v", sum)
	}
	expect(t, res, big, StatusCancelled, CodeCancelled)
}

// TestSkipCurrent: with SkipCurrent a file whose encrypted copy (next to it or in the
// output folder) is up to date is skipped with File.UpToDate naming the copy; a file
// that changed size, was modified after its copy was made, or whose "copy" is not an
// encrypted file is encrypted again; without SkipCurrent nothing is skipped.
func TestSkipCurrent(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "contracts")
	for _, n := range []string{"same.pdf", "grown.pdf", "touched.pdf"} {
		writeFile(t, filepath.Join(root, n), content(n, 5000), 0o644, testTime)
	}
	p := func(n string) string { return filepath.Join(root, n) }
	sum, _ := e.encrypt(EncryptSpec{Paths: []string{root}, Recursive: true})
	if sum.Done != 3 {
		t.Fatalf("first run %+v", sum)
	}
	writeFile(t, p("grown.pdf"), content("grown", 5001), 0o644, testTime)
	future := time.Now().Add(time.Hour)
	must(t, os.Chtimes(p("touched.pdf"), future, future))

	sum, res := e.encrypt(EncryptSpec{Paths: []string{root}, Recursive: true, SkipCurrent: true, Overwrite: PolicyOverwrite})
	r := expect(t, res, p("same.pdf"), StatusSkipped, CodeUpToDate)
	if r.Subject != p("same.pdf.kmsenc") {
		t.Fatalf("the skip names %q, want the encrypted copy", r.Subject)
	}
	expect(t, res, p("same.pdf.kmsenc"), StatusSkipped, CodeAlreadyEncrypted)
	expect(t, res, p("grown.pdf"), StatusDone, "")
	expect(t, res, p("touched.pdf"), StatusDone, "")
	if sum.Done != 2 || sum.Skipped != 4 || sum.State != StateDone {
		t.Fatalf("second run %+v", sum)
	}

	// A "copy" that is not an encrypted file does not count.
	writeFile(t, p("fake.pdf"), content("fake.pdf", 5000), 0o644, testTime)
	writeFile(t, p("fake.pdf.kmsenc"), content("not encrypted", 5000+1200), 0o644, time.Time{})
	_, res = e.encrypt(EncryptSpec{Paths: []string{p("fake.pdf")}, SkipCurrent: true})
	if r := expect(t, res, p("fake.pdf"), StatusDone, ""); filepath.Base(r.Output) != "fake.pdf (1).kmsenc" {
		t.Fatalf("output %q", r.Output)
	}

	// In an output folder, the copies there count.
	out := filepath.Join(dir, "out")
	_, res = e.encrypt(EncryptSpec{Paths: []string{p("same.pdf")}, OutputDir: out})
	expect(t, res, p("same.pdf"), StatusDone, "")
	_, res = e.encrypt(EncryptSpec{Paths: []string{p("same.pdf")}, OutputDir: out, SkipCurrent: true})
	if r := expect(t, res, p("same.pdf"), StatusSkipped, CodeUpToDate); r.Subject != filepath.Join(out, "same.pdf.kmsenc") {
		t.Fatalf("subject %q", r.Subject)
	}
	// Without SkipCurrent the file is encrypted again (renamed: the policy's default).
	_, res = e.encrypt(EncryptSpec{Paths: []string{p("same.pdf")}, OutputDir: out})
	if r := expect(t, res, p("same.pdf"), StatusDone, ""); filepath.Base(r.Output) != "same.pdf (1).kmsenc" {
		t.Fatalf("output %q", r.Output)
	}
}

// TestOutputFolderDenied: an output folder the user may not write in fails each file
// with File.PermissionDenied naming the folder, and leaves nothing.
func TestOutputFolderDenied(t *testing.T) {
	e := newEnv(t)
	dir, src := plainFile(t, "memo.txt", 3000)
	out := filepath.Join(dir, "readonly")
	must(t, os.Mkdir(out, 0o755))
	// The tests may run as root, whom a mode does not stop: the OS's answer to a
	// folder without write permission is given at the point the job creates its file.
	e.m.hooks.openPartial = func(path string) error {
		if filepath.Dir(path) == out {
			return &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES}
		}
		return nil
	}
	_, res := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out})
	r := expect(t, res, src, StatusFailed, CodePermissionDenied)
	if r.Subject != out {
		t.Fatalf("subject %q, want the folder %q", r.Subject, out)
	}
	leftNothing(t, out, "a denied output left")

	// Creating the output folder itself is refused the same way.
	sub := filepath.Join(dir, "sub", "deeper")
	err := mkdirErr(sub, &fs.PathError{Op: "mkdir", Path: sub, Err: syscall.EACCES})
	if codeOf(err) != CodePermissionDenied || subjectOf(err) != sub {
		t.Fatalf("mkdir refused: %v (%q)", err, subjectOf(err))
	}
}

// TestCutOffFileIsTruncated: a .kmsenc file cut off after its first chunk (a copy that
// stopped half-way) fails as Envelope.Truncated, "incomplete", at any cut point, and a
// file whose bytes were changed still fails as the one opaque authentication failure.
func TestCutOffFileIsTruncated(t *testing.T) {
	e := newEnv(t)
	dir, src := plainFile(t, "scan.pdf", 200_000)
	ct := encryptOne(t, e, src)
	whole := readFile(t, ct)
	out := filepath.Join(dir, "out")
	for _, keep := range []int{len(whole) / 2, len(whole) - 100, len(whole) - 17, 17_000 + 1200} {
		cut := filepath.Join(dir, "cut.pdf.kmsenc")
		writeFile(t, cut, whole[:keep], 0o644, time.Time{})
		_, res := e.decrypt(DecryptSpec{Paths: []string{cut}, OutputDir: out})
		expect(t, res, cut, StatusFailed, "Envelope.Truncated")
		leftNothing(t, out, "a cut-off file left")
	}
	bad := append([]byte(nil), whole...)
	bad[len(bad)-30] ^= 1
	tampered := filepath.Join(dir, "tampered.pdf.kmsenc")
	writeFile(t, tampered, bad, 0o644, time.Time{})
	_, res := e.decrypt(DecryptSpec{Paths: []string{tampered}, OutputDir: out})
	expect(t, res, tampered, StatusFailed, "Envelope.AuthenticationFailed")
}
