package jobs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// testTime is an mtime with nanoseconds that tests restore.
var testTime = time.Date(2020, 1, 2, 3, 4, 5, 6789, time.UTC)

// counter is an http.RoundTripper around the local KMS that counts requests per
// action (the X-TC-Action header the SDK sends).
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Header.Get("X-TC-Action")]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// calls returns the number of requests of action since the last reset.
func (c *counter) calls(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[action]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, n := range c.n {
		t += n
	}
	return t
}

// batchCalls is total without ListAlgorithms, which an encrypt job with the auto suite
// sends once per KMS and Manager (the region's standard is remembered), not per batch.
func (c *counter) batchCalls() int { return c.total() - c.calls("ListAlgorithms") }

func (c *counter) reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.mu.Unlock()
}

// recorder is a Sink that keeps every report.
type recorder struct {
	mu        sync.Mutex
	progress  []Progress
	files     []FileResult
	conflicts chan Conflict
	done      map[string]chan Summary
	onFile    func(FileResult)
	// onProgress, when set, sees every progress report as it is made.
	onProgress func(Progress)
}

func newRecorder() *recorder {
	return &recorder{conflicts: make(chan Conflict, 100), done: map[string]chan Summary{}}
}

func (r *recorder) doneChan(id string) chan Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.done[id]
	if !ok {
		c = make(chan Summary, 1)
		r.done[id] = c
	}
	return c
}

func (r *recorder) Progress(p Progress) { record(&r.mu, &r.progress, p, r.onProgress) }
func (r *recorder) File(f FileResult)   { record(&r.mu, &r.files, f, r.onFile) }

// record appends v to list under mu, then shows it to cb (when set) outside the lock.
func record[T any](mu *sync.Mutex, list *[]T, v T, cb func(T)) {
	mu.Lock()
	*list = append(*list, v)
	mu.Unlock()
	if cb != nil {
		cb(v)
	}
}

func (r *recorder) Conflict(c Conflict) { r.conflicts <- c }

func (r *recorder) Done(s Summary) { r.doneChan(s.ID) <- s }

// filesOf returns the file results of job id, keyed by input path.
func (r *recorder) filesOf(id string) map[string]FileResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]FileResult{}
	for _, f := range r.files {
		if f.ID == id {
			out[f.Path] = f
		}
	}
	return out
}

func (r *recorder) progressOf(id string) []Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Progress
	for _, p := range r.progress {
		if p.ID == id {
			out = append(out, p)
		}
	}
	return out
}

// env is a local KMS with one key and a Manager on it.
type env struct {
	t  testing.TB
	lk *localkmstest.KMS
	// local, when set, makes the source this computer's local KMS with that instance
	// id: new slots are local-KMS slots.
	local  string
	count  *counter
	admin  *kms.Client
	keyID  string
	m      *Manager
	rec    *recorder
	source ClientSource
}

// newEnv starts an in-process local KMS (real SDK, real signatures) with a counting
// transport, creates a key and returns a Manager with a recording sink.
func newEnv(t testing.TB, tweak ...func(*Options)) *env {
	t.Helper()
	return newEnvOn(t, nil, tweak...)
}

// newEnvOn is newEnv on a local KMS started with kmsOpts as well.
func newEnvOn(t testing.TB, kmsOpts []localkmstest.Option, tweak ...func(*Options)) *env {
	t.Helper()
	lk := localkmstest.Start(t, append([]localkmstest.Option{localkmstest.Keys("files")}, kmsOpts...)...)
	cnt := &counter{next: lk.Transport, n: map[string]int{}}
	clients := map[string]*kms.Client{}
	var mu sync.Mutex
	e := &env{t: t, lk: lk, count: cnt}
	// The source answers like backend/service's: a route is a region, or the region
	// of a local-KMS slot, which only the local KMS named e.local (if any) opens.
	source := func(_ context.Context, route string) (KMS, error) {
		inst, region, local := envelope.SplitLocalRegion(route)
		if !local {
			region = route
		}
		if region == "" {
			region = "ap-guangzhou"
		}
		mu.Lock()
		defer mu.Unlock()
		if local && inst != e.local {
			return KMS{}, newErr("LocalKMS.OtherComputer", "made with the local KMS of another computer ("+inst+")", nil)
		}
		c := clients[region]
		if c == nil {
			var err error
			c, err = kms.New(kms.Config{Region: region, Endpoint: lk.URL, Transport: cnt, Language: "en-US",
				Credentials: kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey})})
			if err != nil {
				return KMS{}, err
			}
			clients[region] = c
		}
		return KMS{Client: c, LocalInstance: e.local}, nil
	}
	admin, err := source(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	o := Options{KMS: source, Sink: rec, Creator: "kmsdesk-test/1"}
	for _, f := range tweak {
		f(&o)
	}
	m := NewManager(o)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("manager did not shut down: %v", err)
		}
	})
	cnt.reset()
	e.admin, e.keyID, e.m, e.rec, e.source = admin.Client, lk.KeyID("files"), m, rec, source
	return e
}

