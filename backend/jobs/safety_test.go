package jobs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// encryptOne encrypts path next to itself and returns the output.
func encryptOne(t *testing.T, e *env, path string) string {
	t.Helper()
	_, res := e.encrypt(EncryptSpec{Paths: []string{path}})
	r := expect(t, res, path, StatusDone, "")
	return r.Output
}

func TestOutputIsInputRefused(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()

	// A ciphertext whose restored name is its own name, decrypted next to itself.
	doc := filepath.Join(dir, "doc")
	writeFile(t, doc, content("doc", 30000), 0o644, time.Time{})
	ct := encryptOne(t, e, doc)
	must(t, os.Remove(doc))
	must(t, os.Rename(ct, doc))
	before := snapshot(t, dir)
	_, res := e.decrypt(DecryptSpec{Paths: []string{doc}, Overwrite: PolicyOverwrite})
	expect(t, res, doc, StatusFailed, CodeOutputIsInput)
	if !equalSnapshots(before, snapshot(t, dir)) {
		t.Fatalf("the folder changed: %v", names(t, dir))
	}

	// The same through an output folder that is a symlink to the input's folder.
	t.Run("symlinked output folder", func(t *testing.T) {
		alias := filepath.Join(t.TempDir(), "alias")
		symlinkOrSkip(t, dir, alias)
		_, res := e.decrypt(DecryptSpec{Paths: []string{doc}, OutputDir: alias, Overwrite: PolicyOverwrite})
		expect(t, res, doc, StatusFailed, CodeOutputIsInput)
		if !equalSnapshots(before, snapshot(t, dir)) {
			t.Fatalf("the folder changed: %v", names(t, dir))
		}
	})

	// One input's output would replace another input of the same job.
	other := filepath.Join(dir, "b.kmsenc")
	writeFile(t, other, content("b", 100), 0o644, time.Time{}) // plaintext named like a ciphertext
	_, res = e.encrypt(EncryptSpec{Paths: []string{other}, Force: true})
	ctOther := expect(t, res, other, StatusDone, "").Output // b.kmsenc.kmsenc, restores "b.kmsenc"
	x := filepath.Join(dir, "x.kmsenc")
	must(t, os.Rename(ctOther, x))
	_, res = e.encrypt(EncryptSpec{Paths: []string{other}, Force: true})
	realCT := expect(t, res, other, StatusDone, "").Output
	must(t, os.Rename(realCT, filepath.Join(dir, "b.kmsenc"))) // now b.kmsenc is a real ciphertext
	before = snapshot(t, dir)
	_, res = e.decrypt(DecryptSpec{Paths: []string{x, filepath.Join(dir, "b.kmsenc")}, Overwrite: PolicyOverwrite, OutputDir: ""})
	expect(t, res, x, StatusFailed, CodeOutputIsInput)
	if b := snapshot(t, dir)["b.kmsenc"]; b.hash != before["b.kmsenc"].hash {
		t.Fatal("an input was overwritten")
	}
}

func TestTamperedFileFails(t *testing.T) {
	e := newEnv(t)
	dir, src := plainFile(t, "big.bin", 1<<20)
	ct := encryptOne(t, e, src)
	good := readFile(t, ct)
	out := filepath.Join(dir, "out")

	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
		code   string
	}{
		{"byte in the last chunk", func(b []byte) []byte { b[len(b)-100] ^= 1; return b }, envelope.CodeAuthenticationFailed},
		{"byte in the first chunk", func(b []byte) []byte { b[2000] ^= 0x80; return b }, envelope.CodeAuthenticationFailed},
		{"header MAC", func(b []byte) []byte { b[300] ^= 1; return b }, envelope.CodeAuthenticationFailed},
		{"cut at a chunk boundary", func(b []byte) []byte {
			return b[:len(b)-(len(b)-400)%envelope.SealedChunkSize-envelope.SealedChunkSize]
		}, envelope.CodeTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.mutate(append([]byte(nil), good...))
			p := filepath.Join(dir, "tampered.kmsenc")
			must(t, os.WriteFile(p, bad, 0o644))
			_, res := e.decrypt(DecryptSpec{Paths: []string{p}, OutputDir: out, Overwrite: PolicyOverwrite})
			r := res[p]
			if r.ErrorCode != tc.code && !(tc.code == envelope.CodeTruncated && r.ErrorCode == envelope.CodeAuthenticationFailed) {
				t.Fatalf("got %s (%s), want %s", r.ErrorCode, r.Message, tc.code)
			}
			if r.Status != StatusFailed || r.Output != "" {
				t.Fatalf("%+v", r)
			}
			leftNothing(t, out, "a failed file left")
			if string(readFile(t, p)) != string(bad) {
				t.Fatal("the input changed")
			}
		})
	}
}

