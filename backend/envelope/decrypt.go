package envelope

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// DecryptOptions configures Decrypt and Verify.
type DecryptOptions struct {
	// Unwrapper recovers the data key from a slot (KMS Decrypt). Required.
	Unwrapper Unwrapper
	// MaxSlots refuses files with more slots than this before any KMS call
	// (0 = MaxSlots, the format limit). It bounds the KMS calls one file can cause.
	MaxSlots int
	// RequireContext lists encryption-context pairs that must be present, with these
	// exact string values, in the stored context; otherwise ErrContextMismatch is
	// returned before any KMS call.
	RequireContext map[string]string
	// Workers is the number of AEAD goroutines: 0 = one per CPU, 1 = no goroutines.
	Workers int
	// Progress, if not nil, is called on the calling goroutine with the cumulative
	// number of plaintext bytes written so far (metadata record excluded), at most
	// once per 256 KiB and once at the end.
	Progress func(plaintextBytes int64)
	// PreferRecovery tries the recovery slots before the KMS slots (the user opens
	// the file with a recovery key: no KMS call is made when one matches).
	PreferRecovery bool
}

// Result describes a successful Decrypt or Verify.
type Result struct {
	// Header is the verified header.
	Header *Header
	// Metadata is the decoded metadata record, or nil if the file has none.
	Metadata *Metadata
	// Slot is the slot whose key unwrapped the data key.
	Slot Slot
	// PlaintextSize is the number of plaintext bytes (metadata record excluded).
	PlaintextSize int64
}

// Inspect reads and parses the header at the start of r without any key or KMS call.
// It does not authenticate anything: treat the result as a claim.
func Inspect(r io.Reader) (*Header, error) {
	h, _, err := readHeader(r)
	return h, err
}

// readHeader reads exactly the header from r and parses it.
func readHeader(r io.Reader) (*Header, []byte, error) {
	var pre [PreambleSize]byte
	n, err := io.ReadFull(r, pre[:])
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		_, _, perr := parsePreamble(pre[:n])
		return nil, nil, perr
	default:
		return nil, nil, fmt.Errorf("envelope: read header: %w", err)
	}
	_, l, err := parsePreamble(pre[:])
	if err != nil {
		return nil, nil, err
	}
	// l ≤ MaxHeaderBodySize, so this allocation is bounded whatever the input.
	buf := make([]byte, PreambleSize+l+fixedTrailerSize)
	copy(buf, pre[:])
	if _, err := io.ReadFull(r, buf[PreambleSize:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, newError(ErrTruncated, "read header: file ends inside the header")
		}
		return nil, nil, fmt.Errorf("envelope: read header: %w", err)
	}
	h, _, err := ParseHeader(buf)
	if err != nil {
		return nil, nil, err
	}
	return h, buf, nil
}

// Verify runs the complete authenticated decryption of r and discards the plaintext.
// It makes the same checks and KMS calls as Decrypt.
func Verify(ctx context.Context, r io.Reader, opts DecryptOptions) (*Result, error) {
	return Decrypt(ctx, io.Discard, r, opts)
}

