package envelope

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Format constants of KMSENC v1 (docs/FORMAT.md). Sizes are in bytes.
const (
	// ChunkSize is the number of plaintext bytes in every chunk but the last, which is
	// always shorter (possibly empty).
	ChunkSize = 16 << 10
	// TagSize is the GCM tag length appended to every chunk (every suite).
	TagSize = 16
	// SealedChunkSize is the on-disk size of a full chunk.
	SealedChunkSize = ChunkSize + TagSize
	// DataKeySize is the size of the data key in every suite (a KMS data key of
	// KeySpec AES_256, which is 32 random bytes also in national-standard regions).
	DataKeySize = 32
	// SaltSize is the size of the per-file random salt.
	SaltSize = 24
	// CommitmentSize is the size of the key commitment.
	CommitmentSize = 32
	// MACSize is the size of the header MAC (HMAC-SHA-256 or HMAC-SM3).
	MACSize = 32
	// PreambleSize is the size of magic, version, suite, flags and body length.
	PreambleSize = 16
	// MinHeaderBodySize is the smallest possible header body (one minimal slot).
	MinHeaderBodySize = 11
	// MaxHeaderBodySize bounds the header body length field.
	MaxHeaderBodySize = 64 << 10
	// MaxEncryptionContextSize bounds the stored encryption context (the KMS limit).
	MaxEncryptionContextSize = 1024
	// MaxSlots is the largest number of key slots a file may carry.
	MaxSlots = 8
	// MetadataSize is the fixed plaintext size of the metadata record (flag bit 0).
	MetadataSize = 1024
	// MaxNameSize bounds Metadata.Name in bytes of UTF-8.
	MaxNameSize = MetadataSize - metadataFixedSize
	// MaxChunks is the exclusive upper bound on the number of chunks (4 PiB of data).
	MaxChunks = 1 << 38

	// Version is the format version this package reads and writes.
	Version = 1
	// SuiteCobblestone256 is suite 0x0001: C2SP chunked encryption with HKDF-SHA-512
	// and AES-256-GCM, plus an HMAC-SHA-256 header MAC. It is the default.
	SuiteCobblestone256 = 0x0001
	// SuiteSM4GCMSM3 is suite 0x0002, the national-standard (国密) suite: the same
	// construction with HKDF-SM3 and SM4-GCM, plus an HMAC-SM3 header MAC.
	SuiteSM4GCMSM3 = 0x0002
	// FlagMetadata (flag bit 0) marks a payload that starts with a metadata record.
	FlagMetadata = 0x01

	// fixedTrailerSize is MAC + salt + commitment, which follow the header body.
	fixedTrailerSize = MACSize + SaltSize + CommitmentSize
	// headerOverhead is everything in the header except the body: 104 bytes.
	headerOverhead = PreambleSize + fixedTrailerSize
	// contextSize is the prefix of the file bound into the payload key.
	contextSize = 12
)

// Magic is the first 8 bytes of every .kmsenc file.
var Magic = [8]byte{0x89, 'K', 'M', 'S', 0x0D, 0x0A, 0x1A, 0x0A}

// SlotType identifies how a slot's wrapped key is unwrapped.
type SlotType uint8

// Slot types (docs/FORMAT.md §1.2).
const (
	// SlotTencentKMS is a data key wrapped by Tencent Cloud KMS (or a server speaking
	// its API); Region is the KMS region and WrappedKey the CiphertextBlob text.
	SlotTencentKMS SlotType = 1
	// SlotRecovery is a data key encrypted to an offline recovery key (age); KeyID is
	// "age:" and 16 hex digits naming the key, WrappedKey base64 of an age file.
	SlotRecovery SlotType = 2
	// SlotLocalKMS is a data key wrapped by the local KMS of one computer; Region is
	// "<instance id>/<region>" (see LocalRegion) and WrappedKey the CiphertextBlob.
	SlotLocalKMS SlotType = 3
)

// IsKMS reports whether the slot is unwrapped by a KMS (Tencent Cloud or local).
func (s Slot) IsKMS() bool { return s.Type == SlotTencentKMS || s.Type == SlotLocalKMS }

// LocalRegion is the Region of a local-KMS slot: the local KMS's instance id and the
// region it emulates.
func LocalRegion(instance, region string) string { return instance + "/" + region }

// SplitLocalRegion splits the Region of a local-KMS slot into the instance id and the
// region; ok is false when it has no instance id.
func SplitLocalRegion(slotRegion string) (instance, region string, ok bool) {
	instance, region, ok = strings.Cut(slotRegion, "/")
	return instance, region, ok && instance != ""
}

