// The notices check inspects the source tree with the Go toolchain on the build host; the
// Windows tier runs this package's test binary under Wine, where there is neither.

//go:build !windows

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestNoticesCoverShippedGoModules: every Go module linked into the shipped builds of
// kmsdesk and kmsctl (as `go list -deps` sees them, with the tags Wails builds with) has a
// notice in frontend/src/notices.gen.json — the list Settings → About shows and
// THIRD_PARTY_NOTICES.txt is made from — at the version linked, with a license and its
// text. `make notices` regenerates the file; `make check-notices` checks all of it.
func TestNoticesCoverShippedGoModules(t *testing.T) {
	b, err := os.ReadFile("frontend/src/notices.gen.json")
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		Packages []struct {
			Name, Version, License, Kind string
			Text                         int
		}
		Texts []string
	}
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, p := range n.Packages {
		if p.Kind != "go" {
			continue
		}
		if p.License == "" || p.Text < 0 || p.Text >= len(n.Texts) || strings.TrimSpace(n.Texts[p.Text]) == "" {
			t.Errorf("%s %s: no license or no text", p.Name, p.Version)
		}
		listed[p.Name+" "+p.Version] = true
	}
	// The desktop app as Wails builds it (cgo, but cross-built for Windows), and kmsctl
	// (CGO_ENABLED=0), for each system they ship on.
	appTags := map[string]string{"linux": "desktop,production,webkit2_41", "windows": "desktop,production,native_webview2loader", "darwin": "desktop,production"}
	type shipped struct{ goos, cgo, tags, pkg string }
	var builds []shipped
	for goos, tags := range appTags {
		cgo := map[bool]string{true: "0", false: "1"}[goos == "windows"]
		builds = append(builds, shipped{goos, cgo, tags, "."}, shipped{goos, "0", "", "./cmd/kmsctl"})
	}
	for _, build := range builds {
		cmd := exec.Command("go", "list", "-deps", "-tags", build.tags,
			"-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}", build.pkg)
		cmd.Env = append(os.Environ(), "GOOS="+build.goos, "GOARCH=amd64", "CGO_ENABLED="+build.cgo)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s (%s): %v", build.pkg, build.goos, err)
		}
		for _, m := range strings.Fields(strings.ReplaceAll(string(out), " ", "@")) {
			if m = strings.ReplaceAll(m, "@", " "); !listed[m] {
				t.Errorf("%s for %s links %s, which has no notice: run 'make notices'", build.pkg, build.goos, m)
			}
		}
	}
}

// TestNoticesCoverWhatIsNotAModule: what ships without being a Go module or an npm
// package has a notice too: the Go standard library and runtime linked into both
// binaries (at the Go version this test, like the shipped build, is compiled with), NSIS
// (the Windows installer's stub and plugins) and, since the installer carries it,
// Microsoft's WebView2 bootstrapper.
func TestNoticesCoverWhatIsNotAModule(t *testing.T) {
	b, err := os.ReadFile("frontend/src/notices.gen.json")
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		Packages []struct{ Name, Version, License, Kind string }
	}
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	nsh, err := os.ReadFile("build/windows/installer/kmsdesk.nsh")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]func(version, license string) bool{
		"Go standard library and runtime": func(v, l string) bool { return v == runtime.Version() && l == "BSD-3-Clause" },
		"NSIS":                            func(v, l string) bool { return v != "" && strings.HasPrefix(l, "Zlib") },
	}
	if strings.Contains(string(nsh), "MicrosoftEdgeWebview2Setup.exe") {
		want["MicrosoftEdgeWebview2Setup.exe"] = func(v, l string) bool { return v != "" && strings.Contains(l, "Microsoft") }
	}
	for _, p := range n.Packages {
		if ok, listed := want[p.Name]; listed && p.Kind == "other" {
			if !ok(p.Version, p.License) {
				t.Errorf("%s: version %q, license %q", p.Name, p.Version, p.License)
			}
			delete(want, p.Name)
		}
	}
	for name := range want {
		t.Errorf("%s ships but has no notice: run 'make notices'", name)
	}
}