func TestDisabledKeyFailsEachFile(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	in := plainFiles(t, dir, 5000, "a", "b", "c")
	_, res := e.encrypt(EncryptSpec{Paths: in[:1]})
	ct := res[in[0]].Output
	must(t, e.admin.DisableKeys(t.Context(), e.keyID))
	e.count.reset()
	sum, res := e.encrypt(EncryptSpec{Paths: in, OutputDir: filepath.Join(dir, "out")})
	if sum.Failed != 3 || sum.State != StateFailed {
		t.Fatalf("%+v", sum)
	}
	for _, p := range in {
		expect(t, res, p, StatusFailed, "ResourceUnavailable.CmkDisabled")
	}
	if n := e.count.calls("GenerateDataKey"); n != 1 {
		t.Fatalf("a disabled key was asked %d times; the failure should be reused for the batch", n)
	}
	_, res = e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: filepath.Join(dir, "dec")})
	expect(t, res, ct, StatusFailed, "ResourceUnavailable.CmkDisabled")
	leftNothing(t, filepath.Join(dir, "out"), "a disabled key left")
}

func TestRequiredContext(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "payroll.csv")
	writeFile(t, src, content("payroll", 3000), 0o600, time.Time{})
	_, res := e.encrypt(EncryptSpec{Paths: []string{src}, EncryptionContext: `{"app":"kmsdesk","team":"hr"}`})
	ct := res[src].Output
	for _, tc := range []struct {
		require map[string]string
		code    string
	}{
		{map[string]string{"team": "finance"}, envelope.CodeContextMismatch},
		{map[string]string{"project": "x"}, envelope.CodeContextMismatch},
		{map[string]string{"team": "hr"}, ""},
		{nil, ""},
	} {
		e.count.reset()
		out := t.TempDir()
		_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out, RequireContext: tc.require})
		r := res[ct]
		if r.ErrorCode != tc.code {
			t.Fatalf("%v: got %s (%s)", tc.require, r.ErrorCode, r.Message)
		}
		if tc.code != "" && (e.count.total() != 0 || len(names(t, out)) != 0) {
			t.Fatalf("%v: a context mismatch must fail before KMS and write nothing", tc.require)
		}
		if tc.code == "" {
			sameBytes(t, src, filepath.Join(out, "payroll.csv"))
		}
	}
}

func TestCancelMidFile(t *testing.T) {
	var cancelAt, maxSeen atomic.Int64
	e := newEnv(t)
	e.m.hooks.fileProgress = func(_ string, n int64) {
		if maxSeen.Load() < n {
			maxSeen.Store(n)
		}
		if n >= 2<<20 && cancelAt.CompareAndSwap(0, n) {
			e.m.CancelAll()
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "video.mp4")
	writeFile(t, src, content("video", 40<<20), 0o644, time.Time{})
	out := filepath.Join(dir, "out")
	start := time.Now()
	sum, res := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out})
	expect(t, res, src, StatusCancelled, CodeCancelled)
	if sum.State != StateCancelled {
		t.Fatalf("%+v", sum)
	}
	leftNothing(t, out, "a cancelled file left")
	after := maxSeen.Load() - cancelAt.Load()
	t.Logf("cancelled after %d bytes, %d more bytes written after the cancel, in %v", cancelAt.Load(), after, time.Since(start))
	if after > 4<<20 {
		t.Fatalf("%d bytes were processed after the cancel", after)
	}

	// Decrypt, cancelled the same way.
	e.m.hooks.fileProgress = nil
	ct := encryptOne(t, e, src)
	cancelAt.Store(0)
	e.m.hooks.fileProgress = func(_ string, n int64) {
		if n >= 2<<20 && cancelAt.CompareAndSwap(0, n) {
			e.m.CancelAll()
		}
	}
	_, res = e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out})
	expect(t, res, ct, StatusCancelled, CodeCancelled)
	leftNothing(t, out, "a cancelled decryption left")
}

func TestRemoveOriginals(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.doc"), filepath.Join(dir, "b.doc")
	writeFile(t, a, content("a", 70000), 0o644, time.Time{})
	writeFile(t, b, content("b", 10), 0o644, time.Time{})
	want := snapshot(t, dir)
	sum, res := e.encrypt(EncryptSpec{Paths: []string{a, b}, RemoveOriginals: true})
	if sum.Done != 2 {
		t.Fatalf("%+v %v", sum, res)
	}
	if e.count.calls("GenerateDataKey") != 1 || e.count.calls("Decrypt") != 1 {
		t.Fatalf("calls: %d GenerateDataKey, %d Decrypt (verification unwraps once per batch)", e.count.calls("GenerateDataKey"), e.count.calls("Decrypt"))
	}
	for _, p := range []string{a, b} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s was not removed", p)
		}
	}
	out := filepath.Join(dir, "back")
	e.decrypt(DecryptSpec{Paths: []string{res[a].Output, res[b].Output}, OutputDir: out})
	got := snapshot(t, out)
	if got["a.doc"].hash != want["a.doc"].hash || got["b.doc"].hash != want["b.doc"].hash {
		t.Fatal("the encrypted files do not restore the removed originals")
	}
}

