package jobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

func TestSanitizeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"文档 ünïcødé.txt", "文档 ünïcødé.txt"},
		{"../../etc/passwd", "passwd"},
		{`..\..\Windows\win.ini`, "win.ini"},
		{"..", ""},
		{".", ""},
		{"...", ""},
		{"name. . ", "name"},
		{"  leading", "leading"},
		{"tab\there", "tabhere"},
		{"bell\x07\x1b[31mred", "bell[31mred"},
		{"c1\u0085ctl", "c1ctl"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"}, // right-to-left override hides .exe
		{"zero\u200Bwidth", "zerowidth"},
		{"CON", "_CON"},
		{"con.txt", "_con.txt"},
		{"Nul", "_Nul"},
		{"COM1.log", "_COM1.log"},
		{"lpt9", "_lpt9"},
		{"COM10", "COM10"},
		{"CONSOLE.txt", "CONSOLE.txt"},
		{"\xff\xfe", ""},
		{strings.Repeat("x", 256), ""},
		{strings.Repeat("x", 255), strings.Repeat("x", 255)},
	} {
		if got := SanitizeName(tc.in); got != tc.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"report.pdf", 1, "report (1).pdf"},
		{"report.pdf", 2, "report (2).pdf"},
		{"Makefile", 1, "Makefile (1)"},
		{".bashrc", 3, ".bashrc (3)"},
		{"photo.jpg.kmsenc", 1, "photo.jpg (1).kmsenc"},
		{"key.kmsblob", 1, "key (1).kmsblob"},
		{"archive.tar.gz", 1, "archive.tar (1).gz"},
	} {
		if got := renamed(tc.name, tc.n); got != tc.want {
			t.Errorf("renamed(%q, %d) = %q, want %q", tc.name, tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, ext, want string }{
		{"report.pdf.kmsenc", ExtEnvelope, "report.pdf"},
		{"REPORT.PDF.KMSENC", ExtEnvelope, "REPORT.PDF"},
		{"noext", ExtEnvelope, "noext.decrypted"},
		{".kmsenc", ExtEnvelope, ".kmsenc.decrypted"},
		{"test_encry.dat", ExtBlob, "test_encry.dat.decrypted"},
		{"CON.kmsenc", ExtEnvelope, "_CON"},
	} {
		if got := fallbackName(tc.in, tc.ext); got != tc.want {
			t.Errorf("fallbackName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestHostileMetadataName decrypts files whose encrypted record names are hostile
// (made with envelope directly, as another tool could) and checks where they land.
func TestHostileMetadataName(t *testing.T) {
	e := newEnv(t)
	w := newWrapper(e.source, make(chan struct{}, 4))
	dk, err := envelope.NewDataKey(context.Background(), w, envelope.KeyRef{Region: "ap-guangzhou", KeyID: e.keyID}, nil, "")
	must(t, err)
	defer dk.Destroy()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, tc := range []struct{ name, want string }{
		{"NUL.txt", "_NUL.txt"},
		{"evil\u202Etxt.exe", "eviltxt.exe"},
		{"dots...", "dots"},
		{"", "ct-empty"},
	} {
		ct := filepath.Join(dir, "ct-"+map[bool]string{true: "empty", false: "x"}[tc.name == ""]+ExtEnvelope)
		f, err := os.Create(ct)
		must(t, err)
		_, err = envelope.Encrypt(context.Background(), f, strings.NewReader("payload"), dk,
			envelope.EncryptOptions{Metadata: &envelope.Metadata{Name: tc.name, Size: 7, ModTime: time.Unix(1e9, 0), Mode: 0o640}})
		must(t, err)
		must(t, f.Close())
		_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out, Overwrite: PolicyOverwrite})
		r := expect(t, res, ct, StatusDone, "")
		if r.Output != filepath.Join(out, tc.want) {
			t.Errorf("name %q restored as %s, want %s", tc.name, filepath.Base(r.Output), tc.want)
		}
		fi, err := os.Stat(r.Output)
		must(t, err)
		if fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(time.Unix(1e9, 0)) {
			t.Errorf("mode %v mtime %v", fi.Mode(), fi.ModTime())
		}
		must(t, os.Remove(ct))
	}
}

// TestSetuidNotRestored: only permission bits are restored.
func TestSetuidNotRestored(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "tool")
	writeFile(t, src, []byte("#!/bin/sh\n"), 0o755, time.Time{})
	must(t, os.Chmod(src, 0o755|os.ModeSetuid))
	ct := encryptOne(t, e, src)
	out := filepath.Join(dir, "out")
	_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out})
	fi, err := os.Stat(res[ct].Output)
	must(t, err)
	if fi.Mode()&os.ModeSetuid != 0 || fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v", fi.Mode())
	}
}