// Slot is one wrapped copy of the data key.
type Slot struct {
	// Type says who can unwrap the key. Readers skip types they do not know.
	Type SlotType
	// Region is the KMS region (e.g. "ap-guangzhou"); printable ASCII, may be empty.
	Region string
	// KeyID is the resolved CMK id (never an alias); printable ASCII, 1–255 bytes.
	KeyID string
	// WrappedKey is the KMS CiphertextBlob exactly as KMS returned it.
	WrappedKey string
}

// Header is everything in a .kmsenc file before the first chunk: preamble, header
// body, header MAC, salt and commitment. Parsing then marshalling a header gives back
// the same bytes.
type Header struct {
	// Version is the format version (always 1 here).
	Version uint8
	// Suite is the crypto suite id (SuiteCobblestone256 or SuiteSM4GCMSM3).
	Suite uint16
	// Flags holds FlagMetadata or 0.
	Flags uint8
	// EncryptionContext is the KMS EncryptionContext, verbatim (empty or a JSON object).
	EncryptionContext string
	// Slots are the wrapped data keys, tried in order when decrypting.
	Slots []Slot
	// Creator names the writing program; informational but authenticated.
	Creator string
	// Padding is the number of zero bytes at the end of the header body (room for
	// in-place re-wrapping; 0 when written by this package).
	Padding int
	// MAC is the HMAC-SHA-256 header MAC.
	MAC [MACSize]byte
	// Salt is the per-file random salt.
	Salt [SaltSize]byte
	// Commitment is the key commitment derived with the payload key.
	Commitment [CommitmentSize]byte
}

// HasMetadata reports whether the payload starts with a metadata record.
func (h *Header) HasMetadata() bool { return h.Flags&FlagMetadata != 0 }

// bodyLen returns the header body length L, padding included.
func (h *Header) bodyLen() int {
	n := 2 + len(h.EncryptionContext) + 1
	for _, s := range h.Slots {
		n += 1 + 1 + len(s.Region) + 1 + len(s.KeyID) + 2 + len(s.WrappedKey)
	}
	n += 1 + len(h.Creator) + h.Padding
	return n
}

// Len returns the size of the marshalled header in bytes (104 + body length).
func (h *Header) Len() int { return headerOverhead + h.bodyLen() }

// Marshal returns the header bytes: preamble, body, MAC, salt and commitment. It does
// not validate; use it on headers from ParseHeader or Encrypt.
func (h *Header) Marshal() []byte {
	b := make([]byte, 0, h.Len())
	b = h.appendAuthenticated(b)
	b = append(b, h.MAC[:]...)
	b = append(b, h.Salt[:]...)
	b = append(b, h.Commitment[:]...)
	return b
}

// appendAuthenticated appends preamble and body: the MAC input before salt and
// commitment.
func (h *Header) appendAuthenticated(b []byte) []byte {
	b = append(b, Magic[:]...)
	b = append(b, h.Version)
	b = binary.BigEndian.AppendUint16(b, h.Suite)
	b = append(b, h.Flags)
	b = binary.BigEndian.AppendUint32(b, uint32(h.bodyLen()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.EncryptionContext)))
	b = append(b, h.EncryptionContext...)
	b = append(b, uint8(len(h.Slots)))
	for _, s := range h.Slots {
		b = append(b, uint8(s.Type))
		b = append(b, uint8(len(s.Region)))
		b = append(b, s.Region...)
		b = append(b, uint8(len(s.KeyID)))
		b = append(b, s.KeyID...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.WrappedKey)))
		b = append(b, s.WrappedKey...)
	}
	b = append(b, uint8(len(h.Creator)))
	b = append(b, h.Creator...)
	for range h.Padding {
		b = append(b, 0)
	}
	return b
}

// context returns the 12 bytes bound into the payload key: magic, version, suite,
// flags.
func (h *Header) context() [contextSize]byte {
	var c [contextSize]byte
	copy(c[:], Magic[:])
	c[8] = h.Version
	binary.BigEndian.PutUint16(c[9:], h.Suite)
	c[11] = h.Flags
	return c
}

// IsEnvelope reports whether prefix starts with the .kmsenc magic. It needs at least
// 8 bytes; the GUI uses it to classify dropped files by content.
func IsEnvelope(prefix []byte) bool {
	return len(prefix) >= len(Magic) && [8]byte(prefix[:8]) == Magic
}

