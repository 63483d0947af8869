package envelope_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// knownCodes are the codes envelope may return for a file problem.
var knownCodes = map[string]bool{
	envelope.CodeNotEnvelope: true, envelope.CodeUnsupported: true, envelope.CodeMalformedHeader: true,
	envelope.CodeTooManySlots: true, envelope.CodeTruncated: true, envelope.CodeContextMismatch: true,
	envelope.CodeKeyMismatch: true, envelope.CodeAuthenticationFailed: true, envelope.CodeMalformedMetadata: true,
}

func errorCode(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return ""
}

// fuzzBase is a set of small authentic files under one fake KMS. FuzzDecrypt knows
// the plaintext of each file (by salt), so it can check that decrypting any mutation
// yields either that plaintext, a prefix of it, or nothing.
type fuzzBase struct {
	kms   *fakeKMS
	files [][]byte
	plain map[[envelope.SaltSize]byte][]byte
	meta  map[[envelope.SaltSize]byte]*envelope.Metadata
}

var fuzzBaseOnce = sync.OnceValue(func() *fuzzBase {
	ctx := context.Background()
	kms := newFakeKMS(newDetReader("kmsenc-fuzz/kms"))
	kms.addKey("fuzz-key-1", "ap-guangzhou")
	kms.addKey("fuzz-key-2", "ap-shanghai")
	fb := &fuzzBase{kms: kms, plain: map[[envelope.SaltSize]byte][]byte{}, meta: map[[envelope.SaltSize]byte]*envelope.Metadata{}}
	one, err := envelope.NewDataKey(ctx, kms, envelope.KeyRef{Region: "ap-guangzhou", KeyID: "fuzz-key-1"}, nil, "")
	if err != nil {
		panic(err)
	}
	two, err := envelope.NewDataKey(ctx, kms, envelope.KeyRef{Region: "ap-guangzhou", KeyID: "fuzz-key-1"},
		[]envelope.KeyRef{{Region: "ap-shanghai", KeyID: "fuzz-key-2"}}, `{"team":"fuzz"}`)
	if err != nil {
		panic(err)
	}
	salt := newDetReader("kmsenc-fuzz/salt")
	suite := uint16(envelope.SuiteCobblestone256)
	add := func(dk *envelope.DataKey, n int, m *envelope.Metadata) {
		pt := detBytes(fmt.Sprintf("kmsenc-fuzz/plaintext/%d", n), n)
		var out bytes.Buffer
		h, err := envelope.Encrypt(ctx, &out, bytes.NewReader(pt), dk, envelope.EncryptOptions{Suite: suite, Metadata: m, Creator: "fuzz", Workers: 1, Rand: salt})
		if err != nil {
			panic(err)
		}
		fb.files = append(fb.files, out.Bytes())
		fb.plain[h.Salt] = pt
		fb.meta[h.Salt] = m
	}
	add(one, 0, nil)
	add(one, 1, nil)
	add(one, 100, nil)
	add(one, envelope.ChunkSize, nil)
	add(two, envelope.ChunkSize+5, nil)
	add(two, 40, &envelope.Metadata{Name: "a.txt", Size: 40, ModTime: time.Unix(1700000000, 5).UTC(), Mode: 0o600})
	add(one, 2*envelope.ChunkSize+3, &envelope.Metadata{Name: "b", Size: -1})
	// The same shapes in suite 0x0002 (SM4-GCM, SM3).
	suite = envelope.SuiteSM4GCMSM3
	add(one, 0, nil)
	add(one, 1, nil)
	add(one, envelope.ChunkSize, nil)
	add(two, envelope.ChunkSize+5, nil)
	add(two, 40, &envelope.Metadata{Name: "c.txt", Size: 40, ModTime: time.Unix(1700000001, 7).UTC(), Mode: 0o640})
	return fb
})

