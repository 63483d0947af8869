package envelope_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

var (
	refGZ = envelope.KeyRef{Region: "ap-guangzhou", KeyID: "key-gz"}
	refSH = envelope.KeyRef{Region: "ap-shanghai", KeyID: "key-sh"}
	refBJ = envelope.KeyRef{Region: "ap-beijing", KeyID: "key-bj"}
)

// newTestKMS returns a fake KMS holding key-gz, key-sh and key-bj.
func newTestKMS() *fakeKMS {
	k := newFakeKMS(nil)
	k.addKey(refGZ.KeyID, refGZ.Region)
	k.addKey(refSH.KeyID, refSH.Region)
	k.addKey(refBJ.KeyID, refBJ.Region)
	return k
}

func newTestDataKey(t testing.TB, kms *fakeKMS, backups []envelope.KeyRef, ec string) *envelope.DataKey {
	t.Helper()
	dk, err := envelope.NewDataKey(context.Background(), kms, refGZ, backups, ec)
	if err != nil {
		t.Fatalf("NewDataKey: %v", err)
	}
	t.Cleanup(dk.Destroy)
	return dk
}

func encryptBytes(t testing.TB, dk *envelope.DataKey, pt []byte, opts envelope.EncryptOptions) ([]byte, *envelope.Header) {
	t.Helper()
	var out bytes.Buffer
	h, err := envelope.Encrypt(context.Background(), &out, bytes.NewReader(pt), dk, opts)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return out.Bytes(), h
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want code %s", code)
	}
	if got := errorCode(err); got != code {
		t.Fatalf("code %q, want %q (err: %v)", got, code, err)
	}
}

// ciphertextSize is the size formula of docs/FORMAT.md §6, written independently.
func ciphertextSize(hdr, plain int, meta bool) int {
	p := plain
	if meta {
		p += envelope.MetadataSize
	}
	return hdr + p/envelope.ChunkSize*envelope.SealedChunkSize + p%envelope.ChunkSize + envelope.TagSize
}

func TestRoundTrip(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, []envelope.KeyRef{refSH}, `{"purpose":"test"}`)
	sizes := []int{0, 1, 100, envelope.ChunkSize - 1, envelope.ChunkSize, envelope.ChunkSize + 1, 3 * envelope.ChunkSize,
		256<<10 - 1, 256 << 10, 256<<10 + 1, 256<<10 - envelope.MetadataSize, 1<<20 + 7, 5<<20 + 3}
	for _, size := range sizes {
		pt := detBytes(fmt.Sprintf("roundtrip/%d", size), size)
		for i, withMeta := range []bool{false, true} {
			for j, workers := range []int{1, 2, 5} {
				// Half of the combinations use suite 0x0002: every size gets both suites.
				suite := uint16(envelope.SuiteCobblestone256)
				if (i+j)%2 == 1 {
					suite = envelope.SuiteSM4GCMSM3
				}
				t.Run(fmt.Sprintf("size=%d/meta=%v/workers=%d/suite=%d", size, withMeta, workers, suite), func(t *testing.T) {
					var m *envelope.Metadata
					if withMeta {
						m = &envelope.Metadata{Name: "f.bin", Size: int64(size), ModTime: time.Unix(1e9, 42).UTC(), Mode: 0o755 | fs.ModeSetuid | fs.ModeSticky}
					}
					file, h := encryptBytes(t, dk, pt, envelope.EncryptOptions{Suite: suite, Metadata: m, Workers: workers, Creator: "test"})
					if h.Suite != suite {
						t.Fatalf("suite 0x%04x, want 0x%04x", h.Suite, suite)
					}
					if want := ciphertextSize(h.Len(), size, withMeta); len(file) != want {
						t.Fatalf("ciphertext is %d bytes, formula says %d", len(file), want)
					}
					if got, err := envelope.PlaintextSize(int64(len(file)), h); err != nil || got != int64(size) {
						t.Fatalf("PlaintextSize = %d, %v; want %d", got, err, size)
					}
					var out bytes.Buffer
					res, err := envelope.Decrypt(context.Background(), &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, Workers: 6 - workers})
					if err != nil {
						t.Fatalf("Decrypt: %v", err)
					}
					if !bytes.Equal(out.Bytes(), pt) || res.PlaintextSize != int64(size) {
						t.Fatalf("round trip gave %d bytes, want %d identical bytes", out.Len(), size)
					}
					if withMeta {
						if res.Metadata == nil || res.Metadata.Name != m.Name || res.Metadata.Size != m.Size || !res.Metadata.ModTime.Equal(m.ModTime) || res.Metadata.Mode != m.Mode {
							t.Fatalf("Metadata = %+v, want %+v", res.Metadata, m)
						}
					} else if res.Metadata != nil {
						t.Fatalf("Metadata = %+v, want nil", res.Metadata)
					}
				})
			}
		}
	}
}

