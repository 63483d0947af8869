package envelope

import (
	"context"
	"fmt"
	"io"
)

// RewrapOptions says how Rewrap changes the key slots of a file.
type RewrapOptions struct {
	// Unwrapper recovers the data key from one of the file's slots. Required.
	Unwrapper Unwrapper
	// PreferRecovery tries the recovery slots first (see DecryptOptions).
	PreferRecovery bool
	// Keep reports whether an existing slot stays; nil keeps every slot.
	Keep func(Slot) bool
	// Add are KMS keys that get a new slot (KMS Encrypt of the data key through
	// Wrapper), after the kept slots. A key that already has a kept slot of the same
	// type and region is not added twice.
	Add []KeyRef
	// Wrapper wraps the data key for Add (a RegionRouter routes by KeyRef.Region).
	// Required when Add is not empty.
	Wrapper KeyWrapper
	// AddRecovery are offline recovery keys that get a new slot. A recovery key the
	// file already has is not added twice.
	AddRecovery []Recipient
	// Workers is the number of AEAD goroutines: 0 = one per CPU, 1 = no goroutines.
	Workers int
	// Progress, if not nil, is called with the cumulative payload bytes copied.
	Progress func(bytes int64)
}

// RewrapResult describes a re-wrapped file.
type RewrapResult struct {
	// Old and New are the header before and after.
	Old, New *Header
	// PlaintextSize is the number of plaintext bytes (metadata record excluded).
	PlaintextSize int64
}

// Rewrap reads a .kmsenc file from r and writes to w the same file with other key
// slots (docs/FORMAT.md §7): the data key is unwrapped once, the header MAC and the
// commitment are verified, the new slots are wrapped, a new header body and MAC are
// written, and the salt, commitment and every chunk are copied byte for byte. Each
// chunk is authenticated on the way, so a damaged or tampered file is refused (with
// the same errors as Decrypt) instead of being given a fresh header; on error w holds
// a partial file that the caller must discard.
//
// A re-wrap that would leave no KMS or recovery slot fails with ErrLastSlot before
// anything is written.
func Rewrap(ctx context.Context, w io.Writer, r io.Reader, opts RewrapOptions) (*RewrapResult, error) {
	dopts := DecryptOptions{Unwrapper: opts.Unwrapper, PreferRecovery: opts.PreferRecovery, Workers: opts.Workers, Progress: opts.Progress}
	old, keys, slot, err := openHeader(ctx, r, dopts)
	if err != nil {
		return nil, err
	}
	defer keys.destroy()
	nh, err := rewrapHeader(ctx, old, keys, opts)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(nh.Marshal()); err != nil {
		return nil, fmt.Errorf("envelope: rewrap: write header: %w", err)
	}
	res, err := decryptPayload(ctx, io.Discard, io.TeeReader(r, w), old, keys, slot, dopts)
	if err != nil {
		return nil, err
	}
	return &RewrapResult{Old: old, New: nh, PlaintextSize: res.PlaintextSize}, nil
}

// rewrapHeader builds the new header: old's preamble fields, context, creator, salt
// and commitment, with the edited slots and a new MAC.
func rewrapHeader(ctx context.Context, old *Header, keys *fileKeys, opts RewrapOptions) (*Header, error) {
	nh := *old
	nh.Slots = nil
	for _, s := range old.Slots {
		if opts.Keep == nil || opts.Keep(s) {
			nh.Slots = append(nh.Slots, s)
		}
	}
	has := func(t SlotType, region, keyID string) bool {
		for _, s := range nh.Slots {
			if s.Type == t && s.Region == region && s.KeyID == keyID {
				return true
			}
		}
		return false
	}
	var dek []byte
	if len(opts.Add) > 0 || len(opts.AddRecovery) > 0 {
		var err error
		if dek, err = keys.dataKey(); err != nil {
			return nil, err
		}
		defer clear(dek)
	}
	for _, ref := range opts.Add {
		if opts.Wrapper == nil {
			return nil, newError(ErrInvalidArgument, "rewrap: a key to add needs a key wrapper")
		}
		if has(ref.slotType(), ref.Region, ref.KeyID) {
			continue
		}
		s, err := wrapSlot(ctx, opts.Wrapper, ref, dek, old.EncryptionContext)
		if err != nil {
			return nil, err
		}
		if !has(s.Type, s.Region, s.KeyID) { // an alias resolved to a key already there
			nh.Slots = append(nh.Slots, s)
		}
	}
	for _, rc := range opts.AddRecovery {
		if has(SlotRecovery, "", rc.KeyID()) {
			continue
		}
		s, err := recoverySlot(rc, dek)
		if err != nil {
			return nil, err
		}
		nh.Slots = append(nh.Slots, s)
	}
	usable := 0
	for _, s := range nh.Slots {
		if s.IsKMS() || s.Type == SlotRecovery {
			usable++
		}
	}
	switch {
	case usable == 0:
		return nil, newError(ErrLastSlot, "rewrap: refusing to remove the last key that can open the file")
	case len(nh.Slots) > MaxSlots:
		return nil, newError(ErrTooManySlots, fmt.Sprintf("rewrap: %d key slots exceed the limit of %d", len(nh.Slots), MaxSlots))
	}
	for i, s := range nh.Slots {
		if err := validateSlot(s); err != nil {
			return nil, newError(ErrInvalidArgument, fmt.Sprintf("rewrap: slot %d: %v", i+1, err))
		}
	}
	if l := nh.bodyLen(); l > MaxHeaderBodySize {
		return nil, newError(ErrInvalidArgument, fmt.Sprintf("rewrap: header body of %d bytes exceeds %d", l, MaxHeaderBodySize))
	}
	nh.MAC = keys.headerMAC(&nh)
	return &nh, nil
}
