package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

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
	if msg := displayProblem("linux", env(nil)); !strings.Contains(msg, "xvfb-run") || !strings.Contains(msg, "DISPLAY") {
		t.Fatalf("no display: %q", msg)
	}
	for _, m := range []map[string]string{{"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}} {
		if msg := displayProblem("linux", env(m)); msg != "" {
			t.Errorf("%v: %q", m, msg)
		}
	}
	if msg := displayProblem("windows", env(nil)); msg != "" {
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
	a.handOver([]string{"f.kmsenc"})
	if got := a.backend.App.TakeLaunchFiles(); len(got) != 1 || got[0] != "f.kmsenc" {
		t.Fatalf("second instance files: %v", got)
	}
}
