package envelope_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// This file is an independent, deliberately naive implementation of docs/FORMAT.md
// (one-shot, whole file in memory, HKDF written out from RFC 5869). The golden
// vectors must decrypt with it too, which checks the package against the spec text
// rather than against itself. For suite 0x0002 it runs the standard library's generic
// GCM over gmsm's SM4 block cipher (not gmsm's own GCM, which envelope uses).

// refHKDFExpand is RFC 5869 §2.3 with HMAC-SHA-512 (suite 0x0001).
func refHKDFExpand(prk, info []byte, n int) []byte {
	return refHKDFExpandHash(sha512.New, prk, info, n)
}

// refSuite is what docs/FORMAT.md §3 fixes per suite.
type refSuite struct {
	kdf, mac func() hash.Hash
	aeadName string
	keySize  int
	block    func([]byte) (cipher.Block, error)
}

var refSuites = map[uint16]refSuite{
	1: {sha512.New, sha256.New, "AEAD_AES_256_GCM", 32, aes.NewCipher},
	2: {sm3.New, sm3.New, "AEAD_SM4_GCM", 16, sm4.NewCipher},
}

// plainBlock hides a block cipher's own GCM (gmsm's assembly), so cipher.NewGCM
// falls back to the standard library's generic GCM.
type plainBlock struct{ b cipher.Block }

func (p plainBlock) BlockSize() int          { return p.b.BlockSize() }
func (p plainBlock) Encrypt(dst, src []byte) { p.b.Encrypt(dst, src) }
func (p plainBlock) Decrypt(dst, src []byte) { p.b.Decrypt(dst, src) }

// refHKDFExpandHash is RFC 5869 §2.3 with HMAC over h.
func refHKDFExpandHash(h func() hash.Hash, prk, info []byte, n int) []byte {
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(h, prk)
		m.Write(prev)
		m.Write(info)
		m.Write([]byte{i})
		prev = m.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
}

type refDerived struct {
	salt, key, nonce, commitment, macKey, mac []byte
}

func (d refDerived) js() refDerivedJS {
	return refDerivedJS{
		Salt:       hex.EncodeToString(d.salt),
		PayloadKey: hex.EncodeToString(d.key),
		BaseNonce:  hex.EncodeToString(d.nonce),
		Commitment: hex.EncodeToString(d.commitment),
		MACKey:     hex.EncodeToString(d.macKey),
		MAC:        hex.EncodeToString(d.mac),
	}
}

// refDecrypt decrypts a whole .kmsenc file with the data key and returns the
// plaintext stream (metadata record included) and the derived values.
func refDecrypt(file, dek []byte) ([]byte, refDerived, error) {
	var d refDerived
	if len(file) < 16 || string(file[:8]) != "\x89KMS\r\n\x1a\n" || file[8] != 1 {
		return nil, d, errors.New("bad preamble")
	}
	rs, ok := refSuites[binary.BigEndian.Uint16(file[9:11])]
	if !ok {
		return nil, d, errors.New("bad preamble")
	}
	l := int(binary.BigEndian.Uint32(file[12:16]))
	if len(file) < 16+l+88 {
		return nil, d, errors.New("short header")
	}
	authenticated := file[:16+l]
	mac := file[16+l : 16+l+32]
	d.salt = file[16+l+32 : 16+l+56]
	commitment := file[16+l+56 : 16+l+88]
	chunks := file[16+l+88:]

	info := append([]byte("c2sp.org/chunked-encryption@v1+"+rs.aeadName), 0)
	info = append(info, d.salt...)
	info = append(info, file[:12]...)
	k := rs.keySize
	okm := refHKDFExpandHash(rs.kdf, dek, info, k+12+32)
	d.key, d.nonce, d.commitment = okm[:k], okm[k:k+12], okm[k+12:k+44]

	macInfo := append([]byte("kmsdesk.kmsenc/v1/header-mac"), 0)
	macInfo = append(macInfo, d.salt...)
	d.macKey = refHKDFExpandHash(rs.kdf, dek, macInfo, 32)
	m := hmac.New(rs.mac, d.macKey)
	m.Write(authenticated)
	m.Write(d.salt)
	m.Write(commitment)
	d.mac = m.Sum(nil)
	if !hmac.Equal(d.mac, mac) {
		return nil, d, errors.New("header mac mismatch")
	}
	if !hmac.Equal(d.commitment, commitment) {
		return nil, d, errors.New("commitment mismatch")
	}
	block, err := rs.block(d.key)
	if err != nil {
		return nil, d, err
	}
	gcm, err := cipher.NewGCM(plainBlock{block})
	if err != nil {
		return nil, d, err
	}
	var out []byte
	for i := uint64(0); ; i++ {
		n := min(len(chunks), 16384+16)
		if n < 16 {
			return nil, d, errors.New("truncated")
		}
		nonce := append([]byte(nil), d.nonce...)
		for j := 0; j < 8; j++ {
			nonce[11-j] ^= byte(i >> (8 * j))
		}
		p, err := gcm.Open(nil, nonce, chunks[:n], nil)
		if err != nil {
			return nil, d, fmt.Errorf("chunk %d: %w", i, err)
		}
		out = append(out, p...)
		chunks = chunks[n:]
		if n < 16384+16 {
			if len(chunks) != 0 {
				return nil, d, errors.New("data after the final chunk")
			}
			return out, d, nil
		}
	}
}