func TestRemoveOriginalsNotWhenVerifyFails(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "precious.db")
	writeFile(t, src, content("precious", 200000), 0o600, time.Time{})
	before := snapshot(t, dir)
	// Corrupt the committed output between writing and verifying.
	e.m.hooks.beforeVerify = func(output string) {
		f, err := os.OpenFile(output, os.O_RDWR, 0)
		must(t, err)
		defer f.Close()
		b := make([]byte, 1)
		_, err = f.ReadAt(b, 150000)
		must(t, err)
		b[0] ^= 0xff
		_, err = f.WriteAt(b, 150000)
		must(t, err)
	}
	_, res := e.encrypt(EncryptSpec{Paths: []string{src}, RemoveOriginals: true})
	r := expect(t, res, src, StatusFailed, envelope.CodeAuthenticationFailed)
	if r.Output != "" {
		t.Fatalf("the bad output is still reported: %+v", r)
	}
	if !equalSnapshots(before, snapshot(t, dir)) {
		t.Fatalf("the original must be kept and the bad output removed: %v", names(t, dir))
	}

	// The original changes after encryption: it is kept, the output stays.
	e.m.hooks.beforeVerify = func(string) {
		f, err := os.OpenFile(src, os.O_APPEND|os.O_WRONLY, 0)
		must(t, err)
		_, err = io.WriteString(f, "more")
		must(t, err)
		must(t, f.Close())
	}
	_, res = e.encrypt(EncryptSpec{Paths: []string{src}, RemoveOriginals: true})
	r = expect(t, res, src, StatusFailed, CodeChanged)
	if _, err := os.Stat(src); err != nil || r.Output == "" {
		t.Fatalf("the changed original must be kept (%v), the output reported (%+v)", err, r)
	}
}

func TestDiskFull(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "data.bin")
	writeFile(t, src, content("df", 1<<20), 0o644, time.Time{})
	out := filepath.Join(dir, "out")

	e.m.hooks.freeSpace = func(string) (int64, bool) { return 100 << 10, true }
	_, res := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out})
	expect(t, res, src, StatusFailed, CodeDiskFull)
	if e.count.total() != 0 {
		t.Fatal("a file that cannot fit must not cost a KMS call")
	}
	e.m.hooks.freeSpace = nil

	// The disk fills up while writing (ENOSPC).
	e.m.hooks.wrapWriter = func(w io.Writer) io.Writer {
		return &failWriter{w: w, n: 300 << 10, err: &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}}
	}
	_, res = e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out})
	expect(t, res, src, StatusFailed, CodeDiskFull)
	leftNothing(t, out, "a full disk left")
	e.m.hooks.wrapWriter = func(w io.Writer) io.Writer {
		return &failWriter{w: w, n: 10, err: &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}}
	}
	_, res = e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out})
	expect(t, res, src, StatusFailed, CodeIOError)
	leftNothing(t, out, "an I/O error left")
}

// partialHolderEnv names the partial file the child process of TestStalePartials
// creates and holds locked until its stdin closes: a writer in another process.
const partialHolderEnv = "KMSDESK_JOBS_PARTIAL_HOLDER"

// TestPartialHolderChild is the child process of TestStalePartials.
func TestPartialHolderChild(t *testing.T) {
	path := os.Getenv(partialHolderEnv)
	if path == "" {
		t.Skip("helper process of TestStalePartials")
	}
	f, err := createExclusive(path, 0)
	must(t, err)
	must(t, lockPartial(f))
	_, err = f.WriteString("being written")
	must(t, err)
	fmt.Println("LOCKED")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	must(t, closePartial(f))
}

// holdPartial starts a child process that creates path as a partial file and keeps
// it locked; the returned function ends it (the lock goes with the process).
func holdPartial(t *testing.T, path string) (release func()) {
	t.Helper()
	r, w, err := os.Pipe()
	must(t, err)
	cmd, sc := startChild(t, "TestPartialHolderChild", []string{partialHolderEnv + "=" + path}, r, "LOCKED")
	must(t, r.Close())
	done := false
	release = func() {
		if !done {
			done = true
			_ = w.Close() // the child's stdin ends
			for sc.Scan() {
			}
			must(t, cmd.Wait())
		}
	}
	t.Cleanup(release)
	return release
}