// newKey creates another key.
func (e *env) newKey(alias string) string {
	e.t.Helper()
	k, err := e.admin.CreateKey(context.Background(), kms.CreateKeyInput{Alias: alias})
	if err != nil {
		e.t.Fatal(err)
	}
	return k.KeyID
}

// wait waits for job id to finish and returns its summary and per-file results.
func (e *env) wait(info Info, err error) (Summary, map[string]FileResult) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	select {
	case s := <-e.rec.doneChan(info.ID):
		return s, e.rec.filesOf(info.ID)
	case <-time.After(60 * time.Second):
		e.t.Fatalf("job %s did not finish", info.ID)
	}
	return Summary{}, nil
}

func (e *env) encrypt(s EncryptSpec) (Summary, map[string]FileResult) {
	e.t.Helper()
	if s.KeyID == "" {
		s.KeyID = e.keyID
	}
	return e.wait(e.m.Encrypt(context.Background(), s))
}

func (e *env) decrypt(s DecryptSpec) (Summary, map[string]FileResult) {
	e.t.Helper()
	return e.wait(e.m.Decrypt(context.Background(), s))
}

func (e *env) verify(s VerifySpec) (Summary, map[string]FileResult) {
	e.t.Helper()
	return e.wait(e.m.Verify(context.Background(), s))
}

// content returns n deterministic pseudo-random bytes for name.
func content(name string, n int) []byte {
	h := sha256.Sum256([]byte(name))
	r := rand.New(rand.NewChaCha8(h))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for k := 0; k < 8 && i+k < n; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return b
}

// writeFile writes a file with mode and mtime, creating folders.
func writeFile(t testing.TB, path string, data []byte, mode fs.FileMode, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

// fileState is what a test compares about a file.
type fileState struct {
	hash  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

// snapshot returns the regular files under root (relative slash paths) with their
// hashes, modes and mtimes.
func snapshot(t testing.TB, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = fileState{hex.EncodeToString(sum[:]), fi.Size(), fi.Mode().Perm(), fi.ModTime()}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// plainFile writes a file of n bytes (content seeded by its name) into a new folder and
// returns the folder and the file's path.
func plainFile(t testing.TB, name string, n int) (dir, src string) {
	t.Helper()
	dir = t.TempDir()
	src = filepath.Join(dir, name)
	writeFile(t, src, content(name, n), 0o644, time.Time{})
	return dir, src
}

// plainFiles writes one file of n bytes (content seeded by its name) per name into dir
// and returns their paths, in order.
func plainFiles(t testing.TB, dir string, n int, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = filepath.Join(dir, name)
		writeFile(t, paths[i], content(name, n), 0o644, time.Time{})
	}
	return paths
}

// names lists the regular files under root, sorted.
func names(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	for k := range snapshot(t, root) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// leftNothing fails the test when what (a failed or cancelled run) left files under dir.
func leftNothing(t testing.TB, dir, what string) {
	t.Helper()
	if n := names(t, dir); len(n) != 0 {
		t.Fatalf("%s: %v", what, n)
	}
}

// partials lists files ending in .partial under root.
func partials(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	for _, n := range names(t, root) {
		if strings.HasSuffix(n, ExtPartial) {
			out = append(out, n)
		}
	}
	return out
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// expect checks one file result.
func expect(t testing.TB, res map[string]FileResult, path, status, code string) FileResult {
	t.Helper()
	r, ok := res[path]
	if !ok {
		t.Fatalf("no result for %s (have %d results)", path, len(res))
	}
	if r.Status != status || r.ErrorCode != code {
		t.Fatalf("%s: got %s/%s (%s), want %s/%s", filepath.Base(path), r.Status, r.ErrorCode, r.Message, status, code)
	}
	if status != StatusDone && r.Message == "" {
		t.Fatalf("%s: a %s file needs a message", filepath.Base(path), status)
	}
	return r
}

// readFile reads a file or fails.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameBytes fails unless the two files hold the same bytes.
func sameBytes(t testing.TB, a, b string) {
	t.Helper()
	if !bytes.Equal(readFile(t, a), readFile(t, b)) {
		t.Fatalf("%s and %s differ", a, b)
	}
}

// failWriter fails with err after n bytes.
type failWriter struct {
	w   io.Writer
	n   int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, f.err
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func fmtSize(n int) string { return fmt.Sprintf("%d", n) }

// startChild runs this test binary again as a helper process that runs test, with env
// added and stdin (nil: none), and waits for its first line on stdout, which must be
// ready. It returns the process and the rest of its stdout.
func startChild(t *testing.T, test string, env []string, stdin *os.File, ready string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	// The race detector sleeps 1 s at exit by default; a child's end (or the points
	// where it is killed) must not wait for that.
	cmd.Env = append(append(os.Environ(), env...), "GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	cmd.Stdin = stdin
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != ready {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%s did not start: %q", test, sc.Text())
	}
	return cmd, sc
}
