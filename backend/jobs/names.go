package jobs

import (
	"encoding/base64"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// File name extensions written by jobs.
const (
	// ExtEnvelope is appended to the name of a file encrypted as .kmsenc.
	ExtEnvelope = ".kmsenc"
	// ExtBlob is appended to the name of a file encrypted in direct mode: a text file
	// holding only the KMS CiphertextBlob.
	ExtBlob = ".kmsblob"
	// ExtPartial is appended to an output's final name while it is being written.
	ExtPartial = ".partial"
	// extDecrypted is appended when no better name for a decrypted file is known.
	extDecrypted = ".decrypted"
)

// MaxNameBytes is the longest file name (in bytes) jobs will create.
const MaxNameBytes = 255

// windowsReserved are device names Windows refuses as file names, with or without an
// extension (compared case-insensitively).
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"COM¹": true, "COM²": true, "COM³": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
	"LPT¹": true, "LPT²": true, "LPT³": true,
}

// SanitizeName makes a file name from an encrypted metadata record (or any untrusted
// source) safe to create in a folder on any OS. It returns "" when nothing usable is
// left; the caller then falls back to a name derived from the ciphertext's name.
//
// Rules: only the part after the last '/' or '\' is kept; control characters
// (C0, DEL, C1) and Unicode bidirectional/format controls are removed; on Windows the
// characters <>:"|?* become '_'; trailing dots and spaces are removed; "." and ".."
// are refused; Windows device names (CON, NUL, COM1, LPT1, … also with an extension)
// get a leading '_'; names longer than 255 bytes or not valid UTF-8 are refused.
// The same rules apply on every OS, so a file restored on Linux can be copied to
// Windows.
func SanitizeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if !utf8.ValidString(name) {
		return ""
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			continue // control characters
		case unicode.Is(unicode.Cf, r):
			continue // bidi overrides (U+202E …), zero-width and other format controls
		case runtime.GOOS == "windows" && strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimRight(b.String(), ". ")
	name = strings.TrimLeft(name, " ")
	if name == "" || name == "." || name == ".." {
		return ""
	}
	stem := name
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	if windowsReserved[strings.ToUpper(strings.TrimRight(stem, " "))] {
		name = "_" + name
	}
	if len(name) > MaxNameBytes {
		return ""
	}
	return name
}

// trimExt removes ext (ASCII case-insensitively) from name, or reports false.
func trimExt(name, ext string) (string, bool) {
	if len(name) > len(ext) && strings.EqualFold(name[len(name)-len(ext):], ext) {
		return name[:len(name)-len(ext)], true
	}
	return name, false
}

// fallbackName is the decrypted file's name when the ciphertext carries none (or an
// unusable one): its own name minus ext, else its name plus ".decrypted".
func fallbackName(cipherName, ext string) string {
	if n, ok := trimExt(cipherName, ext); ok {
		if s := SanitizeName(n); s != "" {
			return s
		}
	}
	if s := SanitizeName(cipherName + extDecrypted); s != "" {
		return s
	}
	return "decrypted"
}

// renamed returns the n-th alternative of name: "report (1).pdf", "archive.tar (2).gz",
// ".bashrc (1)", "photo.jpg (1).kmsenc" (the encrypted extension is kept last).
func renamed(name string, n int) string {
	suffix := " (" + strconv.Itoa(n) + ")"
	for _, ext := range []string{ExtEnvelope, ExtBlob} {
		if stem, ok := trimExt(name, ext); ok {
			return stem + suffix + name[len(stem):]
		}
	}
	ext := filepath.Ext(name)
	stem := name[:len(name)-len(ext)]
	if stem == "" || strings.TrimLeft(stem, ".") == "" { // ".bashrc"
		return name + suffix
	}
	return stem + suffix + ext
}

// MaxBlobFile is the largest file considered as a CiphertextBlob file, in bytes. A
// blob of the maximum 4096-byte plaintext is about 5.6 KB.
const MaxBlobFile = 16 << 10

// IsBlob reports whether content (a whole file) looks like a KMS CiphertextBlob as
// Tencent Cloud writes it: three standard-base64 segments joined by "-k-", or one
// standard-base64 string of at least 32 decoded bytes. Surrounding whitespace is
// ignored.
func IsBlob(content []byte) bool {
	if len(content) > MaxBlobFile {
		return false
	}
	s := strings.TrimSpace(string(content))
	if s == "" {
		return false
	}
	if strings.Contains(s, "-k-") {
		parts := strings.Split(s, "-k-")
		if len(parts) != 3 {
			return false
		}
		for _, p := range parts {
			if !isStdBase64(p) {
				return false
			}
		}
		return true
	}
	if !isStdBase64(s) {
		return false
	}
	return base64.StdEncoding.DecodedLen(len(s)) >= 32
}

// isStdBase64 reports whether s is non-empty, padded standard base64.
func isStdBase64(s string) bool {
	if s == "" || len(s)%4 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}
