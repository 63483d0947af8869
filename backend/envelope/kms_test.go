package envelope_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// kmsError mimics a Tencent Cloud SDK error: it carries the API error code.
type kmsError struct{ code, msg string }

func (e *kmsError) Error() string {
	return "[TencentCloudSDKError] Code=" + e.code + ", Message=" + e.msg
}
func (e *kmsError) ErrorCode() string { return e.code }

// Error codes the fake KMS returns (real Tencent Cloud KMS codes).
const (
	codeCmkNotFound       = "ResourceUnavailable.CmkNotFound"
	codeCmkDisabled       = "ResourceUnavailable.CmkDisabled"
	codeInvalidCiphertext = "InvalidParameterValue.InvalidCiphertext"
)

type fakeKey struct {
	region   string
	master   []byte
	disabled bool
}

// fakeKMS stands in for Tencent KMS inside the envelope tests only. Like the real
// service, a CiphertextBlob names its key and Decrypt takes no key id; the
// EncryptionContext is bound to the blob (as GCM additional data) and must be given
// back verbatim.
type fakeKMS struct {
	mu      sync.Mutex
	rand    io.Reader
	keys    map[string]*fakeKey
	aliases map[string]string
	// reportAs makes UnwrapKey report a different key id for a key (KeyMismatch).
	reportAs map[string]string

	generateCalls, wrapCalls, unwrapCalls int
}

// newFakeKMS returns a fake KMS drawing data keys, master keys and nonces from rnd
// (crypto/rand if nil).
func newFakeKMS(rnd io.Reader) *fakeKMS {
	if rnd == nil {
		rnd = rand.Reader
	}
	return &fakeKMS{rand: rnd, keys: map[string]*fakeKey{}, aliases: map[string]string{}, reportAs: map[string]string{}}
}

// addKey creates a key with a random master key and returns the master key.
func (k *fakeKMS) addKey(id, region string) []byte {
	m := make([]byte, 32)
	if _, err := io.ReadFull(k.rand, m); err != nil {
		panic(err)
	}
	k.addKeyMaterial(id, region, m)
	return m
}

func (k *fakeKMS) addKeyMaterial(id, region string, master []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[id] = &fakeKey{region: region, master: append([]byte(nil), master...)}
}

func (k *fakeKMS) setDisabled(id string, disabled bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[id].disabled = disabled
}

func (k *fakeKMS) calls() (generate, wrap, unwrap int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.generateCalls, k.wrapCalls, k.unwrapCalls
}

func (k *fakeKMS) lookup(id string) (string, *fakeKey, error) {
	if real, ok := k.aliases[id]; ok {
		id = real
	}
	key, ok := k.keys[id]
	if !ok {
		return "", nil, &kmsError{codeCmkNotFound, "key " + id + " not found"}
	}
	if key.disabled {
		return "", nil, &kmsError{codeCmkDisabled, "key " + id + " is disabled"}
	}
	return id, key, nil
}

func (k *fakeKMS) seal(id string, key *fakeKey, dek []byte, ec string) string {
	gcm := key.aead()
	blob := []byte{byte(len(id))}
	blob = append(blob, id...)
	nonce := make([]byte, gcm.NonceSize())
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		panic(err)
	}
	blob = append(blob, nonce...)
	blob = gcm.Seal(blob, nonce, dek, []byte(ec))
	return base64.StdEncoding.EncodeToString(blob)
}

func (k *fakeKMS) GenerateDataKey(ctx context.Context, keyID, ec string) ([]byte, string, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.generateCalls++
	id, key, err := k.lookup(keyID)
	if err != nil {
		return nil, "", "", err
	}
	dek := make([]byte, envelope.DataKeySize)
	if _, err := io.ReadFull(k.rand, dek); err != nil {
		return nil, "", "", err
	}
	return dek, k.seal(id, key, dek, ec), id, nil
}

func (k *fakeKMS) WrapKey(ctx context.Context, keyID string, dek []byte, ec string) (string, string, error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.wrapCalls++
	id, key, err := k.lookup(keyID)
	if err != nil {
		return "", "", err
	}
	return k.seal(id, key, dek, ec), id, nil
}

func (k *fakeKMS) UnwrapKey(ctx context.Context, s envelope.Slot, ec string) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.unwrapCalls++
	if !s.IsKMS() {
		return nil, "", fmt.Errorf("fake kms: slot type %d not handled", s.Type)
	}
	blob, err := base64.StdEncoding.DecodeString(s.WrappedKey)
	if err != nil || len(blob) < 1 || len(blob) < 1+int(blob[0])+12+16 {
		return nil, "", &kmsError{codeInvalidCiphertext, "malformed ciphertext blob"}
	}
	id := string(blob[1 : 1+blob[0]])
	rest := blob[1+blob[0]:]
	key, ok := k.keys[id]
	if !ok || key.region != s.Region {
		return nil, "", &kmsError{codeCmkNotFound, "key " + id + " not found in region " + s.Region}
	}
	if key.disabled {
		return nil, "", &kmsError{codeCmkDisabled, "key " + id + " is disabled"}
	}
	gcm := key.aead()
	dek, err := gcm.Open(nil, rest[:12], rest[12:], []byte(ec))
	if err != nil {
		return nil, "", &kmsError{codeInvalidCiphertext, "ciphertext or encryption context mismatch"}
	}
	if other, ok := k.reportAs[id]; ok {
		id = other
	}
	return dek, id, nil
}

// detReader is a deterministic byte stream: block i is SHA-256(seed ‖ uint64be(i)).
// testdata/envelope/README.md documents it so the vectors can be reproduced.
type detReader struct {
	seed []byte
	ctr  uint64
	buf  []byte
}

func newDetReader(seed string) *detReader { return &detReader{seed: []byte(seed)} }

func (d *detReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(d.buf) == 0 {
			h := sha256.New()
			h.Write(d.seed)
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], d.ctr)
			h.Write(c[:])
			d.buf = h.Sum(nil)
			d.ctr++
		}
		m := copy(p[n:], d.buf)
		d.buf = d.buf[m:]
		n += m
	}
	return n, nil
}

// detBytes returns the first n bytes of the deterministic stream for seed.
func detBytes(seed string, n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(newDetReader(seed), b); err != nil {
		panic(err)
	}
	return b
}

// aead is AES-256-GCM under the key's master key.
func (key *fakeKey) aead() cipher.AEAD {
	block, err := aes.NewCipher(key.master)
	if err != nil {
		panic(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}
