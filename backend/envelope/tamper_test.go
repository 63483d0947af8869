package envelope_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// Codes as the tamper suite classifies them; every fake KMS code counts as "kms".
const (
	cNotEnv    = envelope.CodeNotEnvelope
	cUnsup     = envelope.CodeUnsupported
	cMalformed = envelope.CodeMalformedHeader
	cTooMany   = envelope.CodeTooManySlots
	cTrunc     = envelope.CodeTruncated
	cKeyMis    = envelope.CodeKeyMismatch
	cAuth      = envelope.CodeAuthenticationFailed
	cKMS       = "kms"
)

func classify(err error) string {
	c := errorCode(err)
	if isFakeKMSCode(c) {
		return cKMS
	}
	return c
}

// field is a byte range of the header, computed from docs/FORMAT.md §1.
type field struct {
	name       string
	slot       int // slot index for slot fields, else -1
	start, end int
}

func headerFields(h *envelope.Header) []field {
	var fs []field
	off := 0
	add := func(name string, slot, n int) {
		fs = append(fs, field{name, slot, off, off + n})
		off += n
	}
	add("magic", -1, 8)
	add("version", -1, 1)
	add("suite", -1, 2)
	add("flags", -1, 1)
	add("body-length", -1, 4)
	add("ec-length", -1, 2)
	add("ec", -1, len(h.EncryptionContext))
	add("slot-count", -1, 1)
	for i, s := range h.Slots {
		add("slot-type", i, 1)
		add("region-length", i, 1)
		add("region", i, len(s.Region))
		add("keyid-length", i, 1)
		add("keyid", i, len(s.KeyID))
		add("wrapped-length", i, 2)
		add("wrapped", i, len(s.WrappedKey))
	}
	add("creator-length", -1, 1)
	add("creator", -1, len(h.Creator))
	add("padding", -1, h.Padding)
	add("mac", -1, envelope.MACSize)
	add("salt", -1, envelope.SaltSize)
	add("commitment", -1, envelope.CommitmentSize)
	return fs
}

func printable(b byte) bool { return b >= 0x21 && b <= 0x7E }

// expectHeaderTamper returns the acceptable classes when byte orig of field f is
// XORed with mask, in a file with nSlots slots (docs/FORMAT.md §8).
func expectHeaderTamper(f field, orig, mask byte, nSlots int) []string {
	flipped := orig ^ mask
	first := f.slot == 0
	single := nSlots == 1
	switch f.name {
	case "magic":
		return []string{cNotEnv}
	case "version", "suite":
		return []string{cUnsup}
	case "flags":
		if mask == envelope.FlagMetadata {
			return []string{cAuth}
		}
		return []string{cUnsup}
	case "body-length":
		// Out of range or misaligned body: malformed; pointing past EOF: truncated;
		// a one-byte longer body that swallows a zero MAC byte: MAC failure.
		return []string{cMalformed, cTrunc, cAuth}
	case "ec-length", "region-length", "keyid-length", "wrapped-length", "creator-length":
		return []string{cMalformed}
	case "ec":
		return []string{cMalformed, cKMS}
	case "slot-count":
		return []string{cMalformed, cTooMany}
	case "slot-type":
		switch {
		case flipped == 0:
			return []string{cMalformed}
		case first && single && flipped == byte(envelope.SlotRecovery):
			// The only slot now claims to be a recovery slot: no recovery key opens it.
			return []string{envelope.CodeRecoveryKeyNeeded}
		case first && single:
			return []string{cUnsup} // the only slot now has an unknown type
		default:
			return []string{cAuth} // another slot unwraps, the MAC fails
		}
	case "region", "keyid", "wrapped":
		if !printable(flipped) {
			return []string{cMalformed}
		}
		if !first {
			return []string{cAuth} // slot 1 unwraps, the MAC fails
		}
		switch f.name {
		case "keyid":
			return []string{cKeyMis} // KMS reports the blob's real key
		case "region":
			if single {
				return []string{cKMS}
			}
			return []string{cAuth}
		default:
			// A flipped base64 padding bit can decode to the same blob: then KMS
			// succeeds and the MAC fails.
			if single {
				return []string{cKMS, cAuth}
			}
			return []string{cAuth}
		}
	case "creator":
		if flipped < 0x20 || flipped >= 0x7F {
			return []string{cMalformed}
		}
		return []string{cAuth}
	case "mac", "salt", "commitment":
		return []string{cAuth}
	}
	panic("unknown field " + f.name)
}

