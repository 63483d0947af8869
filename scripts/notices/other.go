package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	classifier "github.com/google/licenseclassifier/v2"
)

// What ships without being a Go module or an npm package.

// Names of the components of kind "other".
const (
	goName       = "Go standard library and runtime"
	nsisName     = "NSIS"
	webview2Name = "MicrosoftEdgeWebview2Setup.exe"
)

// nsisCopyright is the copyright file of the NSIS that builds the Windows installer
// (Debian's package, which scripts/install-deps.sh installs).
var nsisCopyright = "/usr/share/doc/nsis/copyright"

// Installer sources, relative to the repository root.
const (
	installerScript = "build/windows/installer/project.nsi"
	installerDir    = "build/windows/installer"
	webview2File    = "MicrosoftEdgeWebview2Setup.exe"
	// wailsTools is the module whose Wails copy the installer takes the bootstrapper
	// from (scripts/package.sh).
	wailsTools = "scripts/tools/wails"
)

// otherComponents are the notices of what ships that is neither a Go module nor an npm
// package; each one's absence is an error, since it ships all the same.
func otherComponents(root string, lc *classifier.Classifier) ([]component, error) {
	goc, err := goStdlib(root, lc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", goName, err)
	}
	out := []component{goc}
	script, err := os.ReadFile(filepath.Join(root, installerScript))
	if err != nil {
		return nil, fmt.Errorf("the Windows installer script: %w", err)
	}
	version, err := command(root, "makensis", "-VERSION")
	if err != nil {
		return nil, fmt.Errorf("%s builds the Windows installer, but its version is unknown (install nsis: scripts/install-deps.sh package): %w", nsisName, err)
	}
	copyright, err := os.ReadFile(nsisCopyright)
	if err != nil {
		return nil, fmt.Errorf("%s builds the Windows installer, but its copyright file cannot be read: %w", nsisName, err)
	}
	text, license, err := nsisNotice(strings.TrimPrefix(version, "v"), string(copyright), installerCompressor(string(script)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nsisName, err)
	}
	out = append(out, component{Package{Name: nsisName, Version: strings.TrimPrefix(version, "v"), License: license, Kind: "other"}, text})
	carried, err := carriesWebview2(filepath.Join(root, installerDir))
	if err != nil {
		return nil, err
	}
	if carried {
		wails, err := command(filepath.Join(root, wailsTools), "go", "list", "-m", "-f", "{{.Version}}\t{{.Dir}}", "github.com/wailsapp/wails/v2")
		if err != nil {
			return nil, fmt.Errorf("%s: find the Wails module it comes from: %w", webview2Name, err)
		}
		v, dir, _ := strings.Cut(wails, "\t")
		if _, err := os.Stat(filepath.Join(dir, "internal", "webview2runtime", webview2File)); err != nil {
			return nil, fmt.Errorf("%s: %w", webview2Name, err)
		}
		out = append(out, component{Package{Name: webview2Name, Version: "Wails " + v, License: webview2License, Kind: "other"}, webview2Notice(v)})
	}
	return out, nil
}

