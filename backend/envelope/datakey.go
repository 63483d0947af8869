package envelope

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// KeyWrapper is what envelope needs from a KMS to encrypt. backend/jobs implements it
// with the Tencent Cloud SDK; envelope itself knows no KMS.
//
// Key slices returned to envelope belong to envelope, which zeroes them after use:
// an implementation that caches keys must return a copy.
type KeyWrapper interface {
	// GenerateDataKey returns a fresh 32-byte data key and its wrapped form under
	// keyID (KMS GenerateDataKey, KeySpec AES_256), plus the key id KMS resolved
	// keyID to (an alias becomes the CMK id).
	GenerateDataKey(ctx context.Context, keyID, encryptionContext string) (plaintext []byte, wrapped, resolvedKeyID string, err error)
	// WrapKey wraps an existing data key under another key (KMS Encrypt); used for
	// backup slots.
	WrapKey(ctx context.Context, keyID string, dataKey []byte, encryptionContext string) (wrapped, resolvedKeyID string, err error)
	// UnwrapKey recovers a data key (KMS Decrypt) and reports which key id KMS says
	// it used.
	Unwrapper
}

// Unwrapper recovers data keys when decrypting. KeyWrapper implementations satisfy
// it. An implementation may cache results keyed by (slot, encryption context) so that
// a batch of files sharing one data key costs one KMS call; Decrypt zeroes the
// returned key after use, so a cache must hand out copies.
type Unwrapper interface {
	// UnwrapKey recovers the data key in s (KMS Decrypt with the stored encryption
	// context, verbatim) and returns it with the key id KMS reports. It must return
	// an error for slot types it does not handle.
	UnwrapKey(ctx context.Context, s Slot, encryptionContext string) (dataKey []byte, keyID string, err error)
}

// RegionRouter is an optional interface for a KeyWrapper whose keys live in several
// regions. When the KeyWrapper given to NewDataKey implements it, NewDataKey calls
// ForRegion(ref.Region) and uses the returned wrapper for that KeyRef; otherwise the
// KeyWrapper itself must know where every key id lives.
type RegionRouter interface {
	// ForRegion returns the KeyWrapper for KMS keys in region ("" = the default).
	ForRegion(region string) (KeyWrapper, error)
}

// KeyRef names a KMS key for NewDataKey and Rewrap.
type KeyRef struct {
	// Type is the slot type: SlotTencentKMS (the zero value means it) or SlotLocalKMS.
	Type SlotType
	// Region is stored in the slot and routes the KMS calls (RegionRouter): the KMS
	// region, e.g. "ap-guangzhou", or for a local-KMS slot LocalRegion(instance, region).
	Region string
	// KeyID is a CMK id or alias; the slot stores the id KMS resolves it to.
	KeyID string
}

func (r KeyRef) slotType() SlotType {
	if r.Type == 0 {
		return SlotTencentKMS
	}
	return r.Type
}

// DataKey is a plaintext data key plus its slots. One DataKey can encrypt a batch of
// files: each file gets its own salt and thus its own payload key. It is safe for
// concurrent use by several Encrypt calls. Call Destroy when the batch ends.
type DataKey struct {
	mu    sync.RWMutex
	key   [DataKeySize]byte
	live  bool
	slots []Slot
	ec    string
}

// errDestroyed is returned when a destroyed DataKey is used.
var errDestroyed = newError(ErrInvalidArgument, "encrypt: data key was destroyed")

// NewDataKey makes a data key for a batch: one KMS GenerateDataKey under primary and
// one KMS Encrypt per backup key, all with encryptionContext (empty, or a JSON object
// of at most 1024 bytes, passed to KMS verbatim). The first slot is the primary.
//
// KMS errors are returned wrapped, keeping their codes.
func NewDataKey(ctx context.Context, kw KeyWrapper, primary KeyRef, backups []KeyRef, encryptionContext string) (*DataKey, error) {
	if kw == nil {
		return nil, newError(ErrInvalidArgument, "new data key: nil key wrapper")
	}
	if err := validateContext(encryptionContext); err != nil {
		return nil, wrapError(ErrInvalidArgument, "new data key", err)
	}
	if n := 1 + len(backups); n > MaxSlots {
		return nil, newError(ErrTooManySlots, fmt.Sprintf("new data key: %d keys exceed the limit of %d", n, MaxSlots))
	}
	refs := append([]KeyRef{primary}, backups...)
	for i, r := range refs {
		if r.KeyID == "" || len(r.KeyID) > 255 || !printableASCII(r.KeyID) || len(r.Region) > 255 || !printableASCII(r.Region) {
			return nil, newError(ErrInvalidArgument, fmt.Sprintf("new data key: key %d: key id and region must be printable ASCII (key id 1-255 bytes)", i+1))
		}
	}

	dk := &DataKey{ec: encryptionContext, live: true}
	ok := false
	defer func() {
		if !ok {
			dk.Destroy()
		}
	}()

	w, err := route(kw, primary.Region)
	if err != nil {
		return nil, err
	}
	plain, wrapped, resolved, err := w.GenerateDataKey(ctx, primary.KeyID, encryptionContext)
	if err != nil {
		return nil, fmt.Errorf("envelope: generate data key with %s: %w", primary.KeyID, err)
	}
	if len(plain) != DataKeySize {
		clear(plain)
		return nil, fmt.Errorf("envelope: generate data key with %s: got %d bytes, want %d", primary.KeyID, len(plain), DataKeySize)
	}
	copy(dk.key[:], plain)
	clear(plain)
	s, err := newSlot(primary, wrapped, resolved)
	if err != nil {
		return nil, fmt.Errorf("envelope: generate data key with %s: %w", primary.KeyID, err)
	}
	dk.slots = append(dk.slots, s)

	for _, b := range backups {
		s, err := wrapSlot(ctx, kw, b, dk.key[:], encryptionContext)
		if err != nil {
			return nil, err
		}
		dk.slots = append(dk.slots, s)
	}
	ok = true
	return dk, nil
}