// parsePreamble validates the 16-byte preamble and returns the header body length.
// b may be shorter than 16 bytes only when the input ended; that is reported as
// NotEnvelope or Truncated.
func parsePreamble(b []byte) (h *Header, bodyLen int, err error) {
	n := min(len(b), len(Magic))
	if n == 0 || [8]byte(append(b[:n:n], Magic[n:]...)) != Magic {
		return nil, 0, ErrNotEnvelope
	}
	if len(b) < PreambleSize {
		return nil, 0, newError(ErrTruncated, "parse header: file ends inside the preamble")
	}
	h = &Header{Version: b[8], Suite: binary.BigEndian.Uint16(b[9:11]), Flags: b[11]}
	if h.Version != Version {
		return nil, 0, newError(ErrUnsupported, fmt.Sprintf("parse header: unsupported version %d", h.Version))
	}
	if !SuiteSupported(h.Suite) {
		return nil, 0, newError(ErrUnsupported, fmt.Sprintf("parse header: unsupported suite 0x%04x", h.Suite))
	}
	if h.Flags&^FlagMetadata != 0 {
		return nil, 0, newError(ErrUnsupported, fmt.Sprintf("parse header: unsupported flags 0x%02x", h.Flags))
	}
	l := binary.BigEndian.Uint32(b[12:16])
	if l < MinHeaderBodySize || l > MaxHeaderBodySize {
		return nil, 0, newError(ErrMalformedHeader, fmt.Sprintf("parse header: body length %d outside [%d, %d]", l, MinHeaderBodySize, MaxHeaderBodySize))
	}
	return h, int(l), nil
}

// ParseHeader parses the header at the start of b and returns it with its length in
// bytes (the offset of chunk 0). It checks structure only: the MAC and commitment need
// the data key and are verified by Decrypt. b may extend past the header.
//
// Errors: ErrNotEnvelope, ErrUnsupported, ErrMalformedHeader, ErrTooManySlots and
// ErrTruncated (b ends before the header does).
func ParseHeader(b []byte) (*Header, int, error) {
	h, l, err := parsePreamble(b)
	if err != nil {
		return nil, 0, err
	}
	total := headerOverhead + l
	if len(b) < total {
		return nil, 0, newError(ErrTruncated, "parse header: file ends inside the header")
	}
	if err := h.parseBody(b[PreambleSize : PreambleSize+l]); err != nil {
		return nil, 0, err
	}
	t := b[PreambleSize+l : total]
	copy(h.MAC[:], t[:MACSize])
	copy(h.Salt[:], t[MACSize:MACSize+SaltSize])
	copy(h.Commitment[:], t[MACSize+SaltSize:])
	return h, total, nil
}

// bodyReader is a bounds-checked cursor over the header body.
type bodyReader struct {
	b   []byte
	off int
	err error
}

func (r *bodyReader) fail(field string) {
	if r.err == nil {
		r.err = newError(ErrMalformedHeader, "parse header: "+field+" overruns the header body")
	}
}

func (r *bodyReader) u8(field string) int {
	if r.err != nil || r.off+1 > len(r.b) {
		r.fail(field)
		return 0
	}
	v := r.b[r.off]
	r.off++
	return int(v)
}

func (r *bodyReader) u16(field string) int {
	if r.err != nil || r.off+2 > len(r.b) {
		r.fail(field)
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.off:])
	r.off += 2
	return int(v)
}

func (r *bodyReader) bytes(n int, field string) string {
	if r.err != nil || r.off+n > len(r.b) {
		r.fail(field)
		return ""
	}
	v := string(r.b[r.off : r.off+n])
	r.off += n
	return v
}

