package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// HKDF info prefixes (docs/FORMAT.md §3). Changing either breaks every file.
const (
	payloadInfoPrefix = "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00"
	macInfoPrefix     = "kmsdesk.kmsenc/v1/header-mac\x00"
	nonceSize         = 12
	payloadKeySize    = 32
)

// fileKeys holds the per-file keys derived from the data key and salt.
type fileKeys struct {
	aead       cipher.AEAD
	baseNonce  [nonceSize]byte
	commitment [CommitmentSize]byte
	macKey     [32]byte
}

// deriveFileKeys runs the key schedule of §3 for header h (salt and flags must be set).
func deriveFileKeys(dek []byte, h *Header) (*fileKeys, error) {
	if len(dek) != DataKeySize {
		return nil, fmt.Errorf("derive keys: data key is %d bytes, want %d", len(dek), DataKeySize)
	}
	ctx := h.context()
	info := make([]byte, 0, len(payloadInfoPrefix)+SaltSize+contextSize)
	info = append(info, payloadInfoPrefix...)
	info = append(info, h.Salt[:]...)
	info = append(info, ctx[:]...)
	okm, err := hkdf.Expand(sha512.New, dek, string(info), payloadKeySize+nonceSize+CommitmentSize)
	if err != nil {
		return nil, fmt.Errorf("derive payload key: %w", err)
	}
	defer clear(okm)
	block, err := aes.NewCipher(okm[:payloadKeySize])
	if err != nil {
		return nil, fmt.Errorf("derive payload key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("derive payload key: %w", err)
	}
	k := &fileKeys{aead: aead}
	copy(k.baseNonce[:], okm[payloadKeySize:payloadKeySize+nonceSize])
	copy(k.commitment[:], okm[payloadKeySize+nonceSize:])

	macInfo := make([]byte, 0, len(macInfoPrefix)+SaltSize)
	macInfo = append(macInfo, macInfoPrefix...)
	macInfo = append(macInfo, h.Salt[:]...)
	mk, err := hkdf.Expand(sha512.New, dek, string(macInfo), len(k.macKey))
	if err != nil {
		return nil, fmt.Errorf("derive header mac key: %w", err)
	}
	copy(k.macKey[:], mk)
	clear(mk)
	return k, nil
}

// headerMAC computes the header MAC over preamble ‖ body ‖ salt ‖ commitment.
func (k *fileKeys) headerMAC(h *Header) [MACSize]byte {
	m := hmac.New(sha256.New, k.macKey[:])
	m.Write(h.appendAuthenticated(make([]byte, 0, h.Len())))
	m.Write(h.Salt[:])
	m.Write(h.Commitment[:])
	var out [MACSize]byte
	m.Sum(out[:0])
	return out
}

// verify checks the header MAC, then the commitment, in constant time. Both failures
// return the same opaque error.
func (k *fileKeys) verify(h *Header) error {
	mac := k.headerMAC(h)
	macOK := hmac.Equal(mac[:], h.MAC[:])
	commitOK := subtle.ConstantTimeCompare(k.commitment[:], h.Commitment[:]) == 1
	if !macOK || !commitOK {
		return errAuth
	}
	return nil
}

// destroy zeroes the key material this struct owns. The AES key schedule inside
// k.aead cannot be reached and is left to the garbage collector.
func (k *fileKeys) destroy() {
	clear(k.macKey[:])
	clear(k.baseNonce[:])
	k.aead = nil
}

// chunkNonce writes the nonce of chunk i into n: base nonce XOR i (big-endian).
func chunkNonce(n *[nonceSize]byte, base *[nonceSize]byte, i uint64) {
	*n = *base
	x := binary.BigEndian.Uint64(n[4:])
	binary.BigEndian.PutUint64(n[4:], x^i)
}
