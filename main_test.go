package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		files  []string
		intent service.OpenIntent
		done   bool
		code   int
		out    string
	}{
		{args: nil},
		{args: []string{"a.kmsenc", "/tmp/b"}, files: []string{"a.kmsenc", "/tmp/b"}},
		{args: []string{"--version"}, done: true, out: "kmsdesk dev"},
		{args: []string{"--help"}, done: true, out: "Usage: kmsdesk"},
		{args: []string{"--bogus"}, done: true, code: 2},
		// Flags of a Wails dev build and their values are not files.
		{args: []string{"-devserver", "127.0.0.1:34115", "-assetdir", "frontend/dist", "x.txt"}, files: []string{"x.txt"}},
		{args: []string{"-loglevel=Warning", "y"}, files: []string{"y"}},
		// The file manager's "Encrypt/Decrypt with KMS Desk".
		{args: []string{"--encrypt", `C:\a b\c.txt`, "d"}, files: []string{`C:\a b\c.txt`, "d"}, intent: service.IntentEncrypt},
		{args: []string{"x.kmsenc", "--decrypt"}, files: []string{"x.kmsenc"}, intent: service.IntentDecrypt},
		{args: []string{"--encrypt", "--encrypt", "a"}, files: []string{"a"}, intent: service.IntentEncrypt},
		{args: []string{"--encrypt", "--decrypt", "a"}, done: true, code: 2},
		{args: []string{"--encrypt"}, done: true, code: 2},
		{args: []string{"--help"}, done: true, out: "--encrypt"},
		// After "--" everything is a file, also names that look like options.
		{args: []string{"--decrypt", "--", "--version", "-x.kmsenc"}, files: []string{"--version", "-x.kmsenc"}, intent: service.IntentDecrypt},
	} {
		var out, errOut bytes.Buffer
		l, done, code := parseArgs(tc.args, &out, &errOut)
		if strings.Join(l.files, "|") != strings.Join(tc.files, "|") || l.intent != tc.intent || done != tc.done || code != tc.code {
			t.Errorf("%v: files %v intent %q done %v code %d", tc.args, l.files, l.intent, done, code)
		}
		if tc.out != "" && !strings.Contains(out.String(), tc.out) {
			t.Errorf("%v: output %q", tc.args, out.String())
		}
	}
}

