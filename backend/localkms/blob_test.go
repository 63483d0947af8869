package localkms

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"strings"
	"testing"
)

const testKeyID = "23e80852-1e38-11e9-b129-5cb9019b4b01"

func testBlob(t testing.TB, plain []byte) string {
	h := makeBlobHeader(testKeyID, 3)
	block, _ := aes.NewCipher(make([]byte, 32))
	g, _ := cipher.NewGCM(block)
	nonce := bytes.Repeat([]byte{1}, blobNonceLen)
	return formatBlob(h[:], nonce, g.Seal(nil, nonce, plain, h[:]))
}

func TestBlobRoundTrip(t *testing.T) {
	s := testBlob(t, []byte("test\n"))
	parts := strings.Split(s, blobSep)
	if len(parts) != 3 {
		t.Fatalf("%d segments", len(parts))
	}
	b, err := parseBlob(s)
	if err != nil {
		t.Fatal(err)
	}
	if b.keyID != testKeyID || b.keyVersion != 3 || len(b.nonce) != blobNonceLen || len(b.sealed) != 5+blobTagLen {
		t.Fatalf("parsed %+v", b)
	}
	if got := formatBlob(b.header[:], b.nonce, b.sealed); got != s {
		t.Fatalf("format(parse(s)) = %q, want %q", got, s)
	}
}

func TestParseBlobRejects(t *testing.T) {
	good := testBlob(t, []byte("x"))
	parts := strings.Split(good, blobSep)
	header, _ := base64.StdEncoding.DecodeString(parts[0])
	withHeader := func(mut func([]byte)) string {
		h := bytes.Clone(header)
		mut(h)
		return base64.StdEncoding.EncodeToString(h) + blobSep + parts[1] + blobSep + parts[2]
	}
	tests := []struct {
		name, blob string
	}{
		{"empty", ""},
		{"one segment", parts[0]},
		{"empty segment", parts[0] + blobSep + blobSep + parts[2]},
		{"four segments", good + blobSep + parts[2]},
		{"bad magic", withHeader(func(h []byte) { h[0] = 'X' })},
		{"format 2", withHeader(func(h []byte) { h[4] = 2 })},
		{"version 0", withHeader(func(h []byte) { copy(h[5:9], []byte{0, 0, 0, 0}) })},
		{"uppercase key id", withHeader(func(h []byte) { copy(h[9:], strings.ToUpper(testKeyID)) })},
		{"short header", base64.StdEncoding.EncodeToString(header[:44]) + blobSep + parts[1] + blobSep + parts[2]},
		{"short nonce", parts[0] + blobSep + base64.StdEncoding.EncodeToString(make([]byte, 11)) + blobSep + parts[2]},
		{"short ciphertext", parts[0] + blobSep + parts[1] + blobSep + base64.StdEncoding.EncodeToString(make([]byte, 15))},
		{"oversized ciphertext", parts[0] + blobSep + parts[1] + blobSep + base64.StdEncoding.EncodeToString(make([]byte, maxBlobPlain+blobTagLen+1))},
		{"unpadded", parts[0] + blobSep + parts[1] + blobSep + strings.TrimRight(parts[2], "=")},
		{"url alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(parts[0]) + blobSep + parts[1] + blobSep + "_-__" + parts[2]},
		{"newline", parts[0][:4] + "\n" + parts[0][4:] + blobSep + parts[1] + blobSep + parts[2]},
		{"too long", strings.Repeat("A", maxBlobTextLen+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := parseBlob(tc.blob); err == nil {
				t.Fatalf("accepted %q as %+v", tc.blob, b)
			}
		})
	}
}

func TestValidKeyID(t *testing.T) {
	for id, want := range map[string]bool{
		testKeyID:                              true,
		"00000000-0000-4000-8000-000000000000": true,
		"23E80852-1e38-11e9-b129-5cb9019b4b01": false,
		"23e80852-1e38-11e9-b129-5cb9019b4b0":  false,
		"23e80852-1e38-11e9-b129_5cb9019b4b01": false,
		"g3e80852-1e38-11e9-b129-5cb9019b4b01": false,
		"":                                     false,
	} {
		if got := validKeyID(id); got != want {
			t.Errorf("validKeyID(%q) = %v", id, got)
		}
	}
}

// FuzzParseBlob: the parser never panics, and whatever it accepts formats back to
// exactly the input (a blob has one spelling).
func FuzzParseBlob(f *testing.F) {
	f.Add(testBlob(f, []byte("test\n")))
	f.Add(testBlob(f, make([]byte, 64)))
	f.Add("GPJU-k-XqqalxTyNKIC1rITRePFGQ==-k-GqsA")
	f.Add("bGttcwEAAAABMDg4NzViMzgtZmE4ZS00NmYxLWJiMjAtY2E5N2RiODY5YmFk-k-BU0cJ60HrbuMlZpv-k-ZnrXsV/VJMHOVIpf852687bETYZg")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBlob(s)
		if err != nil {
			return
		}
		if got := formatBlob(b.header[:], b.nonce, b.sealed); got != s {
			t.Fatalf("format(parse(%q)) = %q", s, got)
		}
		if !validKeyID(b.keyID) || b.keyVersion == 0 || len(b.sealed) < blobTagLen {
			t.Fatalf("accepted an invalid blob %+v", b)
		}
	})
}
