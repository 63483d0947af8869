// Command notices generates KMS Desk's third-party notices: every Go module linked into
// kmsdesk and kmsctl, for every platform they ship on, and every npm package bundled into
// the frontend, each with its version, its license (an SPDX identifier) and the full text
// of its license (and NOTICE or PATENTS file, when it has one).
//
// Go modules come from `go list -deps` of the shipped builds (the build tags Wails adds,
// CGO as the release builds use it). Their license files are found at the module root and
// named with github.com/google/licenseclassifier/v2. The npm packages come from the
// frontend's Vite build (rollup-plugin-license, which sees what the bundle includes), as a
// JSON file given with -npm. What ships without being either is listed too (kind "other",
// other.go): the Go standard library and runtime (its LICENSE and PATENTS in GOROOT, at the
// Go version `go env GOVERSION` builds with), NSIS (the stub and plugins of the Windows
// installer, from the Debian package's copyright file) and Microsoft's WebView2
// bootstrapper when the installer carries it.
//
// It writes frontend/src/notices.gen.json (read by Settings → About) and
// THIRD_PARTY_NOTICES.txt (installed beside the app). It fails, writing nothing, when a
// module or package has no license text or no license that can be named; with -check it
// writes nothing and fails when either file is stale. scripts/notices.sh runs it (`make
// notices`, `make check-notices`).
//
// Usage, from scripts/notices:
//
//	go run . -root ../.. -npm FILE [-check]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	classifier "github.com/google/licenseclassifier/v2"
	"github.com/google/licenseclassifier/v2/assets"
)

// A build is one shipped binary as `go list` must see it.
type build struct {
	goos, goarch, cgo, tags, pkg string
}

// builds are the binaries KMS Desk ships: the desktop app (wails build adds the tags
// "desktop" and "production"; on Linux the app is built for WebKitGTK 4.1, on Windows
// Wails adds native_webview2loader) and kmsctl (CGO_ENABLED=0) on every platform.
var builds = []build{
	{"linux", "amd64", "1", "desktop,production,webkit2_41", "."},
	{"windows", "amd64", "0", "desktop,production,native_webview2loader", "."},
	{"darwin", "arm64", "1", "desktop,production", "."},
	{"darwin", "amd64", "1", "desktop,production", "."},
	{"linux", "amd64", "0", "", "./cmd/kmsctl"},
	{"linux", "arm64", "0", "", "./cmd/kmsctl"},
	{"windows", "amd64", "0", "", "./cmd/kmsctl"},
	{"windows", "arm64", "0", "", "./cmd/kmsctl"},
	{"darwin", "amd64", "0", "", "./cmd/kmsctl"},
	{"darwin", "arm64", "0", "", "./cmd/kmsctl"},
}

// Output files, relative to the repository root.
const (
	jsonFile = "frontend/src/notices.gen.json"
	textFile = "THIRD_PARTY_NOTICES.txt"
)

// Package is one third-party component in the notices.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	License string `json:"license"` // SPDX identifier or expression
	Kind    string `json:"kind"`    // "go", "npm" or "other" (the Go standard library, NSIS, …)
	Text    int    `json:"text"`    // index into Notices.Texts
}

// Notices is frontend/src/notices.gen.json.
type Notices struct {
	Comment string `json:"comment"`
	// License is KMS Desk's own license; LicenseText indexes its text in Texts.
	License     string    `json:"license"`
	LicenseText int       `json:"licenseText"`
	Packages    []Package `json:"packages"`
	Texts       []string  `json:"texts"`
}

// npmPackage is one entry of the file the Vite build writes (vite.config.ts).
type npmPackage struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	License     string `json:"license"`
	LicenseText string `json:"licenseText"`
	NoticeText  string `json:"noticeText"`
}

// component is a package with its texts, before the texts are shared out.
type component struct {
	Package
	text string
}

func main() {
	root := flag.String("root", ".", "repository root")
	flag.StringVar(&nsisCopyright, "nsis-copyright", nsisCopyright, "the copyright file of the NSIS the installer is built with (Debian's)")
	npmFile := flag.String("npm", "", "JSON list of the npm packages in the frontend bundle (written by the Vite build)")
	check := flag.Bool("check", false, "write nothing; fail if the committed files are stale")
	flag.Parse()
	if err := run(*root, *npmFile, *check); err != nil {
		fmt.Fprintln(os.Stderr, "notices:", err)
		os.Exit(1)
	}
}