// tamperCase is one modified input and what Decrypt must do with it.
type tamperCase struct {
	name   string
	input  io.Reader
	size   int      // input length
	expect []string // acceptable classes
	// maxOut bounds the plaintext bytes Decrypt may write (always a prefix).
	maxOut int
}

// overlay returns a reader of file with the byte at pos XORed with mask, without
// copying the file.
func overlay(file []byte, pos int, mask byte) io.Reader {
	return io.MultiReader(bytes.NewReader(file[:pos]), bytes.NewReader([]byte{file[pos] ^ mask}), bytes.NewReader(file[pos+1:]))
}

// lengthTruncated applies the length rule of docs/FORMAT.md §6 independently.
func lengthTruncated(size, hdr int, meta bool) bool {
	p := size - hdr
	if p < envelope.TagSize {
		return true
	}
	q, r := p/envelope.SealedChunkSize, p%envelope.SealedChunkSize
	if r < envelope.TagSize {
		return true
	}
	return meta && q*envelope.ChunkSize+r-envelope.TagSize < envelope.MetadataSize
}

// cutAfterRecord reports whether a file cut to size bytes still holds its whole
// chunk 0, so the authenticated metadata record (m, with its size) tells that the file
// is shorter than it was written: the last chunk then fails as Truncated, not as
// tampering (docs/FORMAT.md §8).
func cutAfterRecord(size, hdr int, m *envelope.Metadata) bool {
	return m != nil && m.Size >= 0 && size-hdr >= envelope.SealedChunkSize
}

// prefixBound is the most plaintext that can precede sealed payload offset p.
func prefixBound(p int, meta bool) int {
	n := max(p, 0) / envelope.SealedChunkSize * envelope.ChunkSize
	if meta {
		n -= envelope.MetadataSize
	}
	return max(n, 0)
}

