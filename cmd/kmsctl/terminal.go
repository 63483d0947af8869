package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Everything kmsctl prints for people (not --json) that it did not write itself
// goes through escapeControls: key metadata and error messages from a KMS
// endpoint, file names, the creator and encryption context of a file header,
// profile fields. Text from any of them could otherwise clear the screen,
// retitle the window, rewrite a line or reorder what is shown.

// escapeControls returns s with what a terminal would interpret replaced by
// Go-style escapes: C0 controls and DEL (\x1b), C1 controls, the line and
// paragraph separators and the bidirectional formatting characters (\u202e),
// and the bytes of invalid UTF-8 (\xff). keepLines keeps line feeds, tabs and
// the carriage return of a CRLF, for multi-line text such as a plaintext.
func escapeControls(s string, keepLines bool) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || escaped(r, keepLines) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepLines && r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			b.WriteByte('\r')
		case !escaped(r, keepLines):
			b.WriteString(s[i : i+size])
		case r == '\n', r == '\r', r == '\t':
			b.WriteString(map[rune]string{'\n': `\n`, '\r': `\r`, '\t': `\t`}[r])
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// safe is escapeControls for one-line text: names, paths, messages, fields.
func safe(s string) string { return escapeControls(s, false) }

// escaped reports whether r is shown as an escape.
func escaped(r rune, keepLines bool) bool {
	switch {
	case keepLines && (r == '\n' || r == '\t'):
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, // ALM, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}