// Decrypt reads a .kmsenc file from r and writes the plaintext to w.
//
// The header MAC and the key commitment are verified before any plaintext is
// produced, and every chunk is authenticated before its bytes reach w. On error w may
// hold an authenticated prefix of the plaintext, which the caller must discard; for
// errors found in the header nothing at all has been written. Errors carry the codes
// documented in docs/FORMAT.md §8; KMS errors from the unwrapper are returned wrapped
// with their own codes.
func Decrypt(ctx context.Context, w io.Writer, r io.Reader, opts DecryptOptions) (*Result, error) {
	h, keys, slot, err := openHeader(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	defer keys.destroy()
	return decryptPayload(ctx, w, r, h, keys, slot, opts)
}

// openHeader reads the header from r, applies the caller's policy (slot cap, required
// context), unwraps the data key and verifies the header MAC and the commitment.
func openHeader(ctx context.Context, r io.Reader, opts DecryptOptions) (*Header, *fileKeys, Slot, error) {
	if opts.Unwrapper == nil {
		return nil, nil, Slot{}, newError(ErrInvalidArgument, "decrypt: nil unwrapper")
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, Slot{}, fmt.Errorf("envelope: decrypt: %w", err)
	}
	h, _, err := readHeader(r)
	if err != nil {
		return nil, nil, Slot{}, err
	}
	maxSlots := opts.MaxSlots
	if maxSlots <= 0 || maxSlots > MaxSlots {
		maxSlots = MaxSlots
	}
	if len(h.Slots) > maxSlots {
		return nil, nil, Slot{}, newError(ErrTooManySlots, fmt.Sprintf("decrypt: %d key slots exceed the limit of %d", len(h.Slots), maxSlots))
	}
	if err := checkContext(h.EncryptionContext, opts.RequireContext); err != nil {
		return nil, nil, Slot{}, err
	}
	keys, slot, err := unwrap(ctx, h, opts.Unwrapper, opts.PreferRecovery)
	if err != nil {
		return nil, nil, Slot{}, err
	}
	if err := keys.verify(h); err != nil {
		keys.destroy()
		return nil, nil, Slot{}, err
	}
	return h, keys, slot, nil
}

// decryptPayload streams the chunks after a verified header from r to w.
func decryptPayload(ctx context.Context, w io.Writer, r io.Reader, h *Header, keys *fileKeys, slot Slot, opts DecryptOptions) (*Result, error) {
	res := &Result{Header: h, Slot: slot}
	var (
		next    uint64 // index of the next chunk to read
		payload int64  // payload plaintext bytes read so far, metadata included
	)
	hasMeta := h.HasMetadata()
	e := &engine{
		ctx:     ctx,
		workers: workerCount(opts.Workers),
		fill: func(u *unit) error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("envelope: decrypt: %w", err)
			}
			n, err := io.ReadFull(r, u.in[:unitSealedSize])
			u.inLen = n
			u.hwIn = max(u.hwIn, n)
			u.first = next
			switch {
			case err == nil:
				next += unitChunks
				payload += unitPlainSize
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				// The final unit: the length rule decides, before any chunk in
				// it is opened, whether the stream is complete.
				q, rem := n/SealedChunkSize, n%SealedChunkSize
				if rem < TagSize {
					return newError(ErrTruncated, "decrypt: file ends before the final chunk")
				}
				u.final = true
				next += uint64(q) + 1
				payload += int64(q*ChunkSize + rem - TagSize)
				if hasMeta && payload < MetadataSize {
					return newError(ErrTruncated, "decrypt: payload is shorter than the metadata record")
				}
			default:
				return fmt.Errorf("envelope: decrypt: read ciphertext: %w", err)
			}
			if next >= MaxChunks {
				return newError(ErrUnsupported, "decrypt: payload exceeds the format's chunk limit")
			}
			return nil
		},
		process: func(ctx context.Context, u *unit, nonce *[nonceSize]byte) error {
			idx, off, o := u.first, 0, 0
			for off < u.inLen {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("envelope: decrypt: %w", err)
				}
				end := min(off+SealedChunkSize, u.inLen)
				chunkNonce(nonce, &keys.baseNonce, idx)
				if _, err := keys.aead.Open(u.out[o:o], nonce[:], u.in[off:end], nil); err != nil {
					u.hwOut = max(u.hwOut, o+end-off)
					if u.final && end == u.inLen {
						return finalChunkFailed(u, idx, hasMeta)
					}
					return errAuth
				}
				o += end - off - TagSize
				off = end
				idx++
			}
			u.outLen = o
			u.hwOut = max(u.hwOut, o)
			return nil
		},
		emit: func(u *unit) error {
			out := u.out[:u.outLen]
			if u.first == 0 && hasMeta {
				m, err := parseMetadata(out[:MetadataSize])
				if err != nil {
					return err
				}
				res.Metadata = m
				out = out[MetadataSize:]
			}
			if _, err := w.Write(out); err != nil {
				return fmt.Errorf("envelope: decrypt: write plaintext: %w", err)
			}
			res.PlaintextSize += int64(len(out))
			if opts.Progress != nil {
				opts.Progress(res.PlaintextSize)
			}
			return nil
		},
	}
	if err := e.run(); err != nil {
		var fe *finalChunkError
		if errors.As(err, &fe) {
			return nil, fe.decide(res.Metadata, payload)
		}
		return nil, err
	}
	if m := res.Metadata; m != nil && m.Size >= 0 && m.Size != res.PlaintextSize {
		return nil, newError(ErrMalformedMetadata, fmt.Sprintf("decrypt: metadata announces %d bytes but the payload holds %d", m.Size, res.PlaintextSize))
	}
	return res, nil
}

// finalChunkError: the chunk read as the final one did not authenticate. That is
// tampering, or the file was cut off inside a chunk: decide tells them apart. It never
// leaves Decrypt.
type finalChunkError struct {
	// announced is the file size the metadata record states when the record was
	// authenticated in the same unit as the failed chunk (else -1).
	announced int64
}

func (*finalChunkError) Error() string { return errAuth.Error() }