func run(root, npmFile string, check bool) error {
	if npmFile == "" {
		return errors.New("-npm is required (scripts/notices.sh builds the frontend to get it)")
	}
	lc, err := assets.DefaultClassifier()
	if err != nil {
		return fmt.Errorf("load the license classifier: %w", err)
	}
	own, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	if err != nil {
		return err
	}
	ownLicense, err := classify(lc, own)
	if err != nil {
		return fmt.Errorf("LICENSE: %w", err)
	}
	goPkgs, err := goModules(root, lc)
	if err != nil {
		return err
	}
	npmPkgs, err := npmPackages(npmFile, lc, goPkgs)
	if err != nil {
		return err
	}
	others, err := otherComponents(root, lc)
	if err != nil {
		return err
	}
	n := assemble(ownLicense, normalize(string(own)), slices.Concat(goPkgs, npmPkgs, others))
	js, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	txt := []byte(render(n))
	want := map[string][]byte{jsonFile: js, textFile: txt}
	var stale []string
	for _, name := range []string{jsonFile, textFile} {
		path := filepath.Join(root, name)
		if check {
			if have, err := os.ReadFile(path); err != nil || !bytes.Equal(have, want[name]) {
				stale = append(stale, name)
			}
			continue
		}
		if err := os.WriteFile(path, want[name], 0o644); err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("%s out of date with what ships (%d Go modules, %d npm packages, %d others): run 'make notices' and commit the result",
			strings.Join(stale, " and "), len(goPkgs), len(npmPkgs), len(others))
	}
	verb := "wrote"
	if check {
		verb = "up to date:"
	}
	fmt.Printf("notices: %s %s and %s (%d Go modules, %d npm packages, %d others, %d distinct texts)\n", verb, jsonFile, textFile, len(goPkgs), len(npmPkgs), len(others), len(n.Texts))
	return nil
}

// goModules lists the modules linked into the shipped builds, with their licenses.
func goModules(root string, lc *classifier.Classifier) ([]component, error) {
	type mod struct{ path, version, dir string }
	mods := map[string]mod{}
	for _, b := range builds {
		cmd := exec.Command("go", "list", "-deps", "-tags", b.tags,
			"-f", "{{with .Module}}{{if not .Main}}{{.Path}}\t{{.Version}}\t{{.Dir}}{{end}}{{end}}", b.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS="+b.goos, "GOARCH="+b.goarch, "CGO_ENABLED="+b.cgo)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list %s for %s/%s: %w", b.pkg, b.goos, b.goarch, err)
		}
		for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 3 {
				continue
			}
			if f[2] == "" {
				return nil, fmt.Errorf("module %s %s is not downloaded: run 'go mod download'", f[0], f[1])
			}
			mods[f[0]+"@"+f[1]] = mod{f[0], f[1], f[2]}
		}
	}
	var out []component
	var problems []string
	for _, m := range mods {
		text, license, err := moduleLicense(m.dir, lc)
		if errors.Is(err, errNoLicenseFile) {
			text, license, err = declaredLicense(m.path, m.version, m.dir)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v", m.path, m.version, err))
			continue
		}
		out = append(out, component{Package{Name: m.path, Version: m.version, License: license, Kind: "go"}, text})
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("modules without a notice (Go):\n  %s", strings.Join(problems, "\n  "))
	}
	return out, nil
}

// declared are modules that ship no license file but state their license in another file
// of the module. The statement is checked in the version used (a new version that drops
// it fails), and the notice carries it with the license's standard text from the
// classifier's corpus. Add one only after reading the module.
var declared = map[string]struct{ file, statement, license string }{
	// Its README ends "## License\n\nMIT"; the repository got a LICENSE file after v1.1.0.
	"github.com/leaanthony/u": {"README.md", "## License\n\nMIT", "MIT"},
}

// declaredLicense is the notice of a module listed in declared.
func declaredLicense(path, version, dir string) (text, license string, err error) {
	d, ok := declared[path]
	if !ok {
		return "", "", errors.New("no license file at the module root")
	}
	b, err := os.ReadFile(filepath.Join(dir, d.file))
	if err != nil || !strings.Contains(normalize(string(b)), d.statement) {
		return "", "", fmt.Errorf("no license file at the module root, and %s no longer says %q", d.file, d.statement)
	}
	std, err := assets.ReadLicenseFile("License/" + d.license + "/pristine.txt")
	if err != nil {
		return "", "", err
	}
	text = fmt.Sprintf("%s %s has no license file; its %s states the license %q:\n\n%s", path, version, d.file, d.statement, normalize(string(std)))
	return text, d.license, nil
}

var (
	licenseName = regexp.MustCompile(`(?i)^(licen[cs]e|copying|unlicense)([._-][a-z0-9._-]*)?$`)
	noticeName  = regexp.MustCompile(`(?i)^(notice|patents)([._-][a-z0-9._-]*)?$`)
)

var errNoLicenseFile = errors.New("no license file at the module root")

// moduleLicense reads the license files at a module's root (and its NOTICE and PATENTS
// files) and names the licenses.
func moduleLicense(dir string, lc *classifier.Classifier) (text, license string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	var parts, names []string
	for _, e := range entries {
		isLicense, isNotice := licenseName.MatchString(e.Name()), noticeName.MatchString(e.Name())
		if e.IsDir() || !isLicense && !isNotice || strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", "", err
		}
		parts = append(parts, e.Name()+":\n\n"+normalize(string(b)))
		if isLicense {
			l, err := classify(lc, b)
			if err != nil {
				return "", "", fmt.Errorf("%s: %w", e.Name(), err)
			}
			names = append(names, l)
		}
	}
	if len(names) == 0 {
		return "", "", errNoLicenseFile
	}
	return strings.Join(parts, "\n\n"), joinLicenses(names), nil
}

