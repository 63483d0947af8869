package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// KeyService manages customer master keys (CMKs).
type KeyService struct {
	base
	dialogs Dialogs
}

// NewKeyService returns a KeyService.
func NewKeyService(ctx context.Context, gate Gate, log *slog.Logger, conn *Connector, dialogs Dialogs) *KeyService {
	return &KeyService{base: base{ctx: ctx, gate: gate, log: log, conn: conn}, dialogs: dialogs}
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
		return &kms.Error{Code: "InvalidParameterValue.InvalidAlias",
			Message: "an alias is 1–60 letters, digits, '-' or '_', starts with a letter or digit, and does not start with \"kms-\""}
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
func (s *KeyService) Resolve(ref string) (kms.Key, error) {
	ref = strings.TrimSpace(ref)
	if keyIDRE.MatchString(ref) {
		return s.Describe(ref)
	}
	if ref == "" {
		return kms.Key{}, s.logErr("Resolve", invalid("no key given"))
	}
	var found kms.Key
	err := s.withKMS("Resolve", func(ctx context.Context, c *kms.Client) error {
		for offset := 0; ; offset += 200 {
			page, err := c.ListKeys(ctx, kms.ListOptions{Search: ref, Offset: offset, Limit: 200})
			if err != nil {
				return err
			}
			for _, k := range page.Keys {
				if k.Alias == ref {
					found = k
					return nil
				}
			}
			if offset+len(page.Keys) >= page.Total || len(page.Keys) == 0 {
				return &kms.Error{Code: "ResourceUnavailable.CmkNotFound", Message: fmt.Sprintf("no key with KeyId or alias %q", ref)}
			}
		}
	})
	return found, err
}

// List returns one page of keys matching the filters.
func (s *KeyService) List(opts kms.ListOptions) (kms.KeyPage, error) {
	var page kms.KeyPage
	err := s.withKMS("List", func(ctx context.Context, c *kms.Client) (err error) {
		page, err = c.ListKeys(ctx, opts)
		return err
	})
	return page, err
}

// Create creates a key after checking the alias and description locally.
func (s *KeyService) Create(in kms.CreateKeyInput) (kms.Key, error) {
	in.Alias = strings.TrimSpace(in.Alias)
	if err := ValidateAlias(in.Alias); err != nil {
		return kms.Key{}, s.logErr("Create", err)
	}
	if err := validateDescription(in.Description); err != nil {
		return kms.Key{}, s.logErr("Create", err)
	}
	var key kms.Key
	err := s.withKMS("Create", func(ctx context.Context, c *kms.Client) (err error) {
		key, err = c.CreateKey(ctx, in)
		return err
	})
	if err == nil {
		s.log.Info("key created", "keyId", key.KeyID, "usage", key.KeyUsage)
	}
	return key, err
}

// Describe returns one key's metadata.
func (s *KeyService) Describe(keyID string) (kms.Key, error) {
	var key kms.Key
	err := s.withKMS("Describe", func(ctx context.Context, c *kms.Client) (err error) {
		key, err = c.DescribeKey(ctx, keyID)
		return err
	})
	return key, err
}

// UpdateAlias renames a key and returns its new metadata.
func (s *KeyService) UpdateAlias(keyID, alias string) (kms.Key, error) {
	alias = strings.TrimSpace(alias)
	if err := ValidateAlias(alias); err != nil {
		return kms.Key{}, s.logErr("UpdateAlias", err)
	}
	return s.change("UpdateAlias", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.UpdateAlias(ctx, keyID, alias)
	})
}

// UpdateDescription changes a key's description and returns its new metadata.
func (s *KeyService) UpdateDescription(keyID, description string) (kms.Key, error) {
	if err := validateDescription(description); err != nil {
		return kms.Key{}, s.logErr("UpdateDescription", err)
	}
	return s.change("UpdateDescription", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.UpdateDescription(ctx, keyID, description)
	})
}

