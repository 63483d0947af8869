package envelope

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// Offline recovery keys (slot type 2, docs/FORMAT.md §2.1): the data key is also
// encrypted to the public key of an age identity (https://age-encryption.org/v1)
// that an organisation keeps offline, so a file opens without KMS and without a
// network when every KMS key is lost. Both age key kinds are accepted: X25519
// ("age1…") and the post-quantum hybrid ML-KEM-768 + X25519 ("age1pq1…").

// recoveryKeyIDPrefix starts the key id of a recovery slot.
const recoveryKeyIDPrefix = "age:"

// Recipient is the public half of an offline recovery key.
type Recipient struct {
	r age.Recipient
	s string
}

// ParseRecipient parses an age recipient: "age1…" (X25519) or "age1pq1…" (hybrid).
func ParseRecipient(s string) (Recipient, error) {
	s = strings.TrimSpace(s)
	var (
		r   age.Recipient
		err error
	)
	if strings.HasPrefix(s, "age1pq1") {
		r, err = age.ParseHybridRecipient(s)
	} else {
		r, err = age.ParseX25519Recipient(s)
	}
	if err != nil {
		return Recipient{}, wrapError(ErrInvalidRecoveryKey, "parse recovery recipient", err)
	}
	return Recipient{r: r, s: s}, nil
}

// String returns the recipient as the user gave it ("age1…").
func (r Recipient) String() string { return r.s }

// KeyID is what a recovery slot for r stores as its key id: "age:" and the first 8
// bytes of SHA-256 of the recipient string, in hex. It names the recovery key without
// storing the (long, for hybrid keys) public key itself.
func (r Recipient) KeyID() string { return recoveryKeyID(r.s) }

func recoveryKeyID(recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return recoveryKeyIDPrefix + hex.EncodeToString(sum[:8])
}

// Identity is the secret half of an offline recovery key.
type Identity struct {
	id        age.Identity
	recipient string
}

// Recipient returns the public half of the identity.
func (i Identity) Recipient() Recipient {
	r, _ := ParseRecipient(i.recipient)
	return r
}

// String returns the identity in the form of an identity file line
// ("AGE-SECRET-KEY-…"). It is the secret: never log it.
func (i Identity) String() string {
	if s, ok := i.id.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}

// GenerateIdentity makes a new recovery key: a post-quantum hybrid one, or a classic
// X25519 one (shorter recipient) when postQuantum is false.
func GenerateIdentity(postQuantum bool) (Identity, error) {
	if postQuantum {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return Identity{}, fmt.Errorf("envelope: generate recovery key: %w", err)
		}
		return Identity{id: id, recipient: id.Recipient().String()}, nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Identity{}, fmt.Errorf("envelope: generate recovery key: %w", err)
	}
	return Identity{id: id, recipient: id.Recipient().String()}, nil
}

// MaxIdentityFileSize bounds an identity file read by ParseIdentities.
const MaxIdentityFileSize = 64 << 10

// ParseIdentities reads an age identity file: one "AGE-SECRET-KEY-1…" or
// "AGE-SECRET-KEY-PQ-1…" per line; blank lines and lines starting with "#" are
// ignored. At least one identity is required.
func ParseIdentities(r io.Reader) ([]Identity, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxIdentityFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("envelope: read recovery key: %w", err)
	}
	if len(data) > MaxIdentityFileSize {
		return nil, newError(ErrInvalidRecoveryKey, "the recovery key file is too large")
	}
	var out []Identity
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxIdentityFileSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var id Identity
		switch {
		case strings.HasPrefix(line, "AGE-SECRET-KEY-PQ-1"):
			h, err := age.ParseHybridIdentity(line)
			if err != nil {
				return nil, newError(ErrInvalidRecoveryKey, fmt.Sprintf("line %d is not a valid recovery key", n))
			}
			id = Identity{id: h, recipient: h.Recipient().String()}
		case strings.HasPrefix(line, "AGE-SECRET-KEY-1"):
			x, err := age.ParseX25519Identity(line)
			if err != nil {
				return nil, newError(ErrInvalidRecoveryKey, fmt.Sprintf("line %d is not a valid recovery key", n))
			}
			id = Identity{id: x, recipient: x.Recipient().String()}
		default:
			// Never echo the line: it may be a secret of another kind.
			return nil, newError(ErrInvalidRecoveryKey, fmt.Sprintf("line %d is not a recovery key", n))
		}
		out = append(out, id)
	}
	if err := sc.Err(); err != nil {
		return nil, wrapError(ErrInvalidRecoveryKey, "read recovery key", err)
	}
	if len(out) == 0 {
		return nil, newError(ErrInvalidRecoveryKey, "the file holds no recovery key")
	}
	return out, nil
}

// recoverySlot encrypts dek to r as a type-2 slot.
func recoverySlot(r Recipient, dek []byte) (Slot, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r.r)
	if err == nil {
		_, err = w.Write(dek)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return Slot{}, fmt.Errorf("envelope: wrap data key for recovery key %s: %w", r.KeyID(), err)
	}
	return Slot{Type: SlotRecovery, KeyID: r.KeyID(), WrappedKey: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// UnwrapRecovery recovers the data key of a recovery slot with one of ids. No KMS and
// no network are involved. It returns the slot's key id, as envelope's KeyId check
// expects.
func UnwrapRecovery(s Slot, ids []Identity) ([]byte, string, error) {
	if s.Type != SlotRecovery {
		return nil, "", fmt.Errorf("envelope: slot type %d is not a recovery slot", s.Type)
	}
	var match []age.Identity
	for _, id := range ids {
		if recoveryKeyID(id.recipient) == s.KeyID {
			match = append(match, id.id)
		}
	}
	if len(match) == 0 {
		return nil, "", newError(ErrRecoveryKeyNeeded, "open this file with recovery key "+s.KeyID)
	}
	raw, err := base64.StdEncoding.DecodeString(s.WrappedKey)
	if err != nil {
		return nil, "", errAuth
	}
	r, err := age.Decrypt(bytes.NewReader(raw), match...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, "", newError(ErrRecoveryKeyNeeded, "the recovery key does not open this file")
		}
		return nil, "", errAuth
	}
	dek, err := io.ReadAll(io.LimitReader(r, DataKeySize+1))
	if err != nil || len(dek) != DataKeySize {
		clear(dek)
		return nil, "", errAuth
	}
	return dek, s.KeyID, nil
}

// recoveryUnwrapper is an Unwrapper for recovery slots only.
type recoveryUnwrapper []Identity

// RecoveryUnwrapper returns an Unwrapper that opens recovery slots with ids and
// refuses every other slot type.
func RecoveryUnwrapper(ids []Identity) Unwrapper { return recoveryUnwrapper(ids) }

// UnwrapKey implements Unwrapper.
func (u recoveryUnwrapper) UnwrapKey(_ context.Context, s Slot, _ string) ([]byte, string, error) {
	if s.Type != SlotRecovery {
		return nil, "", newError(ErrRecoveryKeyNeeded, "only recovery slots are opened without KMS")
	}
	return UnwrapRecovery(s, u)
}