func TestTamper(t *testing.T) {
	for _, spec := range vectorSpecs {
		t.Run(spec.name, func(t *testing.T) {
			t.Parallel()
			vf, file, pt := loadVector(t, spec.name)
			kms := kmsFromVector(t, vf)
			h, hdr, err := envelope.ParseHeader(file)
			must(t, err)
			meta := h.HasMetadata()
			nSlots := len(h.Slots)
			var cases []tamperCase

			// Every header byte, two bit positions each. Nothing may be written.
			for _, f := range headerFields(h) {
				for pos := f.start; pos < f.end; pos++ {
					for _, mask := range []byte{0x01, 0x80} {
						cases = append(cases, tamperCase{
							name:   fmt.Sprintf("header/%s/byte%d^%#x", f.name, pos, mask),
							input:  overlay(file, pos, mask),
							size:   len(file),
							expect: expectHeaderTamper(f, file[pos], mask, nSlots),
						})
					}
				}
			}
			if got := headerFields(h); got[len(got)-1].end != hdr {
				t.Fatalf("field layout ends at %d, header is %d bytes", got[len(got)-1].end, hdr)
			}

			// The other supported suite: suite 0x0001 ⇄ 0x0002 is byte 10 XOR 0x03. The
			// preamble parses, the MAC under the other suite's keys fails.
			cases = append(cases, tamperCase{name: "header/suite/other", input: overlay(file, 10, 0x03), size: len(file), expect: []string{cAuth}})

			// A byte of every chunk and of every tag.
			payload := len(file) - hdr
			nChunks := payload/envelope.SealedChunkSize + 1
			for k := range nChunks {
				start := hdr + k*envelope.SealedChunkSize
				end := min(start+envelope.SealedChunkSize, len(file))
				positions := []int{end - 1} // in the tag
				if end-start > envelope.TagSize {
					positions = append(positions, start+(end-start-envelope.TagSize)/2) // in the ciphertext
				}
				for _, pos := range positions {
					cases = append(cases, tamperCase{
						name:   fmt.Sprintf("chunk%d/byte%d", k, pos),
						input:  overlay(file, pos, 0x01),
						size:   len(file),
						expect: []string{cAuth},
						maxOut: prefixBound(start-hdr, meta),
					})
				}
			}

			// Swapped or reordered chunks.
			nFull := payload / envelope.SealedChunkSize
			chunk := func(k int) []byte {
				s := hdr + k*envelope.SealedChunkSize
				return file[s:min(s+envelope.SealedChunkSize, len(file))]
			}
			swap := func(i, j int) []byte {
				var b []byte
				b = append(b, file[:hdr]...)
				for k := range nChunks {
					switch k {
					case i:
						b = append(b, chunk(j)...)
					case j:
						b = append(b, chunk(i)...)
					default:
						b = append(b, chunk(k)...)
					}
				}
				return b
			}
			if nFull >= 2 {
				for _, i := range []int{0, nFull - 2} {
					b := swap(i, i+1)
					cases = append(cases, tamperCase{name: fmt.Sprintf("swap/%d-%d", i, i+1), input: bytes.NewReader(b), size: len(b), expect: []string{cAuth}, maxOut: prefixBound(i*envelope.SealedChunkSize, meta)})
				}
			}
			if nFull >= 1 {
				b := swap(nFull-1, nFull) // the short final chunk moves before the last full one
				cases = append(cases, tamperCase{name: "swap/final", input: bytes.NewReader(b), size: len(b), expect: []string{cAuth}, maxOut: prefixBound((nFull-1)*envelope.SealedChunkSize, meta)})
			}

			// Truncation inside the header.
			for cut := range hdr {
				want := cTrunc
				if cut == 0 {
					want = cNotEnv
				}
				cases = append(cases, tamperCase{name: fmt.Sprintf("cut/header%d", cut), input: bytes.NewReader(file[:cut]), size: cut, expect: []string{want}})
			}
			// Truncation at and between chunk boundaries (sampled for big vectors).
			var cuts []int
			for k := 0; k <= nFull; k++ {
				if nFull > 8 && k%8 != 0 && k > 1 && k < nFull-1 {
					continue
				}
				b := hdr + k*envelope.SealedChunkSize
				for _, d := range []int{0, 1, 15, 16, 17, envelope.SealedChunkSize / 2} {
					cuts = append(cuts, b+d)
				}
			}
			cuts = append(cuts, len(file)-1, len(file)-envelope.TagSize, len(file)-envelope.TagSize-1)
			for _, cut := range cuts {
				if cut < hdr || cut >= len(file) {
					continue
				}
				want := cAuth
				if lengthTruncated(cut, hdr, meta) || cutAfterRecord(cut, hdr, spec.metadata) {
					want = cTrunc
				}
				cases = append(cases, tamperCase{name: fmt.Sprintf("cut/%d", cut), input: bytes.NewReader(file[:cut]), size: cut, expect: []string{want}, maxOut: prefixBound(cut-hdr, meta)})
			}
			// Appended bytes.
			for _, n := range []int{1, 15, 16, 17, 100, envelope.ChunkSize - 1, envelope.ChunkSize, envelope.SealedChunkSize} {
				extra := detBytes("tamper/append", n)
				want := cAuth
				if lengthTruncated(len(file)+n, hdr, meta) {
					want = cTrunc
				}
				cases = append(cases, tamperCase{
					name: fmt.Sprintf("append/%d", n), input: io.MultiReader(bytes.NewReader(file), bytes.NewReader(extra)), size: len(file) + n,
					expect: []string{want}, maxOut: prefixBound(payload-1, meta),
				})
			}

			// Splicing with a sibling encrypted under the same data key (same batch).
			dk, _, _ := batchKey(t, spec)
			sibPlain := detBytes("tamper/sibling/"+spec.name, 5000)
			var sib bytes.Buffer
			sibMeta := spec.metadata
			if sibMeta != nil {
				m := *sibMeta
				m.Size = int64(len(sibPlain))
				sibMeta = &m
			}
			_, err = envelope.Encrypt(context.Background(), &sib, bytes.NewReader(sibPlain), dk, envelope.EncryptOptions{Creator: spec.creator, Metadata: sibMeta, Workers: 1})
			must(t, err)
			dk.Destroy()
			s := sib.Bytes()
			if _, sh, err := envelope.ParseHeader(s); err != nil || sh != hdr {
				t.Fatalf("sibling header %d bytes (%v), want %d", sh, err, hdr)
			}
			macEnd := hdr - envelope.SaltSize - envelope.CommitmentSize
			for _, sp := range []struct {
				name string
				a, b []byte
				at   int
			}{
				{"header-onto-sibling", file, s, macEnd},
				{"sibling-header-onto-file", s, file, macEnd},
				{"full-header-onto-sibling", file, s, hdr},
				{"sibling-full-header-onto-file", s, file, hdr},
			} {
				b := append(append([]byte(nil), sp.a[:sp.at]...), sp.b[sp.at:]...)
				cases = append(cases, tamperCase{name: "splice/" + sp.name, input: bytes.NewReader(b), size: len(b), expect: []string{cAuth}})
			}

			for i, c := range cases {
				var out bytes.Buffer
				workers := 1 + 2*(i%2)
				res, err := envelope.Decrypt(context.Background(), &out, c.input, envelope.DecryptOptions{Unwrapper: vectorUnwrapper(t, vf, kms), Workers: workers})
				if err == nil {
					t.Errorf("%s: accepted (%d bytes, slot %s)", c.name, res.PlaintextSize, res.Slot.KeyID)
					continue
				}
				if got := classify(err); !slices.Contains(c.expect, got) {
					t.Errorf("%s: error class %q, want one of %v: %v", c.name, got, c.expect, err)
				}
				if out.Len() > c.maxOut || !bytes.HasPrefix(pt, out.Bytes()) {
					t.Errorf("%s: wrote %d bytes (limit %d, prefix of the plaintext: %v)", c.name, out.Len(), c.maxOut, bytes.HasPrefix(pt, out.Bytes()))
				}
				if strings.Contains(err.Error(), vf.DataKey) {
					t.Errorf("%s: error message contains the data key", c.name)
				}
			}
			t.Logf("%d tamper cases", len(cases))
		})
	}
}