// finalChunkFailed is the error of the final chunk idx of unit u failing. When chunk 0
// (and so the metadata record) authenticated earlier in u, the size the record states
// is kept for decide.
func finalChunkFailed(u *unit, idx uint64, hasMeta bool) error {
	fe := &finalChunkError{announced: -1}
	if hasMeta && u.first == 0 && idx > 0 {
		if m, err := parseMetadata(u.out[:MetadataSize]); err == nil {
			fe.announced = m.Size
		}
	}
	return fe
}

// decide returns Truncated when the authenticated metadata record (meta, or the one
// kept from the failed unit) announces more file bytes than the whole payload, as read
// (payload bytes, metadata included), could hold: the file was cut off. Anything else
// is the one opaque authentication failure. Only authenticated facts and lengths
// decide, so this is no oracle: the announced size equals the original length, which
// anyone holding the complete file knows.
func (fe *finalChunkError) decide(meta *Metadata, payload int64) error {
	announced := fe.announced
	if meta != nil {
		announced = meta.Size
	}
	if announced >= 0 && announced > payload-MetadataSize {
		return newError(ErrTruncated, "decrypt: the file ends before the size its metadata record announces")
	}
	return errAuth
}

// checkContext enforces DecryptOptions.RequireContext against the stored context.
func checkContext(ec string, required map[string]string) error {
	if len(required) == 0 {
		return nil
	}
	var stored map[string]any
	if ec != "" {
		if err := json.Unmarshal([]byte(ec), &stored); err != nil {
			return newError(ErrContextMismatch, "decrypt: stored encryption context is not a JSON object")
		}
	}
	for k, want := range required {
		got, ok := stored[k].(string)
		if !ok || got != want {
			return newError(ErrContextMismatch, fmt.Sprintf("decrypt: encryption context lacks the required value for %q", k))
		}
	}
	return nil
}

// unwrap tries the slots (KMS and recovery slots, in file order, or recovery slots
// first with preferRecovery) and derives the file keys from the first data key one
// yields. A KeyId mismatch is fatal; other slot errors move on to the next slot.
func unwrap(ctx context.Context, h *Header, u Unwrapper, preferRecovery bool) (*fileKeys, Slot, error) {
	var (
		firstErr  error
		firstSlot int
		failed    int
	)
	order := make([]int, 0, len(h.Slots))
	for _, recoveryFirst := range []bool{preferRecovery, !preferRecovery} {
		for i, s := range h.Slots {
			if (s.Type == SlotRecovery) == recoveryFirst && (s.IsKMS() || s.Type == SlotRecovery) {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		s := h.Slots[i]
		dek, keyID, err := u.UnwrapKey(ctx, s, h.EncryptionContext)
		if err != nil {
			clear(dek)
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, Slot{}, fmt.Errorf("envelope: decrypt: %w", ctxErr)
			}
			if firstErr == nil {
				firstErr, firstSlot = err, i+1
			}
			failed++
			continue
		}
		if keyID != s.KeyID {
			clear(dek)
			return nil, Slot{}, newError(ErrKeyMismatch, fmt.Sprintf("decrypt: slot %d names key %s but kms used key %s", i+1, s.KeyID, keyID))
		}
		if len(dek) != DataKeySize {
			clear(dek)
			return nil, Slot{}, errAuth
		}
		keys, err := deriveFileKeys(dek, h)
		clear(dek)
		if err != nil {
			return nil, Slot{}, fmt.Errorf("envelope: decrypt: %w", err)
		}
		return keys, s, nil
	}
	if firstErr == nil {
		return nil, Slot{}, newError(ErrUnsupported, "decrypt: no key slot of a supported type")
	}
	recovery := slices.ContainsFunc(h.Slots, func(s Slot) bool { return s.Type == SlotRecovery })
	return nil, Slot{}, &SlotError{Index: firstSlot, Slot: h.Slots[firstSlot-1], Failed: failed, Err: firstErr, Recovery: recovery}
}

// SlotError is the error of a file none of whose slots could be unwrapped: it names
// the first slot tried and wraps that slot's error (whose code it keeps).
type SlotError struct {
	// Index is the 1-based position of the slot in the header.
	Index int
	// Slot is that slot.
	Slot Slot
	// Failed is how many slots were tried.
	Failed int
	// Err is the slot's error.
	Err error
	// Recovery reports that the file has a recovery slot: the matching offline
	// recovery key opens it without KMS.
	Recovery bool
}

// Error implements error.
func (e *SlotError) Error() string {
	msg := fmt.Sprintf("envelope: decrypt: unwrap data key: slot %d (key %s in %q): %v", e.Index, e.Slot.KeyID, e.Slot.Region, e.Err)
	if e.Failed > 1 {
		msg += fmt.Sprintf(" (all %d slots failed)", e.Failed)
	}
	return msg
}

// Unwrap returns the slot's error.
func (e *SlotError) Unwrap() error { return e.Err }
