package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// TextService is the online tool of the KMS console (and the seed's flow): encrypt up to
// 4 KB of text with the Encrypt API, decrypt a CiphertextBlob, save and open blob files.
type TextService struct {
	base
	dialogs Dialogs
	desktop Desktop

	clipMu   sync.Mutex
	clipStop func() bool // stops the pending clear
	clipText string      // what the pending clear removes
	// afterFunc is time.AfterFunc (tests replace it); it returns the timer's Stop.
	afterFunc func(d time.Duration, f func()) func() bool
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
			return "", errcode.New(CodeInvalidContext, "an encryption context key is empty")
		}
		if _, dup := m[k]; dup {
			return "", errcode.New(CodeInvalidContext, fmt.Sprintf("the encryption context key %q appears twice", k))
		}
		m[k] = p.Value
	}
	b, err := json.Marshal(m) // encoding/json sorts map keys
	if err != nil {
		return "", errcode.Wrap(CodeInvalidContext, "encode the encryption context", err)
	}
	if len(b) > kms.MaxEncryptionContext {
		return "", errcode.New(CodeInvalidContext, fmt.Sprintf("the encryption context is %d bytes; at most %d are allowed", len(b), kms.MaxEncryptionContext))
	}
	return string(b), nil
}

// Encrypt encrypts up to 4096 bytes with the Encrypt API.
func (s *TextService) Encrypt(in TextEncryptInput) (TextEncryptResult, error) {
	return callKMS(&s.base, "Encrypt", func(ctx context.Context, c *kms.Client) (TextEncryptResult, error) {
		pt := []byte(in.Text)
		if in.IsBase64 {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.Text))
			if err != nil {
				return TextEncryptResult{}, errcode.New(CodeInvalidBase64, "the input is not valid base64")
			}
			pt = b
		}
		if len(pt) > kms.MaxPlaintext {
			return TextEncryptResult{}, errcode.New(CodeTextTooLarge,
				fmt.Sprintf("the text is %d bytes; the Encrypt API takes at most %d — encrypt it as a file instead", len(pt), kms.MaxPlaintext))
		}
		ec, err := EncryptionContext(in.Context)
		if err != nil {
			return TextEncryptResult{}, err
		}
		if strings.TrimSpace(in.KeyID) == "" {
			return TextEncryptResult{}, invalid("choose a key first")
		}
		blob, keyID, err := c.Encrypt(ctx, in.KeyID, pt, ec)
		return TextEncryptResult{Blob: blob, KeyID: keyID, Bytes: len(pt)}, err
	})
}

// MaxText is the most bytes the Encrypt API takes (TextService.Encrypt).
const MaxText = kms.MaxPlaintext

// MaxBlob is the longest CiphertextBlob accepted, in bytes (a 4 KB plaintext gives a
// blob well under this).
const MaxBlob = 16 << 10

// Decrypt decrypts a CiphertextBlob (surrounding whitespace is ignored).
func (s *TextService) Decrypt(in TextDecryptInput) (TextDecryptResult, error) {
	return callKMS(&s.base, "Decrypt", func(ctx context.Context, c *kms.Client) (TextDecryptResult, error) {
		blob := strings.TrimSpace(in.Blob)
		if blob == "" {
			return TextDecryptResult{}, invalid("paste a ciphertext first")
		}
		if len(blob) > MaxBlob {
			return TextDecryptResult{}, errcode.New("InvalidParameterValue.InvalidCiphertext", "this is too long to be a KMS ciphertext")
		}
		ec, err := EncryptionContext(in.Context)
		if err != nil {
			return TextDecryptResult{}, err
		}
		pt, keyID, err := c.Decrypt(ctx, blob, ec)
		if err != nil {
			return TextDecryptResult{}, err
		}
		defer clear(pt)
		res := TextDecryptResult{KeyID: keyID, Base64: base64.StdEncoding.EncodeToString(pt), Bytes: len(pt)}
		if isUTF8Text(pt) {
			res.Text, res.IsText = string(pt), true
		}
		return res, nil
	})
}

