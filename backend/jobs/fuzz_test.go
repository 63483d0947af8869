package jobs

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzSanitizeName: whatever name an encrypted file carries, the restored name is a
// single safe path element (or "" to fall back), and sanitising is idempotent.
func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"report.pdf", "../../etc/passwd", `..\..\boot.ini`, "NUL.txt", "con", "a\u202etxt.exe",
		"trailing. . ", " lead", "\x00x", "x\x7fy", "名字.docx", ".", "..", "COM1.tar.gz", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeName(in)
		if out == "" {
			return
		}
		if strings.ContainsAny(out, `/\`) || out == "." || out == ".." || strings.HasSuffix(out, ".") || strings.HasSuffix(out, " ") {
			t.Fatalf("%q → unsafe %q", in, out)
		}
		if !utf8.ValidString(out) || len(out) > MaxNameBytes {
			t.Fatalf("%q → invalid %q", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%q → control character in %q", in, out)
			}
		}
		stem, _, _ := strings.Cut(out, ".")
		if windowsReserved[strings.ToUpper(strings.TrimRight(stem, " "))] {
			t.Fatalf("%q → Windows device name %q", in, out)
		}
		if again := SanitizeName(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
	})
}

// FuzzIsBlob: blob detection never panics, accepts only bounded base64 shapes, and
// ignores surrounding whitespace.
func FuzzIsBlob(f *testing.F) {
	for _, s := range []string{"", "AAAA-k-BBBB-k-CCCC", "aGVsbG8=-k-aGk=-k-eA==", "not a blob", strings.Repeat("QUFB", 20), "\n AAAA-k-BBBB-k-CCCC \n", "-k--k-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := IsBlob(b)
		if !ok {
			return
		}
		s := strings.TrimSpace(string(b))
		if len(b) > MaxBlobFile || s == "" || strings.ContainsAny(s, " \t\r\n") {
			t.Fatalf("accepted %q", b)
		}
		if IsBlob([]byte("  "+s+"\n")) != ok {
			t.Fatal("surrounding whitespace changed the answer")
		}
	})
}
