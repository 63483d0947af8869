package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func TestRotationCommands(t *testing.T) {
	ep, _ := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "rot-key"); err != nil {
		t.Fatal(err)
	}
	_, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "rotate", "rot-key")
	if service.ErrorCode(err) != "UnsupportedOperation.RotateNotSupported" || !strings.Contains(describeErr(err), "kmsctl keys rotation KEY on") {
		t.Fatalf("rotate with rotation off: %v", err)
	}
	out, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "rotation", "rot-key", "on", "--days", "30")
	if err != nil || !strings.Contains(out, "Rotation period:  30 days") || !strings.Contains(out, "Last rotation:    never") {
		t.Fatalf("rotation on --days 30: %q %v", out, err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "rotation", "rot-key", "on", "--days", "400"); service.ErrorCode(err) != "InvalidParameterValue" {
		t.Fatalf("--days 400: %v", err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "rotation", "rot-key", "off", "--days", "30"); exitCode(err) != 2 {
		t.Fatalf("off --days: %v", err)
	}
	out, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "rotate", "rot-key")
	if err != nil || strings.Contains(out, "Last rotation:    never") || !strings.Contains(out, "Last rotation:    "+time.Now().Format("2006-01-02")) {
		t.Fatalf("rotate: %q %v", out, err)
	}
	_, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "rotate", "rot-key")
	if service.ErrorCode(err) != "RequestLimitExceeded.RotateRateLimited" || !strings.Contains(describeErr(err), "once in 24 hours") {
		t.Fatalf("second rotate: %v", err)
	}
	out, _, err = kmsctl(t, "", "--endpoint", ep, "--json", "keys", "show", "rot-key")
	var k service.Key
	if err != nil || json.Unmarshal([]byte(out), &k) != nil || k.RotateDays != 30 || k.LastRotateTime == 0 {
		t.Fatalf("show --json: %q %v", out, err)
	}
}

func TestImportMaterialCommands(t *testing.T) {
	ep, _ := cliEnv(t)
	out, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "own-key", "--external")
	if err != nil || !strings.Contains(out, "PendingImport") || !strings.Contains(out, "Material expires:  no material imported") {
		t.Fatalf("create --external: %q %v", out, err)
	}
	dir := t.TempDir()
	material := filepath.Join(dir, "own.key")
	if err := os.WriteFile(material, bytes.Repeat([]byte{0xc3}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "import-material", "own-key"); exitCode(err) != 2 {
		t.Fatalf("without --material: %v", err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "import-material", "own-key", "--material", material, "--expires", "next week"); exitCode(err) != 2 {
		t.Fatalf("bad --expires: %v", err)
	}
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, bytes.Repeat([]byte{0xc3}, 16), 0o600)
	_, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "import-material", "own-key", "--material", short)
	if service.ErrorCode(err) != service.CodeMaterialSize || !strings.Contains(describeErr(err), "256-bit") {
		t.Fatalf("16-byte material: %v", err)
	}
	// Relative paths are the working directory's.
	t.Chdir(dir)
	out, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "import-material", "own-key", "--material", "own.key", "--expires", "2030-01-31")
	want := time.Date(2030, 2, 1, 0, 0, 0, 0, time.Local).Format("2006-01-02 15:04:05")
	if err != nil || !strings.Contains(out, "Enabled") || !strings.Contains(out, "Material expires:  "+want) {
		t.Fatalf("import-material: %q %v", out, err)
	}
	blob, _, err := kmsctl(t, "own data", "--endpoint", ep, "text", "encrypt", "--key", "own-key")
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := kmsctl(t, "", "--endpoint", ep, "keys", "delete-material", "own-key")
	if err != nil || !strings.Contains(out, "PendingImport") {
		t.Fatalf("delete-material: %q %q %v", out, stderr, err)
	}
	if _, _, err := kmsctl(t, blob, "--endpoint", ep, "text", "decrypt"); err == nil {
		t.Fatal("decrypted after the material was deleted")
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "import-material", "own-key", "--material", material); err != nil {
		t.Fatal(err)
	}
	if plain, _, err := kmsctl(t, blob, "--endpoint", ep, "text", "decrypt"); err != nil || plain != "own data" {
		t.Fatalf("after re-import: %q %v", plain, err)
	}
}

func TestParseExpiry(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for in, want := range map[string]int64{
		"":                          0,
		"never":                     0,
		" Never ":                   0,
		"2030-01-31":                time.Date(2030, 2, 1, 0, 0, 0, 0, cst).Unix(),
		"2030-01-31T18:00:00+08:00": time.Date(2030, 1, 31, 18, 0, 0, 0, cst).Unix(),
		"2030-01-31T10:00:00Z":      time.Date(2030, 1, 31, 10, 0, 0, 0, time.UTC).Unix(),
	} {
		got, err := parseExpiry(in, cst)
		if err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"tomorrow", "2030-13-01", "31.01.2030", "1969-12-31T00:00:00Z", "1900-01-01", "2030-01-31 18:00"} {
		if _, err := parseExpiry(in, cst); exitCode(err) != 2 {
			t.Errorf("%q: %v, want a usage error", in, err)
		}
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"", "never", "2030-01-31", "2030-01-31T18:00:00+08:00", "0000-01-01", "9999-12-31T23:59:59Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseExpiry(s, time.UTC)
		if err != nil {
			if exitCode(err) != 2 {
				t.Fatalf("%q: %v is not a usage error", s, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("%q: negative expiry %d", s, v)
		}
	})
}