// writeFuzzCorpus writes the seed corpora (called by TestVectors -update).
func writeFuzzCorpus(t *testing.T) {
	t.Helper()
	write := func(target, name string, args ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		must(t, os.MkdirAll(dir, 0o755))
		content := "go test fuzz v1\n"
		for _, a := range args {
			content += a + "\n"
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	lit := func(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }
	for _, spec := range vectorSpecs {
		_, file, _ := loadVector(t, spec.name)
		_, n, err := envelope.ParseHeader(file)
		must(t, err)
		write("FuzzParseHeader", "vector-"+spec.name, lit(file[:n]))
	}
	write("FuzzParseHeader", "empty", lit(nil))
	write("FuzzParseHeader", "magic-only", lit(envelope.Magic[:]))
	for i, f := range fuzzBaseOnce().files {
		write("FuzzDecrypt", fmt.Sprintf("base-%d", i), lit(f), fmt.Sprintf("byte(%d)", i%3))
	}
}

// FuzzParseHeader checks that the header parser never panics, returns only
// documented errors, and that every header it accepts marshals back to the same
// bytes (the header is not malleable).
func FuzzParseHeader(f *testing.F) {
	f.Add(envelope.Magic[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := envelope.ParseHeader(b)
		if err != nil {
			if c := errorCode(err); !knownCodes[c] {
				t.Fatalf("error without a known code (%q): %v", c, err)
			}
			if h != nil || n != 0 {
				t.Fatalf("error with a header")
			}
			return
		}
		if n > len(b) || n != h.Len() {
			t.Fatalf("n = %d, Len = %d, input %d bytes", n, h.Len(), len(b))
		}
		m := h.Marshal()
		if !bytes.Equal(m, b[:n]) {
			t.Fatalf("Marshal(ParseHeader(b)) != b[:n]\n got %x\nwant %x", m, b[:n])
		}
		ih, err := envelope.Inspect(bytes.NewReader(b))
		if err != nil || !bytes.Equal(ih.Marshal(), m) {
			t.Fatalf("Inspect disagrees with ParseHeader: %v", err)
		}
	})
}

// FuzzDecrypt checks that Decrypt never panics, never accepts a forgery, and on
// error has written only a prefix of the authentic plaintext (or nothing).
func FuzzDecrypt(f *testing.F) {
	fb := fuzzBaseOnce()
	for i, file := range fb.files {
		f.Add(file, byte(i%3))
	}
	f.Fuzz(func(t *testing.T, data []byte, workers byte) {
		var out bytes.Buffer
		res, err := envelope.Decrypt(context.Background(), &out, bytes.NewReader(data), envelope.DecryptOptions{
			Unwrapper: fb.kms,
			Workers:   int(workers%4) + 1,
		})
		var want []byte
		var known bool
		if h, _, perr := envelope.ParseHeader(data); perr == nil {
			want, known = fb.plain[h.Salt]
		}
		if err == nil {
			if !known {
				t.Fatalf("decrypted a file that was never encrypted")
			}
			if !bytes.Equal(out.Bytes(), want) || res.PlaintextSize != int64(len(want)) {
				t.Fatalf("decrypted to %d bytes that are not the authentic plaintext", out.Len())
			}
			if m := fb.meta[res.Header.Salt]; (m == nil) != (res.Metadata == nil) {
				t.Fatalf("metadata presence mismatch")
			}
			return
		}
		if c := errorCode(err); !knownCodes[c] && !isFakeKMSCode(c) {
			t.Fatalf("error without a known code (%q): %v", c, err)
		}
		if out.Len() > 0 && (!known || !bytes.HasPrefix(want, out.Bytes())) {
			t.Fatalf("on error, wrote %d bytes that are not a prefix of the authentic plaintext", out.Len())
		}
	})
}

func isFakeKMSCode(c string) bool {
	return c == codeCmkNotFound || c == codeCmkDisabled || c == codeInvalidCiphertext
}

// FuzzParseIdentities: an identity file never panics the parser; an error never
// echoes the input (it may be a secret); a parsed identity's recipient parses back to
// the same key id.
func FuzzParseIdentities(f *testing.F) {
	f.Add(recoveryIdentity)
	f.Add("# comment\n\n" + recoveryIdentity + "\n")
	f.Add("AGE-SECRET-KEY-PQ-1QQQQ\n")
	f.Add("age1qqqqqq")
	f.Fuzz(func(t *testing.T, in string) {
		ids, err := envelope.ParseIdentities(strings.NewReader(in))
		if err != nil {
			// Only an input long enough to be a key is checked: a short one ("1")
			// may well be part of the message's own words ("line 1").
			if s := strings.TrimSpace(in); len(s) > 24 && strings.Contains(err.Error(), s) {
				t.Fatalf("the error echoes the input: %v", err)
			}
			return
		}
		for _, id := range ids {
			r, err := envelope.ParseRecipient(id.Recipient().String())
			if err != nil || r.KeyID() != id.Recipient().KeyID() {
				t.Fatalf("recipient of a parsed identity: %v", err)
			}
		}
	})
}