// SetEnabled enables or disables the given keys (batched by 100).
func (s *KeyService) SetEnabled(keyIDs []string, enabled bool) error {
	if len(keyIDs) == 0 {
		return s.logErr("SetEnabled", invalid("no keys selected"))
	}
	return s.withKMS("SetEnabled", func(ctx context.Context, c *kms.Client) error {
		if enabled {
			return c.EnableKeys(ctx, keyIDs...)
		}
		return c.DisableKeys(ctx, keyIDs...)
	})
}

// ScheduleDeletion schedules a disabled key for deletion after days (7–30). confirm must
// repeat the key's alias exactly (or its KeyId, for a key without alias): deleting a key
// makes everything encrypted under it unreadable, so the intent is checked here too, not
// only in the UI.
func (s *KeyService) ScheduleDeletion(keyID string, days int, confirm string) (kms.Key, error) {
	if days < 7 || days > 30 {
		return kms.Key{}, s.logErr("ScheduleDeletion", &kms.Error{Code: "InvalidParameter.InvalidPendingWindowInDays", Message: "the waiting period is 7 to 30 days"})
	}
	return s.change("ScheduleDeletion", keyID, func(ctx context.Context, c *kms.Client) error {
		key, err := c.DescribeKey(ctx, keyID)
		if err != nil {
			return err
		}
		want := key.Alias
		if want == "" {
			want = key.KeyID
		}
		if confirm != want {
			return &Error{Code: CodeConfirmMismatch, Message: "the typed confirmation does not match the key's alias"}
		}
		_, err = c.ScheduleDeletion(ctx, keyID, days)
		return err
	})
}

// CancelDeletion cancels a scheduled deletion (the key becomes Disabled).
func (s *KeyService) CancelDeletion(keyID string) (kms.Key, error) {
	return s.change("CancelDeletion", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.CancelDeletion(ctx, keyID)
	})
}

// SetRotation turns automatic rotation on (every days, 7–365; 0 = 365) or off.
func (s *KeyService) SetRotation(keyID string, enabled bool, days int) (kms.Key, error) {
	if enabled && days != 0 && (days < 7 || days > 365) {
		return kms.Key{}, s.logErr("SetRotation", invalid("the rotation period is 7 to 365 days"))
	}
	return s.change("SetRotation", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.SetRotation(ctx, keyID, enabled, days)
	})
}

// SetArchived archives a key (it can then only decrypt) or restores it.
func (s *KeyService) SetArchived(keyID string, archived bool) (kms.Key, error) {
	return s.change("SetArchived", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.SetArchived(ctx, keyID, archived)
	})
}

// PublicKey returns the public key of an asymmetric key.
func (s *KeyService) PublicKey(keyID string) (kms.PublicKey, error) {
	var pk kms.PublicKey
	err := s.withKMS("PublicKey", func(ctx context.Context, c *kms.Client) (err error) {
		pk, err = c.GetPublicKey(ctx, keyID)
		return err
	})
	return pk, err
}

// SavePublicKey asks where to save the key's public key (PEM) and writes it there.
// It returns the path, or "" if the user cancelled.
func (s *KeyService) SavePublicKey(keyID string) (string, error) {
	pk, err := s.PublicKey(keyID)
	if err != nil {
		return "", err
	}
	path, err := s.dialogs.SaveFile("Save public key", keyID+".pem")
	if err != nil || path == "" {
		return "", s.logErr("SavePublicKey", err)
	}
	if err := writeFileAtomic(path, []byte(pk.PEM), 0o644); err != nil {
		return "", s.logErr("SavePublicKey", err)
	}
	return path, nil
}

// SignInput is a message to sign or verify with an asymmetric key.
type SignInput struct {
	KeyID     string `json:"keyId"`
	Algorithm string `json:"algorithm"`
	// Message is UTF-8 text signed as RAW (≤ 4096 bytes) unless File is set.
	Message string `json:"message"`
	// File, when set, is signed by its SHA-256 digest (MessageType DIGEST); if it is
	// "?" the user picks the file.
	File string `json:"file"`
	// Signature (base64) is checked by Verify.
	Signature string `json:"signature"`
}