func TestDisplayProblem(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if msg := displayProblem("linux", env(nil), "./build/bin/kmsdesk"); !strings.Contains(msg, "xvfb-run -a ./build/bin/kmsdesk") || !strings.Contains(msg, "DISPLAY") {
		t.Fatalf("no display: %q", msg)
	}
	for _, m := range []map[string]string{{"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}} {
		if msg := displayProblem("linux", env(m), "kmsdesk"); msg != "" {
			t.Errorf("%v: %q", m, msg)
		}
	}
	if msg := displayProblem("windows", env(nil), "kmsdesk"); msg != "" {
		t.Errorf("windows: %q", msg)
	}
}

func newTestApp(t *testing.T) *App {
	t.Helper()
	dirs := service.Dirs{Config: t.TempDir()}
	a, err := NewApp(AppConfig{Version: "test", Dirs: dirs, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFileDropAcceptsNativeAndJSPayloads(t *testing.T) {
	for _, tc := range []struct {
		data []any
		want string
	}{
		{[]any{10, 20, []string{"/native/a", "/native/b"}}, "/native/a|/native/b"},
		{[]any{10.0, 20.0, []any{"/js/c", 42, ""}}, "/js/c"},
		{[]any{"malformed"}, ""},
		{[]any{1, 2, "not a list"}, ""},
	} {
		if got := strings.Join(droppedPaths(tc.data), "|"); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.data, got, tc.want)
		}
	}
}

func TestShellIsSafeBeforeStartup(t *testing.T) {
	a := newTestApp(t)
	// Wails runtime calls with a non-Wails context end the process; before startup the
	// adapter must not make any.
	a.shell.emit("x", nil)
	if _, err := a.shell.OpenFile("t"); err == nil {
		t.Fatal("dialog without a window must fail")
	}
	if err := a.shell.SetClipboard("x"); err == nil {
		t.Fatal("clipboard without a window must fail")
	}
	a.quit()
	root := string(filepath.Separator)
	if runtime.GOOS == "windows" {
		root = `C:\`
	}
	home, abs := filepath.Join(root, "home", "u"), filepath.Join(root, "abs", "g.kmsenc")
	a.handOver(service.IntentNone, launchFiles([]string{"f.kmsenc", abs}, home).files...)
	if got := launchFiles([]string{"f.kmsenc", abs, "-devserver", "x"}, home); strings.Join(got.files, "|") != filepath.Join(home, "f.kmsenc")+"|"+abs || got.intent != service.IntentNone {
		t.Fatalf("second instance files: %+v", got)
	}
	if got := launchFiles([]string{"--encrypt", "a.txt"}, home); got.intent != service.IntentEncrypt || strings.Join(got.files, "|") != filepath.Join(home, "a.txt") {
		t.Fatalf("second instance with --encrypt: %+v", got)
	}
}

func TestGzipAssets(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("console.log('app')"))
	w.Close()
	fsys := gzipFS{fstest.MapFS{
		"index.html":          {Data: []byte("<html>")},
		"assets/app.js.gz":    {Data: gz.Bytes()},
		"assets/broken.js.gz": {Data: []byte("not gzip")},
	}}
	b, err := fs.ReadFile(fsys, "assets/app.js")
	if err != nil || string(b) != "console.log('app')" {
		t.Fatalf("decompressed %q %v", b, err)
	}
	f, _ := fsys.Open("assets/app.js")
	st, _ := f.Stat()
	if st.Size() != int64(len("console.log('app')")) || st.Name() != "app.js" {
		t.Fatalf("stat %v %v", st.Size(), st.Name())
	}
	if _, ok := f.(io.ReadSeeker); !ok {
		t.Fatal("assets must be seekable for range requests")
	}
	if b, _ := fs.ReadFile(fsys, "index.html"); string(b) != "<html>" {
		t.Fatalf("plain file %q", b)
	}
	if _, err := fsys.Open("missing.js"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := fsys.Open("assets/broken.js"); err == nil {
		t.Fatal("a damaged .gz must fail")
	}
}

// TestEmbeddedFrontend checks the build embedded in this binary: index.html and every
// bundle it references are served (`make test-go` builds the frontend first).
func TestEmbeddedFrontend(t *testing.T) {
	b, err := fs.ReadFile(frontendAssets(), "index.html")
	if err != nil {
		t.Fatalf("no frontend build is embedded (run `make frontend` first): %v", err)
	}
	refs := regexp.MustCompile(`(?:src|href)="\./(assets/[^"]+)"`).FindAllStringSubmatch(string(b), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d bundles, want the script and the styles", len(refs))
	}
	for _, m := range refs {
		if _, err := fs.ReadFile(frontendAssets(), m[1]); err != nil {
			t.Errorf("index.html references %s: %v", m[1], err)
		}
	}
}

// FuzzParseArgs: command lines never panic, files are exactly the non-flag arguments
// that are not values of the Wails dev flags, and nothing is a file and an option both.
func FuzzParseArgs(f *testing.F) {
	f.Add("a.kmsenc\x00--version")
	f.Add("-devserver\x00127.0.0.1:1\x00x")
	f.Add("-loglevel=Warning\x00y\x00--bogus")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		var out, errOut bytes.Buffer
		l, done, code := parseArgs(args, &out, &errOut)
		files := l.files
		if done && len(files) != 0 {
			t.Fatalf("%q: exit requested but files returned", args)
		}
		if !done && code != 0 {
			t.Fatalf("%q: code %d without exit", args, code)
		}
		for _, f := range files {
			if f == "" {
				t.Fatalf("%q: an empty argument taken as a file", args)
			}
			if strings.HasPrefix(f, "-") && !devFlags[f] && !slices.Contains(args, "--") {
				t.Fatalf("%q: option %q taken as a file", args, f)
			}
		}
	})
}

// fakeTimers records the timers a handoverBatcher starts, so a test decides when they
// run out.
type fakeTimers struct {
	mu    sync.Mutex
	waits []time.Duration
	fns   []func()
}

func (f *fakeTimers) afterFunc(d time.Duration, fn func()) *time.Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.fns = append(f.fns, fn)
	return time.AfterFunc(time.Hour, func() {}) // stopped by the batcher; never fires in a test
}

