package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		files []string
		done  bool
		code  int
		out   string
	}{
		{args: nil},
		{args: []string{"a.kmsenc", "/tmp/b"}, files: []string{"a.kmsenc", "/tmp/b"}},
		{args: []string{"--version"}, done: true, out: "kmsdesk dev"},
		{args: []string{"--help"}, done: true, out: "Usage: kmsdesk"},
		{args: []string{"--bogus"}, done: true, code: 2},
		// Flags of a Wails dev build and their values are not files.
		{args: []string{"-devserver", "127.0.0.1:34115", "-assetdir", "frontend/dist", "x.txt"}, files: []string{"x.txt"}},
		{args: []string{"-loglevel=Warning", "y"}, files: []string{"y"}},
	} {
		var out, errOut bytes.Buffer
		files, done, code := parseArgs(tc.args, &out, &errOut)
		if strings.Join(files, "|") != strings.Join(tc.files, "|") || done != tc.done || code != tc.code {
			t.Errorf("%v: files %v done %v code %d", tc.args, files, done, code)
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

func TestRunExplainsAMissingDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 3 || !strings.Contains(errOut.String(), "no graphical display") {
		t.Fatalf("code %d, stderr %q", code, errOut.String())
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
	a := newTestApp(t)
	a.fileDrop(10, 20, []string{"/native/a", "/native/b"})
	a.fileDrop(10.0, 20.0, []any{"/js/c", 42, ""})
	a.fileDrop("malformed")
	got := a.backend.App.TakeLaunchFiles()
	if strings.Join(got, "|") != "/native/a|/native/b|/js/c" {
		t.Fatalf("got %v", got)
	}
}

func TestShellIsSafeBeforeStartup(t *testing.T) {
	a := newTestApp(t)
	// Wails runtime calls with a non-Wails context end the process; before startup the
	// adapter must not make any.
	a.shell.Emit("x", nil)
	if _, err := a.shell.OpenFile("t"); err == nil {
		t.Fatal("dialog without a window must fail")
	}
	if err := a.shell.SetClipboard("x"); err == nil {
		t.Fatal("clipboard without a window must fail")
	}
	a.quit()
	a.handOver(launchFiles([]string{"f.kmsenc", "/abs/g.kmsenc", "-devserver", "x"}, "/home/u")...)
	if got := a.backend.App.TakeLaunchFiles(); strings.Join(got, "|") != "/home/u/f.kmsenc|/abs/g.kmsenc" {
		t.Fatalf("second instance files: %v", got)
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
	// The real embedded build, when present, serves index.html and its bundles.
	if b, err := fs.ReadFile(frontendAssets(), "index.html"); err == nil {
		for _, m := range regexp.MustCompile(`(?:src|href)="\./(assets/[^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			if _, err := fs.ReadFile(frontendAssets(), m[1]); err != nil {
				t.Errorf("index.html references %s: %v", m[1], err)
			}
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
		files, done, code := parseArgs(args, &out, &errOut)
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
			if strings.HasPrefix(f, "-") && !devFlags[f] {
				t.Fatalf("%q: option %q taken as a file", args, f)
			}
		}
	})
}
