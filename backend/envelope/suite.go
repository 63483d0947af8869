package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// suite is everything a suite id fixes (docs/FORMAT.md §3): the hash of the key
// derivation and of the header MAC, and the payload AEAD. The file layout, the chunking,
// the nonces and every size but the payload key's are the same for all suites, so one
// engine serves them all.
type suite struct {
	id uint16
	// kdf is the hash of HKDF-Expand (payload key, base nonce, commitment, MAC key).
	kdf func() hash.Hash
	// mac is the hash of the HMAC header MAC (32-byte output: MACSize).
	mac func() hash.Hash
	// payloadInfo is the HKDF info prefix of the payload key, 0x00 included.
	payloadInfo string
	// keySize is the AEAD key size in bytes.
	keySize int
	// block makes the AEAD's block cipher; the AEAD is GCM over it (16-byte tag,
	// 12-byte nonce).
	block func(key []byte) (cipher.Block, error)
}

// The suites this version reads and writes. Changing a field breaks every file of
// that suite.
var (
	// cobblestone256 is suite 0x0001: C2SP chunked encryption instantiated as
	// Cobblestone-256 (HKDF-SHA-512, AES-256-GCM) and an HMAC-SHA-256 header MAC.
	cobblestone256 = &suite{
		id:          SuiteCobblestone256,
		kdf:         sha512.New,
		mac:         sha256.New,
		payloadInfo: "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00",
		keySize:     32,
		block:       aes.NewCipher,
	}
	// sm4GCMSM3 is suite 0x0002 (国密): the same C2SP construction with HKDF-SM3 and
	// AEAD_SM4_GCM (RFC 8998), and an HMAC-SM3 header MAC.
	sm4GCMSM3 = &suite{
		id:          SuiteSM4GCMSM3,
		kdf:         sm3.New,
		mac:         sm3.New,
		payloadInfo: "c2sp.org/chunked-encryption@v1+AEAD_SM4_GCM\x00",
		keySize:     sm4.BlockSize,
		block:       sm4.NewCipher,
	}
)

// suiteByID returns the suite with id, or nil when this version does not know it.
func suiteByID(id uint16) *suite {
	switch id {
	case SuiteCobblestone256:
		return cobblestone256
	case SuiteSM4GCMSM3:
		return sm4GCMSM3
	}
	return nil
}

// SuiteSupported reports whether this version reads and writes suite id.
func SuiteSupported(id uint16) bool { return suiteByID(id) != nil }

// aead returns the suite's GCM for key. For SM4 on amd64 and arm64 gmsm implements
// cipher.NewGCM's optimised path (SM4 through AES-NI or the SM4 instructions, GHASH
// through carry-less multiplication).
func (s *suite) aead(key []byte) (cipher.AEAD, error) {
	b, err := s.block(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	if a.NonceSize() != nonceSize || a.Overhead() != TagSize {
		return nil, fmt.Errorf("suite 0x%04x: gcm with a %d-byte nonce and a %d-byte tag", s.id, a.NonceSize(), a.Overhead())
	}
	return a, nil
}
