package service

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// KeyService manages customer master keys (CMKs).
type KeyService struct {
	base
	dialogs Dialogs
	inv     *inventoryRecorder
	lists   inflight // List calls under way, for CancelList
}

// inflight tracks calls the UI may cancel.
type inflight struct {
	mu      sync.Mutex
	next    int
	cancels map[int]context.CancelFunc
}

// track returns a context for one call that cancelAll cancels, and the function that
// ends the call's tracking.
func (f *inflight) track(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancels == nil {
		f.cancels = map[int]context.CancelFunc{}
	}
	id := f.next
	f.next++
	f.cancels[id] = cancel
	return ctx, func() {
		f.mu.Lock()
		delete(f.cancels, id)
		f.mu.Unlock()
		cancel()
	}
}

// cancelAll cancels every tracked call and returns how many there were.
func (f *inflight) cancelAll() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cancel := range f.cancels {
		cancel()
	}
	return len(f.cancels)
}

// Alias rules of the service: 1–60 characters from letters, digits, '-' and '_', the
// first a letter or digit; the "kms-" prefix is reserved for cloud products.
var aliasRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$`)

// MaxDescription is the longest key description the service accepts, in bytes.
const MaxDescription = 1024

// ValidateAlias checks an alias with the service's rules before it is sent, so the user
// gets the explanation at once. The error has the service's own code.
func ValidateAlias(alias string) error {
	if !aliasRE.MatchString(alias) || strings.HasPrefix(strings.ToLower(alias), "kms-") {
		return errcode.New("InvalidParameterValue.InvalidAlias",
			"an alias is 1–60 letters, digits, '-' or '_', starts with a letter or digit, and does not start with \"kms-\"")
	}
	return nil
}

func validateDescription(d string) error {
	if len(d) > MaxDescription {
		return invalid(fmt.Sprintf("the description is %d bytes; at most %d are allowed", len(d), MaxDescription))
	}
	return nil
}

var keyIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Resolve finds a key by KeyId or by exact alias.
func (s *KeyService) Resolve(ref string) (Key, error) {
	return callKMS(&s.base, "Resolve", func(ctx context.Context, c *kms.Client) (Key, error) {
		k, err := resolveKey(ctx, c, ref)
		return keyDTO(k), err
	})
}

// resolveKey finds a key by KeyId (one DescribeKey) or by exact alias (a search).
func resolveKey(ctx context.Context, c *kms.Client, ref string) (kms.Key, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case keyIDRE.MatchString(ref):
		return c.DescribeKey(ctx, ref)
	case ref == "":
		return kms.Key{}, invalid("choose a key first")
	}
	for offset := 0; ; offset += 200 {
		page, err := c.ListKeys(ctx, kms.ListOptions{Search: ref, Offset: offset, Limit: 200})
		if err != nil {
			return kms.Key{}, err
		}
		for _, k := range page.Keys {
			if k.Alias == ref {
				return k, nil
			}
		}
		if offset+len(page.Keys) >= page.Total || len(page.Keys) == 0 {
			return kms.Key{}, errcode.New("ResourceUnavailable.CmkNotFound", fmt.Sprintf("no key with KeyId or alias %q", ref))
		}
	}
}

// resolveKeyID turns an alias into a KeyId; a KeyId passes through without a call (the
// job's first KMS call reports a key that does not exist or is disabled).
func resolveKeyID(ctx context.Context, c *kms.Client, ref string) (string, error) {
	if ref = strings.TrimSpace(ref); keyIDRE.MatchString(ref) {
		return ref, nil
	}
	k, err := resolveKey(ctx, c, ref)
	return k.KeyID, err
}

// List returns one page of keys matching the filters. CancelList ends it early (its
// HTTP request is aborted) with Client.Cancelled.
func (s *KeyService) List(opts ListOptions) (KeyPage, error) {
	return callKMS(&s.base, "List", func(ctx context.Context, c *kms.Client) (KeyPage, error) {
		ctx, done := s.lists.track(ctx)
		defer done()
		page, err := c.ListKeys(ctx, kms.ListOptions(opts))
		return KeyPage{Keys: dtos(page.Keys, keyDTO), Total: page.Total}, err
	})
}

// CancelList cancels the key lists being loaded (the UI's "Cancel" while it shows
// "Connecting…"); it returns how many were cancelled.
func (s *KeyService) CancelList() (int, error) {
	n := s.lists.cancelAll()
	if n > 0 {
		s.log.Info("key list cancelled", "calls", n)
	}
	return n, nil
}

// Create creates a key after checking the alias and description locally.
func (s *KeyService) Create(in CreateKeyInput) (Key, error) {
	return callKMS(&s.base, "Create", func(ctx context.Context, c *kms.Client) (Key, error) {
		in.Alias = strings.TrimSpace(in.Alias)
		if err := ValidateAlias(in.Alias); err != nil {
			return Key{}, err
		}
		if err := validateDescription(in.Description); err != nil {
			return Key{}, err
		}
		if in.External && in.Usage != "" && in.Usage != kms.UsageEncryptDecrypt {
			return Key{}, invalid("only encryption keys (ENCRYPT_DECRYPT) can have imported material")
		}
		key, err := c.CreateKey(ctx, kms.CreateKeyInput(in))
		if err == nil {
			s.log.Info("key created", "keyId", key.KeyID, "usage", key.KeyUsage)
		}
		return keyDTO(key), err
	})
}

// Describe returns one key's metadata.
func (s *KeyService) Describe(keyID string) (Key, error) {
	return callKMS(&s.base, "Describe", func(ctx context.Context, c *kms.Client) (Key, error) {
		key, err := c.DescribeKey(ctx, keyID)
		return keyDTO(key), err
	})
}

// UpdateAlias renames a key and returns its new metadata.
func (s *KeyService) UpdateAlias(keyID, alias string) (Key, error) {
	return s.change("UpdateAlias", keyID, func(ctx context.Context, c *kms.Client) error {
		alias = strings.TrimSpace(alias)
		if err := ValidateAlias(alias); err != nil {
			return err
		}
		return c.UpdateAlias(ctx, keyID, alias)
	})
}

// UpdateDescription changes a key's description and returns its new metadata.
func (s *KeyService) UpdateDescription(keyID, description string) (Key, error) {
	return s.change("UpdateDescription", keyID, func(ctx context.Context, c *kms.Client) error {
		if err := validateDescription(description); err != nil {
			return err
		}
		return c.UpdateDescription(ctx, keyID, description)
	})
}

// SetEnabled enables or disables the given keys (batched by 100).
func (s *KeyService) SetEnabled(keyIDs []string, enabled bool) error {
	_, err := callKMS(&s.base, "SetEnabled", func(ctx context.Context, c *kms.Client) (struct{}, error) {
		if len(keyIDs) == 0 {
			return struct{}{}, invalid("no keys selected")
		}
		if enabled {
			return struct{}{}, c.EnableKeys(ctx, keyIDs...)
		}
		return struct{}{}, c.DisableKeys(ctx, keyIDs...)
	})
	return err
}

// ScheduleDeletion schedules a disabled key for deletion after days (7–30). confirm must
// repeat the key's alias exactly (or its KeyId, for a key without alias): deleting a key
// makes everything encrypted under it unreadable, so the intent is checked here too, not
// only in the UI. The service checks the waiting period.
func (s *KeyService) ScheduleDeletion(keyID string, days int, confirm string) (Key, error) {
	return s.change("ScheduleDeletion", keyID, func(ctx context.Context, c *kms.Client) error {
		key, err := c.DescribeKey(ctx, keyID)
		if err != nil {
			return err
		}
		if confirm != firstNonEmpty(key.Alias, key.KeyID) {
			return errcode.New(CodeConfirmMismatch, "the typed confirmation does not match the key's alias")
		}
		_, err = c.ScheduleDeletion(ctx, keyID, days)
		return err
	})
}

// CancelDeletion cancels a scheduled deletion (the key becomes Disabled).
func (s *KeyService) CancelDeletion(keyID string) (Key, error) {
	return s.change("CancelDeletion", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.CancelDeletion(ctx, keyID)
	})
}

// SetRotation turns automatic rotation on (every days, 7–365, checked by the service;
// 0 = 365) or off.
func (s *KeyService) SetRotation(keyID string, enabled bool, days int) (Key, error) {
	return s.change("SetRotation", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.SetRotation(ctx, keyID, enabled, days)
	})
}

// RotateNow rotates a key's material at once (RotateKey) and returns the key as it
// is afterwards. What the key encrypted before still decrypts. The service rotates
// only keys with automatic rotation on, at most once a day.
func (s *KeyService) RotateNow(keyID string) (Key, error) {
	return s.change("RotateNow", keyID, func(ctx context.Context, c *kms.Client) error {
		task, err := c.RotateKey(ctx, keyID)
		if err == nil {
			s.log.Info("key rotated", "keyId", keyID, "task", task)
		}
		return err
	})
}

// SetArchived archives a key (it can then only decrypt) or restores it.
func (s *KeyService) SetArchived(keyID string, archived bool) (Key, error) {
	return s.change("SetArchived", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.SetArchived(ctx, keyID, archived)
	})
}

// PublicKey returns the public key of an asymmetric key.
func (s *KeyService) PublicKey(keyID string) (PublicKey, error) {
	return callKMS(&s.base, "PublicKey", func(ctx context.Context, c *kms.Client) (PublicKey, error) {
		pk, err := c.GetPublicKey(ctx, keyID)
		return PublicKey(pk), err
	})
}

// SavePublicKey asks where to save the key's public key (PEM) and writes it there.
// It returns the path, or "" if the user cancelled.
func (s *KeyService) SavePublicKey(keyID string) (string, error) {
	return callKMS(&s.base, "SavePublicKey", func(ctx context.Context, c *kms.Client) (string, error) {
		pk, err := c.GetPublicKey(ctx, keyID)
		if err != nil {
			return "", err
		}
		path, err := s.dialogs.SaveFile("Save public key", keyID+".pem")
		if err != nil || path == "" {
			return "", err
		}
		return path, writeFileAtomic(path, []byte(pk.PEM), 0o644)
	})
}

func (s *KeyService) message(in SignInput) ([]byte, SignResult, error) {
	if in.File == "" {
		if len(in.Message) > kms.MaxPlaintext {
			return nil, SignResult{}, errcode.New(CodeTextTooLarge, fmt.Sprintf("the message is %d bytes; at most %d can be signed directly — sign a file instead", len(in.Message), kms.MaxPlaintext))
		}
		return []byte(in.Message), SignResult{MessageType: kms.MessageRaw}, nil
	}
	path := in.File
	if path == "?" {
		p, err := s.dialogs.OpenFile("Choose a file")
		if err != nil {
			return nil, SignResult{}, err
		}
		if p == "" {
			return nil, SignResult{}, invalid("no file chosen")
		}
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, SignResult{}, errcode.Wrap(CodeFileIO, "open the file", err)
	}
	defer f.Close()
	h := fileDigest(in.Algorithm)
	if _, err := io.Copy(h, f); err != nil {
		return nil, SignResult{}, errcode.Wrap(CodeFileIO, "read the file", err)
	}
	d := h.Sum(nil)
	return d, SignResult{MessageType: kms.MessageDigest, Digest: fmt.Sprintf("%x", d), File: path}, nil
}

// signECDSA384 is the signing algorithm of ASYMMETRIC_SIGN_VERIFY_ECDSA384 keys.
const signECDSA384 = "ECDSA384_SHA384"

// fileDigest is the hash a file is signed by with algorithm: SHA-384 for
// ECDSA384_SHA384, SHA-256 for the others (the service takes a 32-byte DIGEST).
func fileDigest(algorithm string) hash.Hash {
	if algorithm == signECDSA384 {
		return sha512.New384()
	}
	return sha256.New()
}

// Sign signs a text message or a file's digest.
func (s *KeyService) Sign(in SignInput) (SignResult, error) {
	return callKMS(&s.base, "Sign", func(ctx context.Context, c *kms.Client) (SignResult, error) {
		msg, res, err := s.message(in)
		if err != nil {
			return SignResult{}, err
		}
		sig, err := c.Sign(ctx, in.KeyID, in.Algorithm, msg, res.MessageType)
		res.Signature = base64.StdEncoding.EncodeToString(sig)
		return res, err
	})
}

// Verify checks a signature over a text message or a file's digest.
func (s *KeyService) Verify(in SignInput) (SignResult, error) {
	return callKMS(&s.base, "Verify", func(ctx context.Context, c *kms.Client) (SignResult, error) {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.Signature))
		if err != nil {
			return SignResult{}, errcode.New(CodeInvalidBase64, "the signature is not valid base64")
		}
		msg, res, err := s.message(in)
		if err != nil {
			return SignResult{}, err
		}
		res.Signature = in.Signature
		res.Valid, err = c.Verify(ctx, in.KeyID, in.Algorithm, msg, sig, res.MessageType)
		return res, err
	})
}

// Algorithms lists the key usages and algorithms of the current region.
func (s *KeyService) Algorithms() (Algorithms, error) {
	return callKMS(&s.base, "Algorithms", func(ctx context.Context, c *kms.Client) (Algorithms, error) {
		a, err := c.ListAlgorithms(ctx)
		return Algorithms{Symmetric: dtos(a.Symmetric, algorithmDTO), AsymDecrypt: dtos(a.AsymDecrypt, algorithmDTO), AsymSign: dtos(a.AsymSign, algorithmDTO),
			NationalStandard: a.NationalStandard()}, err
	})
}

// change runs a state change and returns the key's metadata afterwards.
func (s *KeyService) change(op, keyID string, f func(ctx context.Context, c *kms.Client) error) (Key, error) {
	return callKMS(&s.base, op, func(ctx context.Context, c *kms.Client) (Key, error) {
		if err := f(ctx, c); err != nil {
			return Key{}, err
		}
		key, err := c.DescribeKey(ctx, keyID)
		return keyDTO(key), err
	})
}

// isUTF8Text reports whether b is valid UTF-8 without NUL bytes (so it can be shown).
func isUTF8Text(b []byte) bool {
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}