// parseBody fills h from the header body b (exactly L bytes).
func (h *Header) parseBody(b []byte) error {
	r := &bodyReader{b: b}
	ecLen := r.u16("encryption context length")
	if r.err == nil && ecLen > MaxEncryptionContextSize {
		return newError(ErrMalformedHeader, fmt.Sprintf("parse header: encryption context of %d bytes exceeds %d", ecLen, MaxEncryptionContextSize))
	}
	h.EncryptionContext = r.bytes(ecLen, "encryption context")
	count := r.u8("slot count")
	if r.err != nil {
		return r.err
	}
	if err := validateContext(h.EncryptionContext); err != nil {
		return newError(ErrMalformedHeader, "parse header: "+err.Error())
	}
	switch {
	case count == 0:
		return newError(ErrMalformedHeader, "parse header: no key slots")
	case count > MaxSlots:
		return newError(ErrTooManySlots, fmt.Sprintf("parse header: %d key slots exceed the format limit of %d", count, MaxSlots))
	}
	h.Slots = make([]Slot, count)
	for i := range h.Slots {
		s := &h.Slots[i]
		s.Type = SlotType(r.u8("slot type"))
		s.Region = r.bytes(r.u8("slot region length"), "slot region")
		s.KeyID = r.bytes(r.u8("slot key id length"), "slot key id")
		s.WrappedKey = r.bytes(r.u16("slot wrapped key length"), "slot wrapped key")
		if r.err != nil {
			return r.err
		}
		if err := validateSlot(*s); err != nil {
			return newError(ErrMalformedHeader, fmt.Sprintf("parse header: slot %d: %v", i+1, err))
		}
	}
	h.Creator = r.bytes(r.u8("creator length"), "creator")
	if r.err != nil {
		return r.err
	}
	if err := validateCreator(h.Creator); err != nil {
		return newError(ErrMalformedHeader, "parse header: "+err.Error())
	}
	for _, c := range b[r.off:] {
		if c != 0 {
			return newError(ErrMalformedHeader, "parse header: non-zero padding")
		}
	}
	h.Padding = len(b) - r.off
	return nil
}

// validateContext accepts an empty string or a JSON object of at most 1024 bytes.
func validateContext(ec string) error {
	if ec == "" {
		return nil
	}
	if len(ec) > MaxEncryptionContextSize {
		return fmt.Errorf("encryption context of %d bytes exceeds %d", len(ec), MaxEncryptionContextSize)
	}
	if !utf8.ValidString(ec) || !json.Valid([]byte(ec)) || firstNonSpace(ec) != '{' {
		return fmt.Errorf("encryption context is not a JSON object")
	}
	return nil
}

func firstNonSpace(s string) byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return s[i]
		}
	}
	return 0
}

// validateSlot checks the v1 rules for one slot.
func validateSlot(s Slot) error {
	switch {
	case s.Type == 0:
		return fmt.Errorf("slot type 0 is invalid")
	case len(s.Region) > 255 || !printableASCII(s.Region):
		return fmt.Errorf("region must be at most 255 printable ASCII bytes")
	case s.KeyID == "" || len(s.KeyID) > 255 || !printableASCII(s.KeyID):
		return fmt.Errorf("key id must be 1 to 255 printable ASCII bytes")
	case s.WrappedKey == "" || len(s.WrappedKey) > 0xFFFF:
		return fmt.Errorf("wrapped key must be 1 to 65535 bytes")
	case s.Type <= SlotLocalKMS && !printableASCII(s.WrappedKey):
		return fmt.Errorf("wrapped key must be printable ASCII")
	}
	return nil
}

// validateCreator accepts at most 255 bytes of UTF-8 without control characters.
func validateCreator(c string) error {
	if len(c) > 255 || !cleanUTF8(c) {
		return fmt.Errorf("creator must be at most 255 bytes of UTF-8 without control characters")
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// cleanUTF8 reports whether s is valid UTF-8 without C0 controls or DEL.
func cleanUTF8(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7F {
			return false
		}
	}
	return true
}

// PlaintextSize returns the exact plaintext size (metadata record excluded) of a
// .kmsenc file of ciphertextSize bytes with header h. It returns ErrTruncated when
// no ciphertext of that length can be valid (docs/FORMAT.md §6).
func PlaintextSize(ciphertextSize int64, h *Header) (int64, error) {
	var meta int64
	if h.HasMetadata() {
		meta = MetadataSize
	}
	return payloadSize(ciphertextSize-int64(h.Len()), meta)
}

// payloadSize applies the length rule to p sealed payload bytes and returns the
// plaintext size after removing meta bytes of metadata record.
func payloadSize(p, meta int64) (int64, error) {
	if p < TagSize {
		return 0, newError(ErrTruncated, "file ends before the final chunk")
	}
	q, r := p/SealedChunkSize, p%SealedChunkSize
	if r < TagSize {
		return 0, newError(ErrTruncated, "file ends before the final chunk")
	}
	if q+1 >= MaxChunks {
		return 0, newError(ErrUnsupported, "payload exceeds the format's chunk limit")
	}
	n := q*ChunkSize + r - TagSize
	if n < meta {
		return 0, newError(ErrTruncated, "payload is shorter than the metadata record")
	}
	return n - meta, nil
}
