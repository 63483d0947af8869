package jobs

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
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
	// ExtPartial ends the name of an output being written: ".NAME.<16 hex
	// digits>.kmsdesk-partial" in the output's folder (see partialName).
	ExtPartial = ".kmsdesk-partial"
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
// ".bashrc (1)", "photo.jpg (1).kmsenc" (the encrypted extension is kept last). A
// result longer than MaxNameBytes is shortened by cutting the stem on a UTF-8
// boundary, keeping the extensions: "lo…ng (12).pdf".
func renamed(name string, n int) string {
	suffix := " (" + strconv.Itoa(n) + ")"
	core, mid, ext := renameParts(name)
	if over := len(name) + len(suffix) - MaxNameBytes; over > 0 {
		switch c := cutUTF8(core, len(core)-over); {
		case c != "":
			core = c
		case len(ext)+len(suffix) < MaxNameBytes:
			// The inner extension is what is long: cut it too, keep the last one.
			core, mid = cutUTF8(core+mid, MaxNameBytes-len(suffix)-len(ext)), ""
		default:
			core, mid, ext = cutUTF8(name, MaxNameBytes-len(suffix)), "", ""
		}
	}
	return core + mid + suffix + ext
}

// renameParts splits name into core+mid+ext, where renamed inserts its " (n)" between
// mid and ext and shortens core when the result is too long: "photo" ".jpg"
// ".kmsenc", "archive.tar" "" ".gz", ".bashrc" "" "".
func renameParts(name string) (core, mid, ext string) {
	for _, e := range []string{ExtEnvelope, ExtBlob} {
		if stem, ok := trimExt(name, e); ok {
			ie := filepath.Ext(stem)
			if strings.TrimLeft(stem[:len(stem)-len(ie)], ".") == "" { // ".bashrc.kmsenc"
				ie = ""
			}
			return stem[:len(stem)-len(ie)], ie, name[len(stem):]
		}
	}
	ext = filepath.Ext(name)
	stem := name[:len(name)-len(ext)]
	if strings.TrimLeft(stem, ".") == "" { // ".bashrc"
		return name, "", ""
	}
	return stem, "", ext
}

// cutUTF8 returns the longest prefix of s of at most n bytes that ends on a rune
// boundary ("" when n ≤ 0 or the first rune is longer).
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// partialName returns a new, unique name for the partial file of an output named
// final: ".<final>.<16 random hex digits>.kmsdesk-partial", with final cut (on a
// UTF-8 boundary) so the whole stays within MaxNameBytes. The random part makes each
// writer's partial file its own: a writer only ever renames or removes the partial
// file it created, and two processes can never take each other's.
func partialName(final string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	tag := "." + hex.EncodeToString(b[:]) + ExtPartial
	return "." + cutUTF8(final, MaxNameBytes-1-len(tag)) + tag
}

// isPartialName reports whether name has the shape partialName gives: only such
// files are ever removed as stale partial files.
func isPartialName(name string) bool {
	rest, ok := strings.CutSuffix(name, ExtPartial)
	const tag = 1 + 16 // ".0123456789abcdef"
	if !ok || len(rest) < 2+tag || rest[0] != '.' || rest[len(rest)-tag] != '.' {
		return false
	}
	for _, c := range []byte(rest[len(rest)-16:]) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
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
