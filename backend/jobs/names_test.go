package jobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		{".bashrc.kmsenc", 1, ".bashrc (1).kmsenc"},
		// Too long for the number: the stem is cut on a UTF-8 boundary, extensions kept.
		{strings.Repeat("x", 251) + ".pdf", 12, strings.Repeat("x", 246) + " (12).pdf"},
		{strings.Repeat("é", 125) + ".pdf", 12, strings.Repeat("é", 123) + " (12).pdf"},
		{strings.Repeat("文", 81) + ".jpg.kmsenc", 3, strings.Repeat("文", 80) + ".jpg (3).kmsenc"},
		{"." + strings.Repeat("b", 254), 1, "." + strings.Repeat("b", 250) + " (1)"},
		{"a." + strings.Repeat("e", 253), 1, "a." + strings.Repeat("e", 249) + " (1)"},
		{"a." + strings.Repeat("e", 245) + ".kmsenc", 10, "a." + strings.Repeat("e", 241) + " (10).kmsenc"},
	} {
		got := renamed(tc.name, tc.n)
		if got != tc.want {
			t.Errorf("renamed(%q, %d) = %q, want %q", tc.name, tc.n, got, tc.want)
		}
		if len(got) > MaxNameBytes || !utf8.ValidString(got) || SanitizeName(got) != got {
			t.Errorf("renamed(%q, %d) = %q is not a valid name", tc.name, tc.n, got)
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
		if fi.Mode().Perm() != platformMode(0o640) || !fi.ModTime().Equal(time.Unix(1e9, 0)) {
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
	if fi.Mode()&os.ModeSetuid != 0 || fi.Mode().Perm() != platformMode(0o755) {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func TestPartialNames(t *testing.T) {
	for _, final := range []string{"report.pdf", ".bashrc", "x", strings.Repeat("文", 85), strings.Repeat("y", 255)} {
		p := partialName(final)
		if !isPartialName(p) || len(p) > MaxNameBytes || !utf8.ValidString(p) || !strings.HasPrefix(p, ".") {
			t.Errorf("partialName(%q) = %q", final, p)
		}
		if q := partialName(final); q == p {
			t.Errorf("two partial names for %q are the same: %q", final, p)
		}
		if !ownPartial(p) {
			t.Errorf("%q would be taken as an input when walking a folder", p)
		}
	}
	for _, n := range []string{
		"x.partial", "victim.txt.partial", "x.kmsenc.partial", ".kmsdesk-partial",
		".x.0123456789abcdef.partial", "x.0123456789abcdef.kmsdesk-partial",
		".x.0123456789ABCDEF.kmsdesk-partial", ".x.0123456789abcde.kmsdesk-partial",
		".x-0123456789abcdef.kmsdesk-partial", "..0123456789abcdef.kmsdesk-partial",
	} {
		if isPartialName(n) {
			t.Errorf("%q taken for a partial file", n)
		}
	}
}

// TestNamedEncryptedNeedsForce: a file named .kmsenc that is not one (renamed, empty) is
// not offered for decryption, and is encrypted only when the user says so.
func TestNamedEncryptedNeedsForce(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	fake, empty := filepath.Join(dir, "fake.kmsenc"), filepath.Join(dir, "empty.kmsenc")
	writeFile(t, fake, []byte("just text"), 0o644, time.Time{})
	writeFile(t, empty, nil, 0o644, time.Time{})
	for _, p := range []string{fake, empty} {
		if c := Classify(p, ""); c.ErrorCode != envelope.CodeNotEnvelope || !c.EncryptAnyway || c.Action != ActionEncrypt {
			t.Fatalf("%s: %+v", filepath.Base(p), c)
		}
	}
	x := filepath.Join(dir, "x.txt")
	writeFile(t, x, []byte("x"), 0o644, time.Time{})
	real := encryptOne(t, e, x)
	if c := Classify(real, ""); c.ErrorCode != "" || c.EncryptAnyway || c.Action != ActionDecrypt {
		t.Fatalf("a real .kmsenc: %+v", c)
	}

	before := snapshot(t, dir)
	_, res := e.encrypt(EncryptSpec{Paths: []string{fake, empty}, Overwrite: PolicySkip})
	expect(t, res, fake, StatusFailed, CodeNamedEncrypted)
	expect(t, res, empty, StatusFailed, CodeNamedEncrypted)
	if after := snapshot(t, dir); len(after) != len(before) {
		t.Fatalf("a refused encryption wrote %d files", len(after)-len(before))
	}
	sum, res := e.encrypt(EncryptSpec{Paths: []string{fake, empty}, Force: true})
	if sum.Done != 2 || res[fake].Output != fake+ExtEnvelope {
		t.Fatalf("forced: %+v %+v", sum, res[fake])
	}
}

// TestClassifyIntent: what the user asked for in the file manager ("Encrypt with KMS
// Desk", "Decrypt with KMS Desk") decides over the content: an encrypt intent takes
// every file, a real .kmsenc too (forced, still of kind envelope); a decrypt intent
// marks what is not encrypted instead of staging it for encryption.
func TestClassifyIntent(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	plain, fake := filepath.Join(dir, "a.txt"), filepath.Join(dir, "fake.kmsenc")
	writeFile(t, plain, []byte("plain text"), 0o644, time.Time{})
	writeFile(t, fake, []byte("just text"), 0o644, time.Time{})
	real := encryptOne(t, e, plain)
	_, res := e.encrypt(EncryptSpec{Paths: []string{plain}, Direct: true})
	blob := expect(t, res, plain, StatusDone, "").Output
	damaged := filepath.Join(dir, "damaged.kmsenc")
	b := readFile(t, real)
	writeFile(t, damaged, b[:len(envelope.Magic)+3], 0o644, time.Time{})
	mixed, plainDir, encDir := filepath.Join(dir, "mixed"), filepath.Join(dir, "plain"), filepath.Join(dir, "enc")
	writeFile(t, filepath.Join(mixed, "one.txt"), []byte("1"), 0o644, time.Time{})
	writeFile(t, filepath.Join(mixed, "one.txt.kmsenc"), b, 0o644, time.Time{})
	writeFile(t, filepath.Join(plainDir, "two.txt"), []byte("2"), 0o644, time.Time{})
	writeFile(t, filepath.Join(encDir, "three.kmsenc"), b, 0o644, time.Time{})
	missing := filepath.Join(dir, "missing.kmsenc")

	type want struct {
		action, kind, code string
		anyway, forced     bool
	}
	for _, c := range []struct {
		path, intent string
		want         want
	}{
		{plain, "", want{ActionEncrypt, ItemFile, "", false, false}},
		{plain, ActionEncrypt, want{ActionEncrypt, ItemFile, "", false, false}},
		{plain, ActionDecrypt, want{ActionEncrypt, ItemFile, envelope.CodeNotEnvelope, true, false}},
		{fake, "", want{ActionEncrypt, ItemFile, envelope.CodeNotEnvelope, true, false}},
		{fake, ActionEncrypt, want{ActionEncrypt, ItemFile, "", false, true}},
		{fake, ActionDecrypt, want{ActionEncrypt, ItemFile, envelope.CodeNotEnvelope, true, false}},
		{real, "", want{ActionDecrypt, ItemEnvelope, "", false, false}},
		{real, ActionEncrypt, want{ActionEncrypt, ItemEnvelope, "", false, true}},
		{real, ActionDecrypt, want{ActionDecrypt, ItemEnvelope, "", false, false}},
		{damaged, ActionEncrypt, want{ActionEncrypt, ItemEnvelope, "", false, true}},
		{blob, "", want{ActionDecrypt, ItemBlob, "", false, false}},
		{blob, ActionEncrypt, want{ActionEncrypt, ItemBlob, "", false, false}},
		{mixed, "", want{ActionEncrypt, ItemFolder, "", false, false}},
		{mixed, ActionDecrypt, want{ActionDecrypt, ItemFolder, "", false, false}},
		{plainDir, ActionDecrypt, want{ActionEncrypt, ItemFolder, CodeNotEncrypted, false, false}},
		{encDir, "", want{ActionDecrypt, ItemFolder, "", false, false}},
		{encDir, ActionEncrypt, want{ActionEncrypt, ItemFolder, "", false, false}},
		{missing, ActionEncrypt, want{ActionEncrypt, ItemFile, CodeNotFound, false, false}},
		{missing, ActionDecrypt, want{ActionEncrypt, ItemFile, CodeNotFound, false, false}},
	} {
		cl := Classify(c.path, c.intent)
		if got := (want{cl.Action, cl.Kind, cl.ErrorCode, cl.EncryptAnyway, cl.Forced}); got != c.want {
			t.Errorf("%s with intent %q: got %+v, want %+v", filepath.Base(c.path), c.intent, got, c.want)
		}
	}

	// A real .kmsenc staged by an encrypt intent is encrypted (with Force, as the UI
	// sends for a forced item), and decrypting the result gives the .kmsenc back.
	sum, res := e.encrypt(EncryptSpec{Paths: []string{real}, Force: true})
	out := expect(t, res, real, StatusDone, "").Output
	if sum.Done != 1 || out != real+ExtEnvelope {
		t.Fatalf("encrypting a .kmsenc: %+v %s", sum, out)
	}
	back := filepath.Join(dir, "back")
	_, res = e.decrypt(DecryptSpec{Paths: []string{out}, OutputDir: back})
	sameBytes(t, real, expect(t, res, out, StatusDone, "").Output)
}
