package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// TextService is the online tool of the KMS console (and the seed's flow): encrypt up to
// 4 KB of text with the Encrypt API, decrypt a CiphertextBlob, save and open blob files.
type TextService struct {
	base
	dialogs Dialogs
	desktop Desktop

	clipMu    sync.Mutex
	clipTimer *time.Timer
	// clipClear is how long copied plaintext stays on the clipboard.
	clipClear time.Duration
}

// NewTextService returns a TextService.
func NewTextService(ctx context.Context, gate Gate, log *slog.Logger, conn *Connector, dialogs Dialogs, desktop Desktop) *TextService {
	return &TextService{base: base{ctx: ctx, gate: gate, log: log, conn: conn}, dialogs: dialogs, desktop: desktop, clipClear: ClipboardClearAfter}
}

// ContextPair is one key/value row of an EncryptionContext.
type ContextPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// EncryptionContext builds the canonical EncryptionContext JSON (keys sorted, no
// whitespace) from key/value rows; no rows give "". Keys must be unique and non-empty.
func EncryptionContext(pairs []ContextPair) (string, error) {
	if len(pairs) == 0 {
		return "", nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k := strings.TrimSpace(p.Key)
		if k == "" {
			return "", &Error{Code: CodeInvalidContext, Message: "an encryption context key is empty"}
		}
		if _, dup := m[k]; dup {
			return "", &Error{Code: CodeInvalidContext, Message: fmt.Sprintf("the encryption context key %q appears twice", k)}
		}
		m[k] = p.Value
	}
	b, err := json.Marshal(m) // encoding/json sorts map keys
	if err != nil {
		return "", &Error{Code: CodeInvalidContext, Message: "encode the encryption context", Err: err}
	}
	if len(b) > kms.MaxEncryptionContext {
		return "", &Error{Code: CodeInvalidContext, Message: fmt.Sprintf("the encryption context is %d bytes; at most %d are allowed", len(b), kms.MaxEncryptionContext)}
	}
	return string(b), nil
}

// TextEncryptInput is text (or base64 bytes) to encrypt with a key.
type TextEncryptInput struct {
	KeyID string `json:"keyId"`
	// Text is UTF-8 text, or base64 when IsBase64 is set.
	Text     string        `json:"text"`
	IsBase64 bool          `json:"isBase64"`
	Context  []ContextPair `json:"context"`
}

// TextEncryptResult is the CiphertextBlob and the key that made it.
type TextEncryptResult struct {
	Blob  string `json:"blob"`
	KeyID string `json:"keyId"`
	Bytes int    `json:"bytes"` // plaintext size
}

// Encrypt encrypts up to 4096 bytes with the Encrypt API.
func (s *TextService) Encrypt(in TextEncryptInput) (TextEncryptResult, error) {
	pt := []byte(in.Text)
	if in.IsBase64 {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.Text))
		if err != nil {
			return TextEncryptResult{}, s.logErr("Encrypt", &Error{Code: CodeInvalidBase64, Message: "the input is not valid base64"})
		}
		pt = b
	}
	if len(pt) > kms.MaxPlaintext {
		return TextEncryptResult{}, s.logErr("Encrypt", &Error{Code: CodeTextTooLarge,
			Message: fmt.Sprintf("the text is %d bytes; the Encrypt API takes at most %d — encrypt it as a file instead", len(pt), kms.MaxPlaintext)})
	}
	ec, err := EncryptionContext(in.Context)
	if err != nil {
		return TextEncryptResult{}, s.logErr("Encrypt", err)
	}
	if strings.TrimSpace(in.KeyID) == "" {
		return TextEncryptResult{}, s.logErr("Encrypt", invalid("choose a key first"))
	}
	var res TextEncryptResult
	err = s.withKMS("Encrypt", func(ctx context.Context, c *kms.Client) (err error) {
		res.Blob, res.KeyID, err = c.Encrypt(ctx, in.KeyID, pt, ec)
		return err
	})
	res.Bytes = len(pt)
	return res, err
}

// TextDecryptInput is a CiphertextBlob and the EncryptionContext it was made with.
type TextDecryptInput struct {
	Blob    string        `json:"blob"`
	Context []ContextPair `json:"context"`
}

// TextDecryptResult is the decrypted plaintext.
type TextDecryptResult struct {
	KeyID string `json:"keyId"`
	// Text is the plaintext when it is UTF-8 text; IsText says whether it is.
	Text   string `json:"text"`
	IsText bool   `json:"isText"`
	// Base64 is the plaintext in base64, always set.
	Base64 string `json:"base64"`
	Bytes  int    `json:"bytes"`
}

