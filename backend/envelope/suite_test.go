package envelope_test

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	must(t, err)
	return b
}

// TestSM4KnownAnswers checks the primitives of suite 0x0002 against published
// vectors: SM4 (GB/T 32907-2016 Appendix A.1), SM3 (GB/T 32905-2016 Appendix A.1
// and A.2) and SM4-GCM (RFC 8998 Appendix A.1), through gmsm's GCM (what envelope
// uses) and the standard library's generic GCM over gmsm's block (what ref_test uses).
// verify_vectors.py checks the same vectors in Python.
func TestSM4KnownAnswers(t *testing.T) {
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	b, err := sm4.NewCipher(key)
	must(t, err)
	got := make([]byte, 16)
	b.Encrypt(got, key)
	if want := "681edf34d206965e86b3e94f536e4246"; hex.EncodeToString(got) != want {
		t.Errorf("SM4 block = %x, want %s", got, want)
	}
	for msg, want := range map[string]string{
		"abc":                                    "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		string(bytes.Repeat([]byte("abcd"), 16)): "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
	} {
		if s := sm3.Sum([]byte(msg)); hex.EncodeToString(s[:]) != want {
			t.Errorf("SM3(%q) = %x, want %s", msg, s, want)
		}
	}

	nonce := unhex(t, "00001234567800000000abcd")
	aad := unhex(t, "feedfacedeadbeeffeedfacedeadbeefabaddad2")
	pt := unhex(t, "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"+
		"eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa")
	want := "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735" +
		"d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d" +
		"83de3541e4c2b58177e065a9bf7b62ec"
	for name, blk := range map[string]cipher.Block{"gmsm": b, "generic": plainBlock{b}} {
		g, err := cipher.NewGCM(blk)
		must(t, err)
		ct := g.Seal(nil, nonce, pt, aad)
		if hex.EncodeToString(ct) != want {
			t.Errorf("%s SM4-GCM = %x, want %s", name, ct, want)
		}
		if back, err := g.Open(nil, nonce, ct, aad); err != nil || !bytes.Equal(back, pt) {
			t.Errorf("%s SM4-GCM open: %v", name, err)
		}
		ct[len(ct)-1] ^= 1
		if _, err := g.Open(nil, nonce, ct, aad); err == nil {
			t.Errorf("%s SM4-GCM accepted a bad tag", name)
		}
	}
}

// TestSuiteGCMAgreesWithGeneric: gmsm's assembly GCM and the standard library's
// generic GCM over the same SM4 block agree on every length around the block and
// batch sizes (the assembly handles 4 or 8 blocks at a time) and on a full chunk.
func TestSuiteGCMAgreesWithGeneric(t *testing.T) {
	b, err := sm4.NewCipher(detBytes("sm4-gcm/key", 16))
	must(t, err)
	fast, err := cipher.NewGCM(b)
	must(t, err)
	slow, err := cipher.NewGCM(plainBlock{b})
	must(t, err)
	nonce := detBytes("sm4-gcm/nonce", 12)
	for _, n := range []int{0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, envelope.ChunkSize} {
		pt := detBytes(fmt.Sprint("sm4-gcm/", n), n)
		a, c := fast.Seal(nil, nonce, pt, nil), slow.Seal(nil, nonce, pt, nil)
		if !bytes.Equal(a, c) {
			t.Fatalf("%d bytes: gmsm GCM and generic GCM differ", n)
		}
		if back, err := fast.Open(nil, nonce, c, nil); err != nil || !bytes.Equal(back, pt) {
			t.Fatalf("%d bytes: open: %v", n, err)
		}
	}
}

// TestSuites: both suites round-trip under one data key, write their id in the
// preamble, and give different ciphertexts; an unknown suite is refused.
func TestSuites(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	pt := detBytes("suites", 3*envelope.ChunkSize+9)
	var payloads [][]byte
	for _, id := range []uint16{0, envelope.SuiteCobblestone256, envelope.SuiteSM4GCMSM3} {
		file, h := encryptBytes(t, dk, pt, envelope.EncryptOptions{Suite: id, Rand: newDetReader("suites/salt")})
		want := max(id, envelope.SuiteCobblestone256)
		if h.Suite != want || file[9] != 0 || uint16(file[10]) != want {
			t.Fatalf("suite %#x: header says %#x, file %x", id, h.Suite, file[9:11])
		}
		var out bytes.Buffer
		if _, err := envelope.Decrypt(context.Background(), &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms}); err != nil || !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("suite %#x: %v", id, err)
		}
		payloads = append(payloads, file[h.Len():])
	}
	if !bytes.Equal(payloads[0], payloads[1]) || bytes.Equal(payloads[1], payloads[2]) {
		t.Fatalf("suite 0 must be 0x0001, and 0x0002 must differ from it")
	}
	_, err := envelope.Encrypt(context.Background(), &bytes.Buffer{}, bytes.NewReader(pt), dk, envelope.EncryptOptions{Suite: 3})
	wantCode(t, err, envelope.CodeInvalidArgument)
	if envelope.SuiteSupported(0) || envelope.SuiteSupported(3) || !envelope.SuiteSupported(envelope.SuiteSM4GCMSM3) {
		t.Fatalf("SuiteSupported is wrong")
	}
}
