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
)

// This file is an independent, deliberately naive implementation of docs/FORMAT.md
// (one-shot, whole file in memory, HKDF written out from RFC 5869). The golden
// vectors must decrypt with it too, which checks the package against the spec text
// rather than against itself.

// refHKDFExpand is RFC 5869 §2.3 with HMAC-SHA-512.
func refHKDFExpand(prk, info []byte, n int) []byte {
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(sha512.New, prk)
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
	if len(file) < 16 || string(file[:8]) != "\x89KMS\r\n\x1a\n" || file[8] != 1 || file[9] != 0 || file[10] != 1 {
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

	info := append([]byte("c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM"), 0)
	info = append(info, d.salt...)
	info = append(info, file[:12]...)
	okm := refHKDFExpand(dek, info, 32+12+32)
	d.key, d.nonce, d.commitment = okm[:32], okm[32:44], okm[44:76]

	macInfo := append([]byte("kmsdesk.kmsenc/v1/header-mac"), 0)
	macInfo = append(macInfo, d.salt...)
	d.macKey = refHKDFExpand(dek, macInfo, 32)
	m := hmac.New(sha256.New, d.macKey)
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
	block, err := aes.NewCipher(d.key)
	if err != nil {
		return nil, d, err
	}
	gcm, err := cipher.NewGCM(block)
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
