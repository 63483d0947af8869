package localkms

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
)

// CiphertextBlob format version 1 (see the package documentation).
const (
	blobMagic       = "lkms"
	blobVersion     = 1
	blobSep         = "-k-"
	keyIDLen        = 36
	blobHeaderLen   = len(blobMagic) + 1 + 4 + keyIDLen // bytes
	blobNonceLen    = 12                                // bytes, AES-GCM standard nonce
	blobTagLen      = 16                                // bytes, AES-GCM tag
	maxBlobPlain    = 4096                              // bytes of plaintext a blob may carry
	maxBlobTextLen  = 8192                              // characters of a blob string accepted for parsing
	maxContextBytes = 1024                              // bytes of EncryptionContext accepted
)

var errBadBlob = errors.New("malformed ciphertext blob")

// blob is a parsed CiphertextBlob.
type blob struct {
	header     [blobHeaderLen]byte
	keyID      string
	keyVersion uint32
	nonce      []byte
	sealed     []byte // ciphertext ‖ tag
}

func makeBlobHeader(keyID string, version uint32) (h [blobHeaderLen]byte) {
	copy(h[:], blobMagic)
	h[len(blobMagic)] = blobVersion
	binary.BigEndian.PutUint32(h[len(blobMagic)+1:], version)
	copy(h[len(blobMagic)+5:], keyID)
	return h
}

// formatBlob renders the three segments joined by "-k-".
func formatBlob(header []byte, nonce, sealed []byte) string {
	enc := base64.StdEncoding
	out := make([]byte, 0, enc.EncodedLen(len(header))+enc.EncodedLen(len(nonce))+enc.EncodedLen(len(sealed))+2*len(blobSep))
	out = enc.AppendEncode(out, header)
	out = append(out, blobSep...)
	out = enc.AppendEncode(out, nonce)
	out = append(out, blobSep...)
	out = enc.AppendEncode(out, sealed)
	return string(out)
}

// parseBlob parses a CiphertextBlob. It accepts only the canonical encoding, so a
// parsed blob formats back to exactly the input.
func parseBlob(s string) (*blob, error) {
	if len(s) > maxBlobTextLen {
		return nil, errBadBlob
	}
	first := strings.Index(s, blobSep)
	if first < 0 {
		return nil, errBadBlob
	}
	rest := s[first+len(blobSep):]
	second := strings.Index(rest, blobSep)
	if second < 0 {
		return nil, errBadBlob
	}
	segs := [3]string{s[:first], rest[:second], rest[second+len(blobSep):]}
	if strings.Contains(segs[2], blobSep) {
		return nil, errBadBlob
	}
	var b blob
	h, err := decodeCanonical(segs[0])
	if err != nil || len(h) != blobHeaderLen {
		return nil, errBadBlob
	}
	copy(b.header[:], h)
	if string(h[:len(blobMagic)]) != blobMagic || h[len(blobMagic)] != blobVersion {
		return nil, errBadBlob
	}
	b.keyVersion = binary.BigEndian.Uint32(h[len(blobMagic)+1:])
	b.keyID = string(h[len(blobMagic)+5:])
	if !validKeyID(b.keyID) || b.keyVersion == 0 {
		return nil, errBadBlob
	}
	if b.nonce, err = decodeCanonical(segs[1]); err != nil || len(b.nonce) != blobNonceLen {
		return nil, errBadBlob
	}
	if b.sealed, err = decodeCanonical(segs[2]); err != nil || len(b.sealed) < blobTagLen || len(b.sealed) > maxBlobPlain+blobTagLen {
		return nil, errBadBlob
	}
	return &b, nil
}

// decodeCanonical decodes standard padded base64 and rejects every other spelling
// of the same bytes (ignored newlines, non-zero padding bits).
func decodeCanonical(s string) ([]byte, error) {
	if s == "" {
		return nil, errBadBlob
	}
	out, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errBadBlob
	}
	if base64.StdEncoding.EncodedLen(len(out)) != len(s) {
		return nil, errBadBlob // newlines were skipped
	}
	return out, nil
}

// validKeyID reports whether s is a lowercase UUID (8-4-4-4-12 hex digits).
func validKeyID(s string) bool {
	if len(s) != keyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