// TestStalePartials: a job removes, in the folders it writes to, the partial files a
// killed writer left (its name, its mode, its lock free), and nothing else: not a
// partial file another process is writing (locked), not a user's file named like an
// old partial file, not a look-alike.
func TestStalePartials(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	x, y := filepath.Join(dir, "x.txt"), filepath.Join(dir, "y.txt")
	for _, p := range []string{x, y} {
		writeFile(t, p, content(p, 1000), 0o644, time.Time{})
	}
	old := time.Now().Add(-time.Hour)
	// Left by a crash: unlocked, 0600.
	stale := filepath.Join(dir, partialName("x.txt.kmsenc"))
	writeFile(t, stale, append(envelope.Magic[:], 1, 0, 1, 1), 0o600, old)
	staleDec := filepath.Join(dir, partialName("whatever"))
	writeFile(t, staleDec, []byte("half of a plaintext"), 0o600, old)
	// Being written by another process: locked.
	busy := filepath.Join(dir, partialName("y.txt.kmsenc"))
	release := holdPartial(t, busy)
	// Not ours, whatever they look like.
	keep := map[string]string{
		x + ".kmsenc.partial": "an old version's name, or the user's",
		filepath.Join(dir, ".y.txt.0123456789ABCDEF"+ExtPartial): "not our random part",
		filepath.Join(dir, "y.txt.0123456789abcdef"+ExtPartial):  "no leading dot",
	}
	for p, c := range keep {
		writeFile(t, p, []byte(c), 0o600, old)
	}
	link := ""
	if runtime.GOOS != "windows" { // modes and unprivileged links
		shared := filepath.Join(dir, partialName("shared"))
		writeFile(t, shared, []byte("group readable: not made by a writer"), 0o640, old)
		keep[shared] = "group readable: not made by a writer"
		victim := filepath.Join(t.TempDir(), "victim")
		writeFile(t, victim, []byte("victim"), 0o600, old)
		link = filepath.Join(dir, partialName("link"))
		must(t, os.Symlink(victim, link))
		keep[victim] = "victim"
	}

	_, res := e.encrypt(EncryptSpec{Paths: []string{x, y}, Overwrite: PolicySkip})
	if r := expect(t, res, x, StatusDone, ""); r.Output != x+ExtEnvelope {
		t.Fatalf("x → %s", r.Output)
	}
	if r := expect(t, res, y, StatusDone, ""); r.Output != y+ExtEnvelope {
		t.Fatalf("y → %s: a partial file of the same output must not change the name", r.Output)
	}
	for _, p := range []string{stale, staleDec} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Fatalf("the stale partial file %s was not removed", filepath.Base(p))
		}
	}
	if string(readFile(t, busy)) != "being written" {
		t.Fatal("a partial file another process is writing was touched")
	}
	for p, c := range keep {
		if string(readFile(t, p)) != c {
			t.Fatalf("%s was touched", filepath.Base(p))
		}
	}

	// Once its writer is gone (a crash drops the lock too), the next job removes it.
	release()
	ct := x + ExtEnvelope
	must(t, os.Remove(x))
	_, res = e.decrypt(DecryptSpec{Paths: []string{ct}, Overwrite: PolicySkip})
	expect(t, res, ct, StatusDone, "")
	if _, err := os.Stat(busy); !os.IsNotExist(err) {
		t.Fatal("the partial file of a writer that ended was not removed")
	}
	if !bytes.Equal(readFile(t, x), content(x, 1000)) {
		t.Fatal("x.txt was not restored")
	}
	for p, c := range keep {
		if string(readFile(t, p)) != c {
			t.Fatalf("%s was touched", filepath.Base(p))
		}
	}
	if link != "" {
		if _, err := os.Lstat(link); err != nil {
			t.Fatal("a link named like a partial file was removed")
		}
	}
}

func TestShutdownCancelsAndCleans(t *testing.T) {
	e := newEnv(t)
	dir, src := plainFile(t, "big.iso", 64<<20)
	started := make(chan struct{})
	var once atomic.Bool
	e.m.hooks.fileProgress = func(string, int64) {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
	}
	_, err := e.m.Encrypt(context.Background(), EncryptSpec{KeyID: e.keyID, Paths: []string{src}})
	must(t, err)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, e.m.Shutdown(ctx))
	if e.m.Running() != 0 {
		t.Fatal("jobs still running after Shutdown")
	}
	if n := names(t, dir); len(n) != 1 {
		t.Fatalf("files after shutdown: %v", n)
	}
	if _, err := e.m.Encrypt(context.Background(), EncryptSpec{KeyID: e.keyID, Paths: []string{src}}); codeOf(err) != CodeCancelled {
		t.Fatalf("a job after shutdown: %v", err)
	}
}