// wrapSlot wraps dek under the KMS key ref (KMS Encrypt) into a slot.
func wrapSlot(ctx context.Context, kw KeyWrapper, ref KeyRef, dek []byte, ec string) (Slot, error) {
	w, err := route(kw, ref.Region)
	if err != nil {
		return Slot{}, err
	}
	wrapped, resolved, err := w.WrapKey(ctx, ref.KeyID, dek, ec)
	if err != nil {
		return Slot{}, fmt.Errorf("envelope: wrap data key with key %s: %w", ref.KeyID, err)
	}
	s, err := newSlot(ref, wrapped, resolved)
	if err != nil {
		return Slot{}, fmt.Errorf("envelope: wrap data key with key %s: %w", ref.KeyID, err)
	}
	return s, nil
}

// AddRecovery adds a recovery slot (type 2) per recipient to the batch's data key, so
// every file encrypted with it afterwards also opens with the matching offline
// recovery key. The slots count toward MaxSlots.
func (dk *DataKey) AddRecovery(recipients ...Recipient) error {
	dk.mu.Lock()
	defer dk.mu.Unlock()
	if !dk.live {
		return errDestroyed
	}
	if n := len(dk.slots) + len(recipients); n > MaxSlots {
		return newError(ErrTooManySlots, fmt.Sprintf("add recovery keys: %d keys exceed the limit of %d", n, MaxSlots))
	}
	for _, r := range recipients {
		s, err := recoverySlot(r, dk.key[:])
		if err != nil {
			return err
		}
		dk.slots = append(dk.slots, s)
	}
	return nil
}

// route picks the wrapper for a region.
func route(kw KeyWrapper, region string) (KeyWrapper, error) {
	rr, ok := kw.(RegionRouter)
	if !ok {
		return kw, nil
	}
	w, err := rr.ForRegion(region)
	if err != nil {
		return nil, fmt.Errorf("envelope: select kms region %q: %w", region, err)
	}
	return w, nil
}

// newSlot builds and validates a KMS slot from a KMS response.
func newSlot(ref KeyRef, wrapped, resolved string) (Slot, error) {
	if resolved == "" {
		return Slot{}, errors.New("kms returned no key id")
	}
	if t := ref.slotType(); t != SlotTencentKMS && t != SlotLocalKMS {
		return Slot{}, fmt.Errorf("slot type %d is not a KMS slot", t)
	}
	s := Slot{Type: ref.slotType(), Region: ref.Region, KeyID: resolved, WrappedKey: wrapped}
	if err := validateSlot(s); err != nil {
		return Slot{}, fmt.Errorf("kms response: %w", err)
	}
	return s, nil
}

// Slots returns a copy of the key slots, primary first.
func (dk *DataKey) Slots() []Slot {
	dk.mu.RLock()
	defer dk.mu.RUnlock()
	return append([]Slot(nil), dk.slots...)
}

// EncryptionContext returns the encryption context the key was generated with.
func (dk *DataKey) EncryptionContext() string { return dk.ec }

// Destroy zeroes the plaintext data key. Encrypt fails afterwards. It waits for
// Encrypt calls that are deriving keys from it and is safe to call more than once.
func (dk *DataKey) Destroy() {
	dk.mu.Lock()
	defer dk.mu.Unlock()
	clear(dk.key[:])
	dk.live = false
}

// fileKeysFor derives the per-file keys for h under the read lock.
func (dk *DataKey) fileKeysFor(h *Header) (*fileKeys, error) {
	dk.mu.RLock()
	defer dk.mu.RUnlock()
	if !dk.live {
		return nil, errDestroyed
	}
	k, err := deriveFileKeys(dk.key[:], h)
	if err != nil {
		return nil, fmt.Errorf("envelope: encrypt: %w", err)
	}
	return k, nil
}
