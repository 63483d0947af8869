package envelope

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// EncryptOptions configures Encrypt. The zero value is valid.
type EncryptOptions struct {
	// Suite is the crypto suite: SuiteCobblestone256 (0 means it) or SuiteSM4GCMSM3.
	// One DataKey can encrypt files of either suite.
	Suite uint16
	// Metadata, if not nil, is stored in the encrypted metadata record (flag bit 0).
	Metadata *Metadata
	// Creator names the writing program in the header (≤ 255 bytes, UTF-8, no
	// control characters), e.g. "kmsdesk/1.2.0".
	Creator string
	// Workers is the number of AEAD goroutines: 0 = one per CPU, 1 = no goroutines.
	// Capped at MaxWorkers.
	Workers int
	// Progress, if not nil, is called on the calling goroutine with the cumulative
	// number of input bytes encrypted and written so far, at most once per 256 KiB
	// and once at the end. It must return quickly.
	Progress func(plaintextBytes int64)
	// Rand supplies the salt; nil means crypto/rand. Tests pass a deterministic
	// reader to produce golden vectors. Never use anything but crypto/rand in
	// production: a repeated salt under one data key repeats the payload key.
	Rand io.Reader
}

// Encrypt reads plaintext from r until EOF and writes a .kmsenc file to w, encrypted
// under dk (which may be shared by a batch of files). It returns the header it wrote.
//
// The header is written first; on error w holds a partial file that the caller must
// discard. Cancellation is checked at least once per chunk and returns an error that
// satisfies errors.Is(err, context.Canceled) (or DeadlineExceeded).
func Encrypt(ctx context.Context, w io.Writer, r io.Reader, dk *DataKey, opts EncryptOptions) (*Header, error) {
	if dk == nil {
		return nil, newError(ErrInvalidArgument, "encrypt: nil data key")
	}
	if err := validateCreator(opts.Creator); err != nil {
		return nil, wrapError(ErrInvalidArgument, "encrypt", err)
	}
	suite := opts.Suite
	if suite == 0 {
		suite = SuiteCobblestone256
	}
	if !SuiteSupported(suite) {
		return nil, newError(ErrInvalidArgument, fmt.Sprintf("encrypt: unknown suite 0x%04x", suite))
	}
	var record [MetadataSize]byte
	h := &Header{
		Version:           Version,
		Suite:             suite,
		EncryptionContext: dk.ec,
		Slots:             dk.Slots(),
		Creator:           opts.Creator,
	}
	if opts.Metadata != nil {
		h.Flags |= FlagMetadata
		if err := marshalMetadata(record[:], opts.Metadata); err != nil {
			return nil, err
		}
		defer clear(record[:])
	}
	if l := h.bodyLen(); l > MaxHeaderBodySize {
		return nil, newError(ErrInvalidArgument, fmt.Sprintf("encrypt: header body of %d bytes exceeds %d", l, MaxHeaderBodySize))
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, h.Salt[:]); err != nil {
		return nil, fmt.Errorf("envelope: encrypt: read salt: %w", err)
	}
	keys, err := dk.fileKeysFor(h)
	if err != nil {
		return nil, err
	}
	defer keys.destroy()
	h.Commitment = keys.commitment
	h.MAC = keys.headerMAC(h)

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("envelope: encrypt: %w", err)
	}
	if _, err := w.Write(h.Marshal()); err != nil {
		return nil, fmt.Errorf("envelope: encrypt: write header: %w", err)
	}

	var (
		next     uint64 // index of the next chunk to read
		consumed int64  // input bytes read
		written  int64  // input bytes whose ciphertext was written
	)
	e := &engine{
		ctx:     ctx,
		workers: workerCount(opts.Workers),
		fill: func(u *unit) error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("envelope: encrypt: %w", err)
			}
			start := 0
			if next == 0 && h.HasMetadata() {
				start = copy(u.in, record[:])
			}
			n, err := io.ReadFull(r, u.in[start:unitPlainSize])
			switch {
			case err == nil:
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				u.final = true
			default:
				return fmt.Errorf("envelope: encrypt: read input: %w", err)
			}
			u.inLen = start + n
			u.hwIn = max(u.hwIn, u.inLen)
			u.first = next
			chunks := uint64(u.inLen / ChunkSize)
			if u.final {
				chunks++
			}
			next += chunks
			if next >= MaxChunks {
				return newError(ErrUnsupported, "encrypt: input exceeds the format's size limit")
			}
			consumed += int64(n)
			if u.final && opts.Metadata != nil && opts.Metadata.Size >= 0 && consumed != opts.Metadata.Size {
				return newError(ErrInputChanged, fmt.Sprintf("encrypt: read %d bytes but metadata announced %d", consumed, opts.Metadata.Size))
			}
			return nil
		},
		process: func(ctx context.Context, u *unit, nonce *[nonceSize]byte) error {
			idx, off, o := u.first, 0, 0
			for {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("envelope: encrypt: %w", err)
				}
				end := min(off+ChunkSize, u.inLen)
				if end-off < ChunkSize && !u.final {
					break // a non-final unit holds only full chunks
				}
				chunkNonce(nonce, &keys.baseNonce, idx)
				keys.aead.Seal(u.out[o:o], nonce[:], u.in[off:end], nil)
				o += end - off + TagSize
				idx++
				if end-off < ChunkSize {
					break // the short final chunk
				}
				off = end
			}
			u.outLen = o
			u.hwOut = max(u.hwOut, o)
			return nil
		},
		emit: func(u *unit) error {
			if _, err := w.Write(u.out[:u.outLen]); err != nil {
				return fmt.Errorf("envelope: encrypt: write ciphertext: %w", err)
			}
			n := int64(u.inLen)
			if u.first == 0 && h.HasMetadata() {
				n -= MetadataSize
			}
			written += n
			if opts.Progress != nil {
				opts.Progress(written)
			}
			return nil
		},
	}
	if err := e.run(); err != nil {
		return nil, err
	}
	return h, nil
}