// TestCommitmentChecked forges what only a holder of the data key could: a header
// whose MAC is valid but whose commitment is wrong. The header MAC cannot catch it,
// so Decrypt must refuse it through the commitment check, before opening any chunk.
func TestCommitmentChecked(t *testing.T) {
	for _, name := range []string{"one-byte", "mib-plus-seven"} {
		t.Run(name, func(t *testing.T) {
			vf, file, _ := loadVector(t, name)
			dek, err := hex.DecodeString(vf.DataKey)
			must(t, err)
			_, hdr, err := envelope.ParseHeader(file)
			must(t, err)
			forged := append([]byte(nil), file...)
			commitment := forged[hdr-envelope.CommitmentSize : hdr]
			salt := forged[hdr-envelope.CommitmentSize-envelope.SaltSize : hdr-envelope.CommitmentSize]
			commitment[0] ^= 1
			macKey := refHKDFExpand(dek, append([]byte("kmsdesk.kmsenc/v1/header-mac\x00"), salt...), 32)
			m := hmac.New(sha256.New, macKey)
			m.Write(forged[:hdr-envelope.MACSize-envelope.SaltSize-envelope.CommitmentSize])
			m.Write(salt)
			m.Write(commitment)
			copy(forged[hdr-envelope.MACSize-envelope.SaltSize-envelope.CommitmentSize:], m.Sum(nil))
			if _, _, err := refDecrypt(forged, dek); err == nil || err.Error() != "commitment mismatch" {
				t.Fatalf("the forgery is not a pure commitment forgery: %v", err)
			}
			for _, workers := range []int{1, 4} {
				var out bytes.Buffer
				_, err = envelope.Decrypt(context.Background(), &out, bytes.NewReader(forged), envelope.DecryptOptions{Unwrapper: vectorUnwrapper(t, vf, kmsFromVector(t, vf)), Workers: workers})
				wantCode(t, err, envelope.CodeAuthenticationFailed)
				if out.Len() != 0 {
					t.Fatalf("wrote %d bytes", out.Len())
				}
			}
		})
	}
}