func TestBatchSharesDataKeyButNotPayloadKeys(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	pt := []byte("same plaintext, same data key")
	a, ha := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
	b, hb := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
	if ha.Slots[0] != hb.Slots[0] {
		t.Fatalf("files of one batch have different slots")
	}
	if ha.Salt == hb.Salt || ha.Commitment == hb.Commitment || bytes.Equal(a[ha.Len():], b[hb.Len():]) {
		t.Fatalf("two files of one batch share salt, commitment or ciphertext")
	}
	if gen, wrap, _ := kms.calls(); gen != 1 || wrap != 0 {
		t.Fatalf("KMS calls: %d GenerateDataKey, %d Encrypt; want 1, 0", gen, wrap)
	}
}

func TestNewDataKey(t *testing.T) {
	ctx := context.Background()
	t.Run("slots in order with resolved ids", func(t *testing.T) {
		kms := newTestKMS()
		kms.aliases["alias/primary"] = refGZ.KeyID
		dk, err := envelope.NewDataKey(ctx, kms, envelope.KeyRef{Region: refGZ.Region, KeyID: "alias/primary"}, []envelope.KeyRef{refSH, refBJ}, `{"a":"b"}`)
		must(t, err)
		defer dk.Destroy()
		slots := dk.Slots()
		if len(slots) != 3 || slots[0].KeyID != refGZ.KeyID || slots[1].KeyID != refSH.KeyID || slots[2].Region != refBJ.Region {
			t.Fatalf("slots = %+v", slots)
		}
		if gen, wrap, _ := kms.calls(); gen != 1 || wrap != 2 {
			t.Fatalf("KMS calls: %d generate, %d wrap; want 1, 2", gen, wrap)
		}
		if dk.EncryptionContext() != `{"a":"b"}` {
			t.Fatalf("EncryptionContext = %q", dk.EncryptionContext())
		}
	})
	tests := []struct {
		name    string
		primary envelope.KeyRef
		backups []envelope.KeyRef
		ec      string
		code    string
	}{
		{"ec not json", refGZ, nil, `not json`, envelope.CodeInvalidArgument},
		{"ec json array", refGZ, nil, `["a"]`, envelope.CodeInvalidArgument},
		{"ec too long", refGZ, nil, `{"k":"` + strings.Repeat("x", 1020) + `"}`, envelope.CodeInvalidArgument},
		{"empty key id", envelope.KeyRef{Region: "ap-guangzhou"}, nil, "", envelope.CodeInvalidArgument},
		{"key id with space", envelope.KeyRef{KeyID: "a b"}, nil, "", envelope.CodeInvalidArgument},
		{"nine keys", refGZ, []envelope.KeyRef{refSH, refSH, refSH, refSH, refSH, refSH, refSH, refSH}, "", envelope.CodeTooManySlots},
		{"unknown primary", envelope.KeyRef{Region: "ap-guangzhou", KeyID: "nope"}, nil, "", codeCmkNotFound},
		{"disabled backup", refGZ, []envelope.KeyRef{refSH}, "", codeCmkDisabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kms := newTestKMS()
			kms.setDisabled(refSH.KeyID, true)
			dk, err := envelope.NewDataKey(ctx, kms, tc.primary, tc.backups, tc.ec)
			if dk != nil {
				t.Fatalf("got a data key")
			}
			wantCode(t, err, tc.code)
		})
	}
	t.Run("region router", func(t *testing.T) {
		kms := newTestKMS()
		r := &router{fakeKMS: kms}
		dk, err := envelope.NewDataKey(ctx, r, refGZ, []envelope.KeyRef{refSH}, "")
		must(t, err)
		dk.Destroy()
		if strings.Join(r.regions, ",") != "ap-guangzhou,ap-shanghai" {
			t.Fatalf("ForRegion calls %v", r.regions)
		}
	})
	t.Run("destroyed key refuses to encrypt", func(t *testing.T) {
		dk := newTestDataKey(t, newTestKMS(), nil, "")
		dk.Destroy()
		dk.Destroy()
		var out bytes.Buffer
		if _, err := envelope.Encrypt(ctx, &out, strings.NewReader("x"), dk, envelope.EncryptOptions{}); err == nil {
			t.Fatalf("Encrypt with a destroyed key succeeded")
		}
		if out.Len() != 0 {
			t.Fatalf("wrote %d bytes", out.Len())
		}
	})
}