// MaxBlob is the longest CiphertextBlob accepted, in bytes (a 4 KB plaintext gives a
// blob well under this).
const MaxBlob = 16 << 10

// Decrypt decrypts a CiphertextBlob (surrounding whitespace is ignored).
func (s *TextService) Decrypt(in TextDecryptInput) (TextDecryptResult, error) {
	blob := strings.TrimSpace(in.Blob)
	if blob == "" {
		return TextDecryptResult{}, s.logErr("Decrypt", invalid("paste a ciphertext first"))
	}
	if len(blob) > MaxBlob {
		return TextDecryptResult{}, s.logErr("Decrypt", &kms.Error{Code: "InvalidParameterValue.InvalidCiphertext", Message: "this is too long to be a KMS ciphertext"})
	}
	ec, err := EncryptionContext(in.Context)
	if err != nil {
		return TextDecryptResult{}, s.logErr("Decrypt", err)
	}
	var res TextDecryptResult
	err = s.withKMS("Decrypt", func(ctx context.Context, c *kms.Client) error {
		pt, keyID, err := c.Decrypt(ctx, blob, ec)
		if err != nil {
			return err
		}
		res = TextDecryptResult{KeyID: keyID, Base64: base64.StdEncoding.EncodeToString(pt), Bytes: len(pt)}
		if isUTF8Text(pt) {
			res.Text, res.IsText = string(pt), true
		}
		return nil
	})
	return res, err
}

// SaveBlob asks where to save a CiphertextBlob and writes it as a plain text file holding
// only the blob — the format of the seed's test_encry.dat. It returns the path, or "" if
// the user cancelled.
func (s *TextService) SaveBlob(blob string) (string, error) {
	blob = strings.TrimSpace(blob)
	if blob == "" {
		return "", s.logErr("SaveBlob", invalid("there is no ciphertext to save"))
	}
	path, err := s.dialogs.SaveFile("Save ciphertext", "ciphertext.dat")
	if err != nil || path == "" {
		return "", s.logErr("SaveBlob", err)
	}
	if err := writeFileAtomic(path, []byte(blob), 0o600); err != nil {
		return "", s.logErr("SaveBlob", err)
	}
	return path, nil
}

// OpenedBlob is a ciphertext read from a blob file.
type OpenedBlob struct {
	Path string `json:"path"`
	Blob string `json:"blob"`
}

// OpenBlob asks for a blob file (as written by SaveBlob or the seed's sample) and
// returns its content. Path is "" if the user cancelled.
func (s *TextService) OpenBlob() (OpenedBlob, error) {
	path, err := s.dialogs.OpenFile("Open ciphertext file")
	if err != nil || path == "" {
		return OpenedBlob{}, s.logErr("OpenBlob", err)
	}
	b, err := readSmallFile(path, MaxBlob)
	if err != nil {
		return OpenedBlob{}, s.logErr("OpenBlob", err)
	}
	return OpenedBlob{Path: path, Blob: strings.TrimSpace(string(b))}, nil
}

// ClipboardClearAfter is how long copied plaintext stays on the clipboard.
const ClipboardClearAfter = 30 * time.Second

// CopySecret puts decrypted text on the clipboard and clears it after
// ClipboardClearAfter, unless something else was copied meanwhile.
func (s *TextService) CopySecret(text string) error {
	if err := s.desktop.SetClipboard(text); err != nil {
		return s.logErr("CopySecret", &Error{Code: CodeUnknown, Message: "copy to the clipboard", Err: err})
	}
	s.clipMu.Lock()
	defer s.clipMu.Unlock()
	if s.clipTimer != nil {
		s.clipTimer.Stop()
	}
	s.clipTimer = time.AfterFunc(s.clipClear, func() {
		if cur, err := s.desktop.Clipboard(); err == nil && cur == text {
			_ = s.desktop.SetClipboard("")
		}
	})
	return nil
}

// readSmallFile reads a file of at most max bytes.
func readSmallFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Code: CodeFileIO, Message: "open the file", Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &Error{Code: CodeFileIO, Message: "read the file", Err: err}
	}
	if int64(len(b)) > max {
		return nil, &Error{Code: CodeFileTooLarge, Message: fmt.Sprintf("the file is larger than %d bytes", max)}
	}
	return b, nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and renames it
// over path, so a crash never leaves a half-written file under the final name.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return &Error{Code: CodeFileIO, Message: "create the file", Err: err}
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return &Error{Code: CodeFileIO, Message: "write the file", Err: err}
	}
	return nil
}
