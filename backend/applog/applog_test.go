package applog

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRotatingFileRotatesAndKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	r, err := OpenFile(dir, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 39) + "\n") // 40 bytes
	for i := 0; i < 10; i++ {
		if _, err := r.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FileName, FileName + ".1", FileName + ".2"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Size() > 100 {
			t.Errorf("%s is %d bytes, over the 100-byte limit", name, st.Size())
		}
		if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 { // Windows has no POSIX modes
			t.Errorf("%s mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".3")); !os.IsNotExist(err) {
		t.Errorf("kept more than 2 rotated files: %v", err)
	}
	st, _ := os.Stat(dir)
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
}

func TestRotatingFileAppendsAcrossOpens(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		r, err := OpenFile(dir, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(r, "line %d\n", i)
		r.Close()
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if string(b) != "line 0\nline 1\n" {
		t.Fatalf("got %q", b)
	}
}

func TestSecretNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, nil, slog.LevelDebug)
	const key = "very-secret-key-material"
	log.Info("saved profile", "secretKey", Secret(key), "secretId", Mask("AKIDabcdefghijklmnop1234"))
	fmt.Fprintf(&buf, "%v %s\n", Secret(key), Secret(key))
	out := buf.String()
	if strings.Contains(out, key) {
		t.Fatalf("secret leaked into log: %s", out)
	}
	if !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, "AKID****1234") {
		t.Fatalf("unexpected log: %s", out)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"": "", "short": "****", "12345678": "****", "AKID1234567890": "AKID****7890"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