// command runs a command in dir and returns its trimmed output.
func command(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// goStdlib is the notice of the Go standard library and runtime, linked into every Go
// binary: GOROOT's LICENSE (and PATENTS), at the version the build uses.
func goStdlib(root string, lc *classifier.Classifier) (component, error) {
	env, err := command(root, "go", "env", "GOVERSION", "GOROOT")
	if err != nil {
		return component{}, err
	}
	version, goroot, ok := strings.Cut(env, "\n")
	if !ok || version == "" || goroot == "" {
		return component{}, fmt.Errorf("go env printed %q", env)
	}
	text, license, err := moduleLicense(goroot, lc)
	if err != nil {
		return component{}, fmt.Errorf("%s: %w", goroot, err)
	}
	return component{Package{Name: goName, Version: version, License: license, Kind: "other"}, text}, nil
}

var setCompressor = regexp.MustCompile(`(?mi)^\s*SetCompressor\s+(?:/\S+\s+)*(zlib|bzip2|lzma)\b`)

// installerCompressor is the compressor an NSIS script sets (zlib, NSIS's default,
// when it sets none): its decompressor is in the installer's stub.
func installerCompressor(script string) string {
	if m := setCompressor.FindStringSubmatch(script); m != nil {
		return strings.ToLower(m[1])
	}
	return "zlib"
}

// nsisParts are the parts of NSIS's Debian copyright file (DEP-5) that an installer
// carries: the stub and plugins (Files: *), and the decompressor of the compressor
// used; with the SPDX identifier of each part's license.
var nsisParts = map[string]struct{ files, spdx string }{
	"zlib":  {"", ""},
	"lzma":  {"Source/7zip/*", "CPL-1.0"},
	"bzip2": {"Source/bzip2/*", "bzip2-1.0.6"},
}

// nsisNotice is the notice of the NSIS parts a Windows installer made with compressor
// carries, from NSIS's Debian copyright file.
func nsisNotice(version, copyright, compressor string) (text, license string, err error) {
	files, licenses := parseDEP5(copyright)
	parts := []struct{ files, spdx string }{{"*", "Zlib"}}
	if p := nsisParts[compressor]; p.files != "" {
		parts = append(parts, p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "NSIS %s (https://nsis.sourceforge.io) makes the Windows installer: its stub, plugins\nand %s decompressor are in the installer and the uninstaller. From NSIS's copyright\nfile (%s):", version, compressor, nsisCopyright)
	var spdx []string
	for _, p := range parts {
		f, ok := files[p.files]
		if !ok {
			return "", "", fmt.Errorf("the copyright file has no Files: %s paragraph", p.files)
		}
		body, ok := licenses[f.license]
		if !ok || strings.TrimSpace(body) == "" {
			return "", "", fmt.Errorf("the copyright file has no text for the license %q", f.license)
		}
		fmt.Fprintf(&b, "\n\nFiles: %s\nCopyright: %s\nLicense: %s\n\n%s", p.files, f.copyright, f.license, body)
		spdx = append(spdx, p.spdx)
	}
	return normalize(b.String()), strings.Join(spdx, " AND "), nil
}

// dep5Files is one Files paragraph of a DEP-5 copyright file.
type dep5Files struct{ copyright, license string }

// parseDEP5 reads a machine-readable Debian copyright file: its Files paragraphs (by
// their Files field) and the texts of the licenses they name (from a stand-alone License
// paragraph, or the paragraph's own License text).
func parseDEP5(text string) (files map[string]dep5Files, licenses map[string]string) {
	files, licenses = map[string]dep5Files{}, map[string]string{}
	for para := range strings.SplitSeq(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		fields := map[string]string{}
		var key string
		for line := range strings.SplitSeq(para, "\n") {
			switch {
			case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
				if key != "" {
					l := strings.TrimSpace(line)
					if l == "." {
						l = ""
					}
					fields[key] += "\n" + l
				}
			case strings.Contains(line, ":"):
				k, v, _ := strings.Cut(line, ":")
				key = k
				fields[key] = strings.TrimSpace(v)
			}
		}
		name, body, _ := strings.Cut(fields["License"], "\n")
		if f, ok := fields["Files"]; ok {
			files[strings.Fields(f)[0]] = dep5Files{copyright: strings.ReplaceAll(fields["Copyright"], "\n", "\n  "), license: name}
		}
		if name != "" && strings.TrimSpace(body) != "" {
			licenses[name] = body
		}
	}
	return files, licenses
}

// carriesWebview2 reports whether the installer scripts in dir put Microsoft's WebView2
// bootstrapper into the installer.
func carriesWebview2(dir string) (bool, error) {
	scripts, err := filepath.Glob(filepath.Join(dir, "*.ns[hi]"))
	if err != nil || len(scripts) == 0 {
		return false, errors.Join(errors.New("no installer scripts in "+dir), err)
	}
	for _, p := range scripts {
		b, err := os.ReadFile(p)
		if err != nil {
			return false, err
		}
		if strings.Contains(string(b), webview2File) {
			return true, nil
		}
	}
	return false, nil
}

// webview2License names the terms of the bootstrapper: Microsoft's, not an open-source
// license (an SPDX LicenseRef).
const webview2License = "LicenseRef-Microsoft-WebView2-redistribution"

// webview2Notice says what the bootstrapper is and under which terms it is passed on.
func webview2Notice(wailsVersion string) string {
	return normalize(fmt.Sprintf(`MicrosoftEdgeWebview2Setup.exe is the Evergreen Bootstrapper of the Microsoft Edge
WebView2 Runtime. Copyright (C) Microsoft Corporation. It is Microsoft's software, not
open-source software, and not covered by KMS Desk's license.

KMS Desk's Windows installer carries it unchanged, signed by Microsoft, as the Wails
framework ships it (github.com/wailsapp/wails/v2 %s, internal/webview2runtime), and passes
it on under Microsoft's terms for distributing the WebView2 Runtime with applications:
https://learn.microsoft.com/microsoft-edge/webview2/concepts/distribution

The installer runs it only when the WebView2 Runtime is missing. It downloads the Runtime
from Microsoft, which is licensed to you by Microsoft under its own license terms for the
Microsoft Edge WebView2 Runtime.`, wailsVersion))
}
