package envelope

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// HKDF info prefix of the header MAC key, the same in every suite (docs/FORMAT.md
// §3.2; the payload key's prefix is the suite's). Changing it breaks every file.
const (
	macInfoPrefix = "kmsdesk.kmsenc/v1/header-mac\x00"
	nonceSize     = 12
)

// fileKeys holds the per-file keys derived from the data key and salt.
type fileKeys struct {
	dek        [DataKeySize]byte // kept for Rewrap, which wraps it again
	suite      *suite
	aead       cipher.AEAD
	baseNonce  [nonceSize]byte
	commitment [CommitmentSize]byte
	macKey     [32]byte
}

// deriveFileKeys runs the key schedule of §3 for header h (suite, salt and flags must
// be set) with the hash and AEAD of h's suite.
func deriveFileKeys(dek []byte, h *Header) (*fileKeys, error) {
	if len(dek) != DataKeySize {
		return nil, fmt.Errorf("derive keys: data key is %d bytes, want %d", len(dek), DataKeySize)
	}
	s := suiteByID(h.Suite)
	if s == nil {
		return nil, fmt.Errorf("derive keys: unsupported suite 0x%04x", h.Suite)
	}
	ctx := h.context()
	info := make([]byte, 0, len(s.payloadInfo)+SaltSize+contextSize)
	info = append(info, s.payloadInfo...)
	info = append(info, h.Salt[:]...)
	info = append(info, ctx[:]...)
	okm, err := hkdf.Expand(s.kdf, dek, string(info), s.keySize+nonceSize+CommitmentSize)
	if err != nil {
		return nil, fmt.Errorf("derive payload key: %w", err)
	}
	defer clear(okm)
	aead, err := s.aead(okm[:s.keySize])
	if err != nil {
		return nil, fmt.Errorf("derive payload key: %w", err)
	}
	k := &fileKeys{suite: s, aead: aead}
	copy(k.dek[:], dek)
	copy(k.baseNonce[:], okm[s.keySize:s.keySize+nonceSize])
	copy(k.commitment[:], okm[s.keySize+nonceSize:])

	macInfo := make([]byte, 0, len(macInfoPrefix)+SaltSize)
	macInfo = append(macInfo, macInfoPrefix...)
	macInfo = append(macInfo, h.Salt[:]...)
	mk, err := hkdf.Expand(s.kdf, dek, string(macInfo), len(k.macKey))
	if err != nil {
		return nil, fmt.Errorf("derive header mac key: %w", err)
	}
	copy(k.macKey[:], mk)
	clear(mk)
	return k, nil
}

// headerMAC computes the header MAC over preamble ‖ body ‖ salt ‖ commitment.
func (k *fileKeys) headerMAC(h *Header) [MACSize]byte {
	m := hmac.New(k.suite.mac, k.macKey[:])
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

// destroy zeroes the key material this struct owns. The cipher's key schedule inside
// k.aead cannot be reached and is left to the garbage collector.
func (k *fileKeys) destroy() {
	clear(k.dek[:])
	clear(k.macKey[:])
	clear(k.baseNonce[:])
	k.aead = nil
}

// dataKey returns a copy of the data key (the caller clears it).
func (k *fileKeys) dataKey() ([]byte, error) {
	return append([]byte(nil), k.dek[:]...), nil
}

// chunkNonce writes the nonce of chunk i into n: base nonce XOR i (big-endian).
func chunkNonce(n *[nonceSize]byte, base *[nonceSize]byte, i uint64) {
	*n = *base
	x := binary.BigEndian.Uint64(n[4:])
	binary.BigEndian.PutUint64(n[4:], x^i)
}