// router is a KeyWrapper that also implements envelope.RegionRouter.
type router struct {
	*fakeKMS
	regions []string
}

func (r *router) ForRegion(region string) (envelope.KeyWrapper, error) {
	r.regions = append(r.regions, region)
	return r.fakeKMS, nil
}

func TestDecryptSlots(t *testing.T) {
	ctx := context.Background()
	pt := []byte("slot test")
	t.Run("falls back to the next slot", func(t *testing.T) {
		kms := newTestKMS()
		dk := newTestDataKey(t, kms, []envelope.KeyRef{refSH, refBJ}, "")
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
		kms.setDisabled(refGZ.KeyID, true)
		kms.setDisabled(refSH.KeyID, true)
		var out bytes.Buffer
		res, err := envelope.Decrypt(ctx, &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		must(t, err)
		if res.Slot.KeyID != refBJ.KeyID || out.String() != string(pt) {
			t.Fatalf("used slot %s, plaintext %q", res.Slot.KeyID, out.String())
		}
	})
	t.Run("all slots fail: first slot's kms error", func(t *testing.T) {
		kms := newTestKMS()
		dk := newTestDataKey(t, kms, []envelope.KeyRef{refSH}, "")
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
		kms.setDisabled(refGZ.KeyID, true)
		delete(kms.keys, refSH.KeyID)
		var out bytes.Buffer
		_, err := envelope.Decrypt(ctx, &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		wantCode(t, err, codeCmkDisabled)
		var ke *kmsError
		if !errors.As(err, &ke) || !strings.Contains(err.Error(), refGZ.KeyID) {
			t.Fatalf("error does not wrap the KMS error or name the key: %v", err)
		}
		if out.Len() != 0 {
			t.Fatalf("wrote %d bytes", out.Len())
		}
	})
	t.Run("key id mismatch is fatal", func(t *testing.T) {
		kms := newTestKMS()
		dk := newTestDataKey(t, kms, []envelope.KeyRef{refSH}, "")
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
		kms.reportAs[refGZ.KeyID] = "some-other-key"
		var out bytes.Buffer
		_, err := envelope.Decrypt(ctx, &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		wantCode(t, err, envelope.CodeKeyMismatch)
		if !errors.Is(err, envelope.ErrKeyMismatch) {
			t.Fatalf("errors.Is(err, ErrKeyMismatch) = false")
		}
		if _, _, unwraps := kms.calls(); unwraps != 1 || out.Len() != 0 {
			t.Fatalf("%d unwraps, %d bytes written; want 1 and 0", unwraps, out.Len())
		}
	})
	t.Run("slot cap before any kms call", func(t *testing.T) {
		kms := newTestKMS()
		dk := newTestDataKey(t, kms, []envelope.KeyRef{refSH, refBJ}, "")
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
		_, err := envelope.Verify(ctx, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, MaxSlots: 2})
		wantCode(t, err, envelope.CodeTooManySlots)
		if _, _, unwraps := kms.calls(); unwraps != 0 {
			t.Fatalf("%d KMS calls before the slot cap", unwraps)
		}
		if _, err := envelope.Verify(ctx, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, MaxSlots: 3}); err != nil {
			t.Fatalf("MaxSlots 3: %v", err)
		}
	})
	t.Run("no supported slot type", func(t *testing.T) {
		h := &envelope.Header{Version: 1, Suite: envelope.SuiteCobblestone256, Slots: []envelope.Slot{{Type: 7, KeyID: "k", WrappedKey: "\x00\x01"}}}
		file := append(h.Marshal(), make([]byte, envelope.TagSize)...)
		kms := newTestKMS()
		_, err := envelope.Verify(ctx, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		wantCode(t, err, envelope.CodeUnsupported)
		if _, _, unwraps := kms.calls(); unwraps != 0 {
			t.Fatalf("unknown slot type reached the unwrapper")
		}
	})
	t.Run("nil unwrapper", func(t *testing.T) {
		_, err := envelope.Verify(ctx, strings.NewReader(""), envelope.DecryptOptions{})
		wantCode(t, err, envelope.CodeInvalidArgument)
	})
}

func TestRequireContext(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, `{"project":"alpha","env":"prod","n":1}`)
	file, _ := encryptBytes(t, dk, []byte("ctx"), envelope.EncryptOptions{})
	noEC, _ := encryptBytes(t, newTestDataKey(t, kms, nil, ""), []byte("ctx"), envelope.EncryptOptions{})
	tests := []struct {
		name    string
		file    []byte
		require map[string]string
		ok      bool
	}{
		{"none required", file, nil, true},
		{"subset matches", file, map[string]string{"project": "alpha"}, true},
		{"all match", file, map[string]string{"project": "alpha", "env": "prod"}, true},
		{"wrong value", file, map[string]string{"project": "beta"}, false},
		{"missing key", file, map[string]string{"owner": "x"}, false},
		{"non-string value", file, map[string]string{"n": "1"}, false},
		{"file without context", noEC, map[string]string{"project": "alpha"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, before := kms.calls()
			_, err := envelope.Verify(context.Background(), bytes.NewReader(tc.file), envelope.DecryptOptions{Unwrapper: kms, RequireContext: tc.require})
			if tc.ok {
				must(t, err)
				return
			}
			wantCode(t, err, envelope.CodeContextMismatch)
			if _, _, after := kms.calls(); after != before {
				t.Fatalf("KMS was called before the context check")
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	pt := []byte("metadata payload")
	t.Run("unknown size and time", func(t *testing.T) {
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{Metadata: &envelope.Metadata{Name: "x", Size: -1}})
		res, err := envelope.Verify(context.Background(), bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		must(t, err)
		if m := res.Metadata; m.Size != -1 || !m.ModTime.IsZero() || m.Name != "x" || m.Mode != 0 {
			t.Fatalf("Metadata = %+v", m)
		}
	})
	t.Run("pre-epoch mtime", func(t *testing.T) {
		mt := time.Date(1960, 5, 6, 7, 8, 9, 999999999, time.UTC)
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{Metadata: &envelope.Metadata{Size: int64(len(pt)), ModTime: mt}})
		res, err := envelope.Verify(context.Background(), bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		must(t, err)
		if !res.Metadata.ModTime.Equal(mt) {
			t.Fatalf("ModTime = %v, want %v", res.Metadata.ModTime, mt)
		}
	})
	t.Run("longest name", func(t *testing.T) {
		name := strings.Repeat("名", envelope.MaxNameSize/3) + strings.Repeat("a", envelope.MaxNameSize%3)
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{Metadata: &envelope.Metadata{Name: name, Size: -1}})
		res, err := envelope.Verify(context.Background(), bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms})
		must(t, err)
		if res.Metadata.Name != name {
			t.Fatalf("long name did not round-trip")
		}
	})
	for _, name := range []string{"a/b", `a\b`, ".", "..", "a\x00b", "tab\there", "\xff", strings.Repeat("a", envelope.MaxNameSize+1)} {
		t.Run(fmt.Sprintf("invalid name %q", name), func(t *testing.T) {
			var out bytes.Buffer
			_, err := envelope.Encrypt(context.Background(), &out, bytes.NewReader(pt), dk, envelope.EncryptOptions{Metadata: &envelope.Metadata{Name: name, Size: -1}})
			wantCode(t, err, envelope.CodeInvalidArgument)
			if out.Len() != 0 {
				t.Fatalf("wrote %d bytes", out.Len())
			}
		})
	}
	for _, size := range []int64{0, int64(len(pt)) - 1, int64(len(pt)) + 1} {
		t.Run(fmt.Sprintf("size %d for %d bytes", size, len(pt)), func(t *testing.T) {
			var out bytes.Buffer
			_, err := envelope.Encrypt(context.Background(), &out, bytes.NewReader(pt), dk, envelope.EncryptOptions{Metadata: &envelope.Metadata{Size: size}})
			wantCode(t, err, envelope.CodeInputChanged)
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	dk := newTestDataKey(t, newTestKMS(), nil, "")
	for _, creator := range []string{"a\nb", "\xfe", strings.Repeat("c", 256)} {
		_, err := envelope.Encrypt(context.Background(), io.Discard, strings.NewReader(""), dk, envelope.EncryptOptions{Creator: creator})
		wantCode(t, err, envelope.CodeInvalidArgument)
	}
	_, err := envelope.Encrypt(context.Background(), io.Discard, strings.NewReader(""), nil, envelope.EncryptOptions{})
	wantCode(t, err, envelope.CodeInvalidArgument)
}

func TestIsEnvelope(t *testing.T) {
	tests := []struct {
		in   []byte
		want bool
	}{
		{nil, false},
		{envelope.Magic[:7], false},
		{envelope.Magic[:], true},
		{append(envelope.Magic[:], 1, 2, 3), true},
		{[]byte("\x89PNG\r\n\x1a\n"), false},
		{[]byte("\x89KMS\n\n\x1a\n"), false},
	}
	for _, tc := range tests {
		if got := envelope.IsEnvelope(tc.in); got != tc.want {
			t.Errorf("IsEnvelope(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// rawHeader builds header bytes by hand (no MAC needed for parse tests).
func rawHeader(version byte, suite uint16, flags byte, body []byte) []byte {
	b := append([]byte(nil), envelope.Magic[:]...)
	b = append(b, version)
	b = binary.BigEndian.AppendUint16(b, suite)
	b = append(b, flags)
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	b = append(b, body...)
	return append(b, make([]byte, 88)...)
}

// body builds a header body: ec, slots as raw bytes, creator, padding.
func body(ec string, count byte, slots []byte, creator string, padding []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(ec)))
	b = append(b, ec...)
	b = append(b, count)
	b = append(b, slots...)
	b = append(b, byte(len(creator)))
	b = append(b, creator...)
	return append(b, padding...)
}

func rawSlot(typ byte, region, keyID, wrapped string) []byte {
	b := []byte{typ, byte(len(region))}
	b = append(b, region...)
	b = append(b, byte(len(keyID)))
	b = append(b, keyID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(wrapped)))
	return append(b, wrapped...)
}

func TestParseHeader(t *testing.T) {
	good := rawSlot(1, "ap-guangzhou", "key-1", "QUJD")
	tests := []struct {
		name string
		in   []byte
		code string // "" = success
	}{
		{"minimal", rawHeader(1, 1, 0, body("", 1, rawSlot(1, "", "k", "w"), "", nil)), ""},
		{"with padding", rawHeader(1, 1, 1, body(`{"a":"b"}`, 1, good, "kmsdesk", make([]byte, 100))), ""},
		{"unknown slot type is parsed", rawHeader(1, 1, 0, body("", 2, append(append([]byte(nil), good...), rawSlot(9, "", "k", "\x00\xff")...), "", nil)), ""},
		{"empty input", nil, envelope.CodeNotEnvelope},
		{"other format", []byte("PK\x03\x04 zip file here"), envelope.CodeNotEnvelope},
		{"magic prefix only", envelope.Magic[:5], envelope.CodeTruncated},
		{"preamble cut", envelope.Magic[:], envelope.CodeTruncated},
		{"version 2", rawHeader(2, 1, 0, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"version 0", rawHeader(0, 1, 0, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"suite 0x0002", rawHeader(1, envelope.SuiteSM4GCMSM3, 1, body("", 1, good, "", nil)), ""},
		{"suite 0x0003", rawHeader(1, 3, 0, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"suite 0x0102", rawHeader(1, 0x0102, 0, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"suite 0", rawHeader(1, 0, 0, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"flag bit 1", rawHeader(1, 1, 2, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"flag bit 7", rawHeader(1, 1, 0x80, body("", 1, good, "", nil)), envelope.CodeUnsupported},
		{"body too small", rawHeader(1, 1, 0, make([]byte, 10)), envelope.CodeMalformedHeader},
		{"body too large", rawHeader(1, 1, 0, body("", 1, good, "", make([]byte, 64<<10))), envelope.CodeMalformedHeader},
		{"header cut", rawHeader(1, 1, 0, body("", 1, good, "", nil))[:40], envelope.CodeTruncated},
		{"trailer cut", rawHeader(1, 1, 0, body("", 1, good, "", nil))[:120], envelope.CodeTruncated},
		{"zero slots", rawHeader(1, 1, 0, body("", 0, nil, "", make([]byte, 10))), envelope.CodeMalformedHeader},
		{"nine slots", rawHeader(1, 1, 0, body("", 9, bytes.Repeat(good, 9), "", nil)), envelope.CodeTooManySlots},
		{"255 slots", rawHeader(1, 1, 0, body("", 255, good, "", nil)), envelope.CodeTooManySlots},
		{"count exceeds slots present", rawHeader(1, 1, 0, body("", 2, good, "", nil)), envelope.CodeMalformedHeader},
		{"non-zero padding", rawHeader(1, 1, 0, body("", 1, good, "", []byte{0, 0, 1})), envelope.CodeMalformedHeader},
		{"ec not json", rawHeader(1, 1, 0, body("hello", 1, good, "", nil)), envelope.CodeMalformedHeader},
		{"ec json string", rawHeader(1, 1, 0, body(`"x"`, 1, good, "", nil)), envelope.CodeMalformedHeader},
		{"ec too long", rawHeader(1, 1, 0, body(`{"k":"`+strings.Repeat("x", 1020)+`"}`, 1, good, "", nil)), envelope.CodeMalformedHeader},
		{"slot type 0", rawHeader(1, 1, 0, body("", 1, rawSlot(0, "r", "k", "w"), "", nil)), envelope.CodeMalformedHeader},
		{"empty key id", rawHeader(1, 1, 0, body("", 1, rawSlot(1, "r", "", "w"), "", nil)), envelope.CodeMalformedHeader},
		{"empty wrapped key", rawHeader(1, 1, 0, body("", 1, rawSlot(1, "r", "k", ""), "", nil)), envelope.CodeMalformedHeader},
		{"region with space", rawHeader(1, 1, 0, body("", 1, rawSlot(1, "ap guangzhou", "k", "w"), "", nil)), envelope.CodeMalformedHeader},
		{"binary wrapped key in kms slot", rawHeader(1, 1, 0, body("", 1, rawSlot(1, "r", "k", "\x00"), "", nil)), envelope.CodeMalformedHeader},
		{"creator with newline", rawHeader(1, 1, 0, body("", 1, good, "a\nb", nil)), envelope.CodeMalformedHeader},
		{"creator overruns body", rawHeader(1, 1, 0, body("", 1, good, "", nil)[:len(body("", 1, good, "", nil))-1]), envelope.CodeMalformedHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, n, err := envelope.ParseHeader(tc.in)
			if tc.code == "" {
				must(t, err)
				if !bytes.Equal(h.Marshal(), tc.in[:n]) {
					t.Fatalf("Marshal differs from input")
				}
				ih, err := envelope.Inspect(bytes.NewReader(tc.in))
				must(t, err)
				if !bytes.Equal(ih.Marshal(), tc.in[:n]) {
					t.Fatalf("Inspect differs from ParseHeader")
				}
				return
			}
			wantCode(t, err, tc.code)
			_, ierr := envelope.Inspect(bytes.NewReader(tc.in))
			wantCode(t, ierr, tc.code)
		})
	}
}

func TestPlaintextSize(t *testing.T) {
	h := &envelope.Header{Slots: []envelope.Slot{{Type: 1, KeyID: "k", WrappedKey: "w"}}}
	hm := &envelope.Header{Flags: envelope.FlagMetadata, Slots: h.Slots}
	H := int64(h.Len())
	tests := []struct {
		h    *envelope.Header
		size int64
		want int64 // -1 = truncated
	}{
		{h, H - 1, -1},
		{h, H, -1},
		{h, H + 15, -1},
		{h, H + 16, 0},
		{h, H + 17, 1},
		{h, H + 16399, 16383},
		{h, H + 16400, -1},
		{h, H + 16400 + 15, -1},
		{h, H + 16400 + 16, 16384},
		{h, H + 2*16400 + 100, 2*16384 + 84},
		{hm, H + 16 + 1023, -1},
		{hm, H + 16 + 1024, 0},
		{hm, H + 16400 + 16, 16384 - 1024},
	}
	for _, tc := range tests {
		got, err := envelope.PlaintextSize(tc.size, tc.h)
		if tc.want < 0 {
			if !errors.Is(err, envelope.ErrTruncated) {
				t.Errorf("PlaintextSize(%d) = %d, %v; want ErrTruncated", tc.size-H, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PlaintextSize(H+%d) = %d, %v; want %d", tc.size-H, got, err, tc.want)
		}
	}
}

// failingWriter fails after n bytes.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

// failingReader yields n bytes of zeros, then an error.
type failingReader struct{ n int }

var errUnplugged = errors.New("device unplugged")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errUnplugged
	}
	m := min(len(p), r.n)
	clear(p[:m])
	r.n -= m
	return m, nil
}

func TestIOErrors(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	pt := detBytes("ioerrors", 3<<20)
	file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
	base := runtime.NumGoroutine()
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			ctx := context.Background()
			_, err := envelope.Encrypt(ctx, io.Discard, &failingReader{n: 1 << 20}, dk, envelope.EncryptOptions{Workers: workers})
			if !errors.Is(err, errUnplugged) {
				t.Errorf("Encrypt with failing reader: %v", err)
			}
			_, err = envelope.Encrypt(ctx, &failingWriter{n: 1 << 20}, bytes.NewReader(pt), dk, envelope.EncryptOptions{Workers: workers})
			if !errors.Is(err, errDiskFull) {
				t.Errorf("Encrypt with failing writer: %v", err)
			}
			_, err = envelope.Decrypt(ctx, &failingWriter{n: 1 << 20}, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, Workers: workers})
			if !errors.Is(err, errDiskFull) {
				t.Errorf("Decrypt with failing writer: %v", err)
			}
			r := io.MultiReader(bytes.NewReader(file[:2<<20]), &failingReader{})
			_, err = envelope.Decrypt(ctx, io.Discard, r, envelope.DecryptOptions{Unwrapper: kms, Workers: workers})
			if !errors.Is(err, errUnplugged) {
				t.Errorf("Decrypt with failing reader: %v", err)
			}
		})
	}
	// Every goroutine a call starts has exited when it returns.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines left running, %d before", n, base)
	}
}

func TestCancel(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	pt := detBytes("cancel", 8<<20)
	file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := envelope.Encrypt(ctx, io.Discard, bytes.NewReader(pt), dk, envelope.EncryptOptions{Workers: workers})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Encrypt with a cancelled context: %v", err)
			}
			_, err = envelope.Decrypt(ctx, io.Discard, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, Workers: workers})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Decrypt with a cancelled context: %v", err)
			}

			// Cancel mid-stream from the progress callback: the call stops within the
			// units already in flight.
			var last int64
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			_, err = envelope.Encrypt(ctx, io.Discard, bytes.NewReader(pt), dk, envelope.EncryptOptions{Workers: workers, Progress: func(n int64) {
				last = n
				if n >= 1<<20 {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) || last >= int64(len(pt)) {
				t.Fatalf("Encrypt cancelled at 1 MiB: err %v, progress reached %d of %d", err, last, len(pt))
			}
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			var out bytes.Buffer
			_, err = envelope.Decrypt(ctx, &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, Workers: workers, Progress: func(n int64) {
				if n >= 1<<20 {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) || out.Len() >= len(pt) || !bytes.HasPrefix(pt, out.Bytes()) {
				t.Fatalf("Decrypt cancelled at 1 MiB: err %v, wrote %d bytes", err, out.Len())
			}
		})
	}
}

func TestProgress(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	pt := detBytes("progress", 3<<20+5)
	for _, workers := range []int{1, 3} {
		var calls []int64
		file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{Workers: workers, Metadata: &envelope.Metadata{Size: int64(len(pt))}, Progress: func(n int64) { calls = append(calls, n) }})
		checkProgress(t, "encrypt", calls, int64(len(pt)))
		calls = nil
		_, err := envelope.Verify(context.Background(), bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, Workers: workers, Progress: func(n int64) { calls = append(calls, n) }})
		must(t, err)
		checkProgress(t, "decrypt", calls, int64(len(pt)))
	}
}

func checkProgress(t *testing.T, op string, calls []int64, total int64) {
	t.Helper()
	if len(calls) < int(total/(256<<10)) || calls[len(calls)-1] != total {
		t.Fatalf("%s: %d progress calls ending at %d, want ≥ %d ending at %d", op, len(calls), calls[len(calls)-1], total/(256<<10), total)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] || calls[i]-calls[i-1] > 256<<10 {
			t.Fatalf("%s: progress %d after %d", op, calls[i], calls[i-1])
		}
	}
}

// TestConcurrentBatch encrypts many files with one DataKey at once and destroys it
// while they run: files that derived their keys before Destroy complete and decrypt
// (Destroy never pulls a key from under a running file), a file started after Destroy
// fails, and the race detector checks the DataKey's locking.
func TestConcurrentBatch(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	const n = 8
	started := make(chan struct{}, n)
	release := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		go func() {
			pt := detBytes(fmt.Sprint("batch", i), 300<<10)
			var out bytes.Buffer
			// Encrypt derives the file's keys before its first read, so a read
			// means the file holds its keys.
			in := &gatedReader{r: bytes.NewReader(pt), started: started, release: release}
			_, err := envelope.Encrypt(context.Background(), &out, in, dk, envelope.EncryptOptions{Workers: 2})
			if err == nil {
				var dec bytes.Buffer
				_, err = envelope.Decrypt(context.Background(), &dec, &out, envelope.DecryptOptions{Unwrapper: kms, Workers: 2})
				if err == nil && !bytes.Equal(dec.Bytes(), pt) {
					err = errors.New("plaintext differs")
				}
			}
			errs <- err
		}()
	}
	for range n {
		<-started
	}
	dk.Destroy()
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("a file that started before Destroy: %v", err)
		}
	}
	_, err := envelope.Encrypt(context.Background(), io.Discard, bytes.NewReader([]byte("late")), dk, envelope.EncryptOptions{})
	if !errors.Is(err, envelope.ErrInvalidArgument) || !strings.Contains(err.Error(), "destroyed") {
		t.Fatalf("encrypt after Destroy: %v, want the destroyed-key error", err)
	}
}

// gatedReader signals its first Read on started and then waits for release.
type gatedReader struct {
	r       io.Reader
	started chan<- struct{}
	release <-chan struct{}
	once    sync.Once
}

func (g *gatedReader) Read(p []byte) (int, error) {
	g.once.Do(func() {
		g.started <- struct{}{}
		<-g.release
	})
	return g.r.Read(p)
}