// classify names the licenses in a license text (an SPDX expression).
func classify(lc *classifier.Classifier, text []byte) (string, error) {
	var names []string
	for _, m := range lc.Match(text).Matches {
		if m.MatchType == "License" {
			names = append(names, m.Name)
		}
	}
	if len(names) == 0 {
		return "", errors.New("no known license found in the text")
	}
	return joinLicenses(names), nil
}

// joinLicenses makes one SPDX expression of several licenses that all apply.
func joinLicenses(names []string) string {
	var all []string
	for _, n := range names {
		all = append(all, strings.Split(n, " AND ")...)
	}
	slices.Sort(all)
	return strings.Join(slices.Compact(all), " AND ")
}

// fromGoModule are npm packages that ship no license file because they are part of a
// Go module whose license covers them.
var fromGoModule = map[string]string{
	// frontend/wailsjs/runtime, written by the Wails CLI from the Wails module.
	"@wailsapp/runtime": "github.com/wailsapp/wails/v2",
}

// npmPackages reads the bundled npm packages the Vite build listed; goPkgs are the Go
// modules, for packages that are part of one.
func npmPackages(file string, lc *classifier.Classifier, goPkgs []component) ([]component, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var list []npmPackage
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s lists no npm package: the frontend bundle has none?", file)
	}
	var out []component
	var problems []string
	for _, p := range list {
		text := normalize(p.LicenseText)
		if mod, ok := fromGoModule[p.Name]; ok && text == "" {
			for _, g := range goPkgs {
				if g.Name == mod {
					text = fmt.Sprintf("%s is part of the Go module %s (%s), under its license:\n\n%s", p.Name, g.Name, g.Version, g.text)
				}
			}
		}
		if text == "" {
			problems = append(problems, fmt.Sprintf("%s %s: the package has no license file", p.Name, p.Version))
			continue
		}
		license := p.License
		if license == "" {
			if license, err = classify(lc, []byte(text)); err != nil {
				problems = append(problems, fmt.Sprintf("%s %s: no license field, and %v", p.Name, p.Version, err))
				continue
			}
		}
		if notice := normalize(p.NoticeText); notice != "" {
			text += "\n\nNOTICE:\n\n" + notice
		}
		out = append(out, component{Package{Name: p.Name, Version: p.Version, License: license, Kind: "npm"}, text})
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("npm packages without a notice:\n  %s", strings.Join(problems, "\n  "))
	}
	return out, nil
}

// normalize makes a text's line ends and trailing space uniform.
func normalize(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// assemble sorts the packages (Go modules, then npm packages, by name and version) and
// stores each distinct text once.
func assemble(license, licenseText string, comps []component) Notices {
	slices.SortFunc(comps, func(a, b component) int {
		return strings.Compare(a.Kind+"\x00"+a.Name+"\x00"+a.Version, b.Kind+"\x00"+b.Name+"\x00"+b.Version)
	})
	n := Notices{
		Comment: "Generated by `make notices` (scripts/notices) from what kmsdesk and kmsctl link and what the frontend bundles. Do not edit.",
		License: license,
	}
	index := map[string]int{}
	add := func(text string) int {
		if i, ok := index[text]; ok {
			return i
		}
		index[text] = len(n.Texts)
		n.Texts = append(n.Texts, text)
		return index[text]
	}
	n.LicenseText = add(licenseText)
	for _, c := range comps {
		c.Package.Text = add(c.text)
		n.Packages = append(n.Packages, c.Package)
	}
	return n
}

// render writes the notices as the plain text installed beside the app.
func render(n Notices) string {
	var b strings.Builder
	rule := strings.Repeat("=", 78) + "\n"
	b.WriteString("KMS Desk: third-party notices\n" + rule + "\n")
	b.WriteString("KMS Desk is licensed under " + n.License + " (the LICENSE file). It includes the\n" +
		"components below, under their own licenses or terms, whose full texts follow.\n" +
		"Generated by `make notices`; do not edit.\n")
	for _, kind := range []struct{ kind, title string }{{"go", "Go modules (kmsdesk, kmsctl)"}, {"npm", "npm packages (the app's user interface)"},
		{"other", "Also shipped (neither a Go module nor an npm package)"}} {
		b.WriteString("\n" + kind.title + ":\n\n")
		for _, p := range n.Packages {
			if p.Kind == kind.kind {
				fmt.Fprintf(&b, "  %-58s %-22s %s\n", p.Name, p.Version, p.License)
			}
		}
	}
	for i, text := range n.Texts {
		if i == n.LicenseText {
			continue
		}
		var users []string
		for _, p := range n.Packages {
			if p.Text == i {
				users = append(users, p.Name+" "+p.Version)
			}
		}
		b.WriteString("\n" + rule + strings.Join(users, ", ") + ":\n" + rule + "\n" + text + "\n")
	}
	return b.String()
}