// SignResult is a signature and what was signed.
type SignResult struct {
	Signature   string `json:"signature"` // base64
	MessageType string `json:"messageType"`
	Digest      string `json:"digest"` // hex SHA-256 of the file, for DIGEST
	File        string `json:"file"`
	Valid       bool   `json:"valid"` // for Verify
}

func (s *KeyService) message(in SignInput) ([]byte, SignResult, error) {
	if in.File == "" {
		if len(in.Message) > kms.MaxPlaintext {
			return nil, SignResult{}, &Error{Code: CodeTextTooLarge, Message: fmt.Sprintf("the message is %d bytes; at most %d can be signed directly — sign a file instead", len(in.Message), kms.MaxPlaintext)}
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
			return nil, SignResult{}, &Error{Code: CodeInvalidInput, Message: "no file chosen"}
		}
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, SignResult{}, &Error{Code: CodeFileIO, Message: "open the file", Err: err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, SignResult{}, &Error{Code: CodeFileIO, Message: "read the file", Err: err}
	}
	d := h.Sum(nil)
	return d, SignResult{MessageType: kms.MessageDigest, Digest: fmt.Sprintf("%x", d), File: path}, nil
}

// Sign signs a text message or a file's SHA-256 digest.
func (s *KeyService) Sign(in SignInput) (SignResult, error) {
	msg, res, err := s.message(in)
	if err != nil {
		return SignResult{}, s.logErr("Sign", err)
	}
	err = s.withKMS("Sign", func(ctx context.Context, c *kms.Client) error {
		sig, err := c.Sign(ctx, in.KeyID, in.Algorithm, msg, res.MessageType)
		res.Signature = base64.StdEncoding.EncodeToString(sig)
		return err
	})
	return res, err
}

// Verify checks a signature over a text message or a file's SHA-256 digest.
func (s *KeyService) Verify(in SignInput) (SignResult, error) {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.Signature))
	if err != nil {
		return SignResult{}, s.logErr("Verify", &Error{Code: CodeInvalidBase64, Message: "the signature is not valid base64"})
	}
	msg, res, err := s.message(in)
	if err != nil {
		return SignResult{}, s.logErr("Verify", err)
	}
	res.Signature = in.Signature
	err = s.withKMS("Verify", func(ctx context.Context, c *kms.Client) (err error) {
		res.Valid, err = c.Verify(ctx, in.KeyID, in.Algorithm, msg, sig, res.MessageType)
		return err
	})
	return res, err
}

// Algorithms lists the key usages and algorithms of the current region.
func (s *KeyService) Algorithms() (kms.Algorithms, error) {
	var a kms.Algorithms
	err := s.withKMS("Algorithms", func(ctx context.Context, c *kms.Client) (err error) {
		a, err = c.ListAlgorithms(ctx)
		return err
	})
	return a, err
}

// Regions lists the regions that offer KMS, as the current endpoint reports them.
func (s *KeyService) Regions() ([]string, error) {
	var r []string
	err := s.withKMS("Regions", func(ctx context.Context, c *kms.Client) (err error) {
		r, err = c.Regions(ctx)
		return err
	})
	return r, err
}

// change runs a state change and returns the key's metadata afterwards.
func (s *KeyService) change(op, keyID string, f func(ctx context.Context, c *kms.Client) error) (kms.Key, error) {
	var key kms.Key
	err := s.withKMS(op, func(ctx context.Context, c *kms.Client) error {
		if err := f(ctx, c); err != nil {
			return err
		}
		var err error
		key, err = c.DescribeKey(ctx, keyID)
		return err
	})
	return key, err
}

// isUTF8Text reports whether b is valid UTF-8 without NUL bytes (so it can be shown).
func isUTF8Text(b []byte) bool {
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}