// fire runs timer i as if it had run out.
func (f *fakeTimers) fire(i int) {
	f.mu.Lock()
	fn := f.fns[i]
	f.mu.Unlock()
	fn()
}

type batch struct {
	files  string
	intent service.OpenIntent
}

func TestHandoverBatcher(t *testing.T) {
	timers := &fakeTimers{}
	var batches []batch
	now := time.Unix(1000, 0)
	b := newHandoverBatcher(600*time.Millisecond, 4*time.Second, timers.afterFunc, func(files []string, i service.OpenIntent) {
		batches = append(batches, batch{strings.Join(files, "|"), i})
	})
	b.now = func() time.Time { return now }

	// Three launches of "Encrypt with KMS Desk" (Explorer: one process per file) close
	// to each other make one batch, when the last one's quiet time has run out.
	b.add([]string{"a"}, service.IntentEncrypt)
	now = now.Add(200 * time.Millisecond)
	b.add([]string{"b"}, service.IntentEncrypt)
	now = now.Add(300 * time.Millisecond)
	b.add(nil, service.IntentEncrypt) // nothing to hand over: no effect
	b.add([]string{"c"}, service.IntentEncrypt)
	if len(batches) != 0 || len(timers.fns) != 3 {
		t.Fatalf("batches %v, %d timers", batches, len(timers.fns))
	}
	timers.fire(0) // replaced timers that fire anyway do nothing
	timers.fire(1)
	if len(batches) != 0 {
		t.Fatalf("a replaced timer closed the batch: %v", batches)
	}
	timers.fire(2)
	if want := []batch{{"a|b|c", service.IntentEncrypt}}; !slices.Equal(batches, want) {
		t.Fatalf("batches %v, want %v", batches, want)
	}
	timers.fire(2) // a second run of the same timer finds nothing
	if len(batches) != 1 {
		t.Fatalf("batches %v", batches)
	}

	// Another intent closes the current batch at once.
	batches = nil
	b.add([]string{"x.kmsenc"}, service.IntentDecrypt)
	b.add([]string{"y"}, service.IntentNone)
	if want := []batch{{"x.kmsenc", service.IntentDecrypt}}; !slices.Equal(batches, want) {
		t.Fatalf("batches %v, want %v", batches, want)
	}
	timers.fire(len(timers.fns) - 1)
	if want := []batch{{"x.kmsenc", service.IntentDecrypt}, {"y", service.IntentNone}}; !slices.Equal(batches, want) {
		t.Fatalf("batches %v, want %v", batches, want)
	}

	// A batch that keeps growing closes maxWait after its first launch.
	batches = nil
	start := len(timers.waits)
	for i := 0; i < 10; i++ {
		b.add([]string{fmt.Sprint(i)}, service.IntentEncrypt)
		now = now.Add(500 * time.Millisecond)
	}
	for i, w := range timers.waits[start:] {
		left := 4*time.Second - time.Duration(i)*500*time.Millisecond
		if want := min(600*time.Millisecond, max(left, 0)); w != want {
			t.Errorf("launch %d waits %v, want %v", i, w, want)
		}
	}
}

func TestLogLevel(t *testing.T) {
	for v, want := range map[string]slog.Level{"debug": slog.LevelDebug, " DEBUG ": slog.LevelDebug, "": slog.LevelInfo, "info": slog.LevelInfo, "verbose": slog.LevelInfo} {
		if got := logLevel(func(k string) string {
			if k == logLevelEnv {
				return v
			}
			return ""
		}); got != want {
			t.Errorf("%s=%q: %v, want %v", logLevelEnv, v, got, want)
		}
	}
}

func TestWebviewGpuPolicy(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == webviewGpuEnv {
				return v
			}
			return ""
		}
	}
	if got := webviewGpuPolicy(env("")); got != linux.WebviewGpuPolicyNever {
		t.Errorf("default: %v, want the CPU (never)", got)
	}
	if got := webviewGpuPolicy(env("1")); got != linux.WebviewGpuPolicyOnDemand {
		t.Errorf("%s=1: %v, want the GPU (on demand)", webviewGpuEnv, got)
	}
}
