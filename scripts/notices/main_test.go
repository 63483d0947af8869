package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/licenseclassifier/v2/assets"
)

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestModuleLicense: license files at a module's root are found and named (with its
// NOTICE/PATENTS texts kept), a module without one is an error unless its license is
// declared, and a declared license must still be stated in the module.
func TestModuleLicense(t *testing.T) {
	lc, err := assets.DefaultClassifier()
	if err != nil {
		t.Fatal(err)
	}
	mit, err := assets.ReadLicenseFile("License/MIT/pristine.txt")
	if err != nil {
		t.Fatal(err)
	}
	apache, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	write(t, dir, "LICENSE-MIT", "Copyright (c) 2020 Someone\r\n\r\n"+string(mit))
	write(t, dir, "LICENSE.txt", string(apache))
	write(t, dir, "PATENTS", "Additional patent grant  \n")
	write(t, dir, "license.go", "package x")
	text, license, err := moduleLicense(dir, lc)
	if err != nil || license != "Apache-2.0 AND MIT" {
		t.Fatalf("license %q, %v", license, err)
	}
	if !strings.HasSuffix(text, "PATENTS:\n\nAdditional patent grant") || strings.Contains(text, "\r") || strings.Contains(text, "package x") {
		t.Fatalf("text:\n%s", text)
	}

	empty := t.TempDir()
	write(t, empty, "README.md", "# x\n\n## License\n\nMIT\n")
	if _, _, err := moduleLicense(empty, lc); !errors.Is(err, errNoLicenseFile) {
		t.Fatalf("no license file: %v", err)
	}
	text, license, err = declaredLicense("github.com/leaanthony/u", "v1.1.0", empty)
	if err != nil || license != "MIT" || !strings.Contains(text, "Permission is hereby granted") {
		t.Fatalf("declared: %q %v", license, err)
	}
	write(t, empty, "README.md", "# x\n")
	if _, _, err := declaredLicense("github.com/leaanthony/u", "v1.2.0", empty); err == nil {
		t.Fatal("a declared license no longer stated was accepted")
	}
	if _, _, err := declaredLicense("example.com/other", "v1.0.0", empty); err == nil {
		t.Fatal("a module without a license file was accepted")
	}

	odd := t.TempDir()
	write(t, odd, "LICENSE", "All rights reserved. Do not copy.\n")
	if _, _, err := moduleLicense(odd, lc); err == nil {
		t.Fatal("a text naming no known license was accepted")
	}
}

// TestAssemble: packages are sorted (Go, then npm), each text is stored once, and the
// plain-text notices list every package and every text.
func TestAssemble(t *testing.T) {
	n := assemble("Apache-2.0", "OWN LICENSE", []component{
		{Package{Name: "zeta", Version: "1.0.0", License: "MIT", Kind: "npm"}, "MIT TEXT"},
		{Package{Name: "b.example/mod", Version: "v1.0.0", License: "MIT", Kind: "go"}, "MIT TEXT"},
		{Package{Name: "a.example/mod", Version: "v2.0.0", License: "BSD-3-Clause", Kind: "go"}, "BSD TEXT"},
	})
	var order []string
	for _, p := range n.Packages {
		order = append(order, p.Name)
	}
	if strings.Join(order, " ") != "a.example/mod b.example/mod zeta" || len(n.Texts) != 3 || n.Texts[n.LicenseText] != "OWN LICENSE" {
		t.Fatalf("%+v", n)
	}
	if n.Packages[1].Text != n.Packages[2].Text {
		t.Fatal("one text stored twice")
	}
	txt := render(n)
	for _, s := range []string{"Apache-2.0", "a.example/mod", "zeta", "BSD TEXT", "b.example/mod v1.0.0, zeta 1.0.0:\n"} {
		if !strings.Contains(txt, s) {
			t.Errorf("the text lacks %q", s)
		}
	}
	if strings.Contains(txt, "OWN LICENSE") {
		t.Error("KMS Desk's own license is repeated among the third-party texts")
	}
}

// dep5 is a trimmed copy of the shape of NSIS's Debian copyright file.
const dep5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nsis

Files: *
Copyright: 2003-2021, NSIS Contributors
  1995-2003, Mark Adler
License: Zlib

Files: Source/7zip/*
Copyright: 1999-2006 Igor Pavlov
License: lzma-cpl-exception

Files: Source/bzip2/*
Copyright: 1996-2000 Julian R Seward
License: bzip2-libbzip-2010

License: lzma-cpl-exception
 Common Public License version 1.0
 .
 THE ACCOMPANYING PROGRAM IS PROVIDED UNDER THE TERMS OF THIS COMMON PUBLIC LICENSE
 Special exception for LZMA compression module

License: Zlib
 The zlib License
 .
 This software is provided 'as-is', without any express or implied
 warranty.
`

// TestNSISNotice: the notice of the installer's NSIS parts takes, from the Debian
// copyright file, the stub's copyright and zlib license and the decompressor of the
// compressor the script sets; a copyright file without one of them is an error.
func TestNSISNotice(t *testing.T) {
	for script, want := range map[string]string{"SetCompressor /SOLID lzma\n": "lzma", "  setcompressor bzip2": "bzip2", "Name x\n": "zlib"} {
		if got := installerCompressor(script); got != want {
			t.Errorf("compressor of %q: %q, want %q", script, got, want)
		}
	}
	text, license, err := nsisNotice("3.08", dep5, "lzma")
	if err != nil || license != "Zlib AND CPL-1.0" {
		t.Fatalf("lzma: %q %v", license, err)
	}
	for _, s := range []string{"NSIS 3.08", "Files: *\nCopyright: 2003-2021, NSIS Contributors\n  1995-2003, Mark Adler\nLicense: Zlib\n\nThe zlib License\n\nThis software",
		"Files: Source/7zip/*", "Special exception for LZMA"} {
		if !strings.Contains(text, s) {
			t.Errorf("the lzma notice lacks %q:\n%s", s, text)
		}
	}
	if text, license, err := nsisNotice("3.08", dep5, "zlib"); err != nil || license != "Zlib" || strings.Contains(text, "7zip") {
		t.Fatalf("zlib: %q %v\n%s", license, err, text)
	}
	if _, _, err := nsisNotice("3.08", dep5, "bzip2"); err == nil {
		t.Fatal("bzip2, whose license text the file lacks, was accepted")
	}
	if _, _, err := nsisNotice("3.08", strings.Replace(dep5, "License: Zlib\n The zlib", "License: Other\n The zlib", 1), "zlib"); err == nil {
		t.Fatal("a copyright file without the zlib text was accepted")
	}
}

// TestCarriesWebview2: the bootstrapper's notice is due exactly when an installer script
// puts it into the installer.
func TestCarriesWebview2(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "project.nsi", "Name x\n")
	if got, err := carriesWebview2(dir); got || err != nil {
		t.Fatalf("without it: %v %v", got, err)
	}
	write(t, dir, "extra.nsh", `File "/oname=$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" "${X}"`)
	if got, err := carriesWebview2(dir); !got || err != nil {
		t.Fatalf("with it: %v %v", got, err)
	}
	if _, err := carriesWebview2(t.TempDir()); err == nil {
		t.Fatal("a folder without installer scripts was accepted")
	}
	if n := webview2Notice("v2.9.2"); !strings.Contains(n, "Microsoft") || !strings.Contains(n, "v2.9.2") {
		t.Fatalf("notice:\n%s", n)
	}
}