// SaveBlob asks where to save a CiphertextBlob and writes it as a plain text file holding
// only the blob — the format of the seed's test_encry.dat. It returns the path, or "" if
// the user cancelled.
func (s *TextService) SaveBlob(blob string) (string, error) {
	return call(&s.base, "SaveBlob", func(context.Context) (string, error) {
		blob = strings.TrimSpace(blob)
		if blob == "" {
			return "", invalid("there is no ciphertext to save")
		}
		path, err := s.dialogs.SaveFile("Save ciphertext", "ciphertext.dat")
		if err != nil || path == "" {
			return "", err
		}
		return path, writeFileAtomic(path, []byte(blob), 0o600)
	})
}

// OpenBlob asks for a blob file (as written by SaveBlob or the seed's sample) and
// returns its content. Path is "" if the user cancelled.
func (s *TextService) OpenBlob() (OpenedBlob, error) {
	return call(&s.base, "OpenBlob", func(context.Context) (OpenedBlob, error) {
		path, err := s.dialogs.OpenFile("Open ciphertext file")
		if err != nil || path == "" {
			return OpenedBlob{}, err
		}
		b, err := readSmallFile(path, MaxBlob)
		if err != nil {
			return OpenedBlob{}, err
		}
		return OpenedBlob{Path: path, Blob: strings.TrimSpace(string(b))}, nil
	})
}

// ClipboardClearAfter is how long copied plaintext stays on the clipboard.
const ClipboardClearAfter = 30 * time.Second

// CopySecret puts decrypted text on the clipboard and clears it after
// ClipboardClearAfter, unless something else was copied meanwhile.
func (s *TextService) CopySecret(text string) error {
	return done(&s.base, "CopySecret", func(context.Context) error { return s.copySecret(text) })
}

func (s *TextService) copySecret(text string) error {
	if err := s.desktop.SetClipboard(text); err != nil {
		return errcode.Wrap(CodeUnknown, "copy to the clipboard", err)
	}
	s.clipMu.Lock()
	defer s.clipMu.Unlock()
	if s.clipStop != nil {
		s.clipStop()
	}
	after := s.afterFunc
	if after == nil {
		after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	s.clipText = text
	s.clipStop = after(ClipboardClearAfter, s.clearClipboard)
	return nil
}

// clearClipboard empties the clipboard if it still holds the copied secret (something
// the user copied meanwhile is left alone).
func (s *TextService) clearClipboard() {
	s.clipMu.Lock()
	text := s.clipText
	s.clipText, s.clipStop = "", nil
	s.clipMu.Unlock()
	if text == "" {
		return
	}
	if cur, err := s.desktop.Clipboard(); err == nil && cur == text {
		_ = s.desktop.SetClipboard("")
	}
}

// readSmallFile reads a file of at most max bytes.
func readSmallFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errcode.Wrap(CodeFileIO, "open the file", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, errcode.Wrap(CodeFileIO, "read the file", err)
	}
	if int64(len(b)) > max {
		return nil, errcode.New(CodeFileTooLarge, fmt.Sprintf("the file is larger than %d bytes", max))
	}
	return b, nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and renames it
// over path, so a crash never leaves a half-written file under the final name.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFileVia(path, data, perm, os.Rename)
}

// writeFileVia is writeFileAtomic with place putting the synced temporary file at path.
func writeFileVia(path string, data []byte, perm os.FileMode, place func(tmp, path string) error) error {
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return errcode.Wrap(CodeFileIO, "create the file", err)
	}
	err = writeSyncClose(f, data)
	if err == nil {
		err = place(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		if errcode.Code(err) != "" {
			return err
		}
		return errcode.Wrap(CodeFileIO, "write the file", err)
	}
	return nil
}

// writeSyncClose writes data to f, syncs and closes it, and returns the first error.
func writeSyncClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
