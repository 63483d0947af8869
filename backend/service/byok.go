package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Bring your own key: import key material from a file into an EXTERNAL key, and
// delete it again. The file is read here, in Go; its content never travels to the UI,
// into a log or into an error message.

// maxMaterialFile bounds a key material file, in bytes: the largest form accepted is
// base64 of 32 bytes with some whitespace.
const maxMaterialFile = 1024

// parseMaterial returns the key material a material file holds: 16 or 32 bytes, as
// they are (raw binary), or written as hex (32 or 64 digits) or standard base64 text,
// with surrounding whitespace. A file made only of hex, base64 and whitespace
// characters is text, never raw material (16 or 32 random bytes are all such
// characters with a chance below 1 in 10⁹).
func parseMaterial(data []byte) ([]byte, error) {
	text := bytes.Trim(data, " \t\r\n") // the whitespace isText allows, no more
	if n := len(text); (n == 2*kms.MaterialSizeSM4 || n == 2*kms.MaterialSizeAES256) && isHex(text) {
		out := make([]byte, n/2)
		if _, err := hex.Decode(out, text); err == nil {
			return out, nil
		}
	}
	if out, err := base64.StdEncoding.DecodeString(string(text)); err == nil && materialSize(len(out)) {
		return out, nil
	}
	if materialSize(len(data)) && !isText(data) {
		return bytes.Clone(data), nil
	}
	return nil, errcode.New(CodeBadMaterial, fmt.Sprintf(
		"the file (%d bytes) holds no key: key material is 16 bytes (SM4) or 32 bytes (AES-256), raw or as hex or base64 text", len(data)))
}

func materialSize(n int) bool { return n == kms.MaterialSizeSM4 || n == kms.MaterialSizeAES256 }

// isText reports whether b holds only base64 (and so hex) characters and whitespace.
func isText(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
		case c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			return false
		}
	}
	return true
}

func isHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// readMaterial reads and parses a key material file.
func readMaterial(path string) ([]byte, error) {
	if path == "" {
		return nil, invalid("choose a key material file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errcode.Wrap(CodeFileIO, "open the key material file", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errcode.New(CodeBadMaterial, "the key material must be a regular file")
	}
	data, err := readSmallFile(path, maxMaterialFile)
	if errcode.Code(err) == CodeFileTooLarge {
		return nil, errcode.New(CodeBadMaterial, fmt.Sprintf("the file is larger than %d bytes, so it is not a key material file", maxMaterialFile))
	}
	if err != nil {
		return nil, err
	}
	defer wipe(data)
	return parseMaterial(data)
}

// regionMaterialSize is the size of material the current region imports: 16 bytes in
// national-standard (SM4) regions, 32 elsewhere.
func regionMaterialSize(ctx context.Context, c *kms.Client) (int, error) {
	a, err := c.ListAlgorithms(ctx)
	if err != nil {
		return 0, err
	}
	if a.NationalStandard() {
		return kms.MaterialSizeSM4, nil
	}
	return kms.MaterialSizeAES256, nil
}

func errMaterialSize(got, want int) error {
	return errcode.New(CodeMaterialSize, fmt.Sprintf("the file holds %d-bit key material; keys in this region take %d-bit material", got*8, want*8))
}

// PickMaterial asks for a key material file to import into keyID and checks it: the
// answer tells its size, the size the key's region takes, and what is wrong with it
// if anything. A cancelled dialog answers an empty Path.
func (s *KeyService) PickMaterial(keyID string) (MaterialFile, error) {
	return callKMS(&s.base, "PickMaterial", func(ctx context.Context, c *kms.Client) (MaterialFile, error) {
		want, err := regionMaterialSize(ctx, c)
		if err != nil {
			return MaterialFile{}, err
		}
		path, err := s.dialogs.OpenFile("Choose the key material file")
		if err != nil || path == "" {
			return MaterialFile{}, err
		}
		mf := MaterialFile{Path: path, Name: filepath.Base(path), WantBits: want * 8}
		m, err := readMaterial(path)
		switch {
		case err != nil:
			mf.Problem = ErrorCode(err)
		case len(m) != want:
			mf.Bits, mf.Problem = len(m)*8, CodeMaterialSize
		default:
			mf.Bits = len(m) * 8
		}
		wipe(m)
		return mf, nil
	})
}

// ImportMaterial imports the key material in a file into an EXTERNAL key (the
// material is wrapped here with the service's public key; see kms.ImportMaterial) and
// returns the key, now Enabled. Importing again into a key that had material needs
// the same material.
func (s *KeyService) ImportMaterial(in ImportMaterialInput) (Key, error) {
	return s.change("ImportMaterial", in.KeyID, func(ctx context.Context, c *kms.Client) error {
		if !valid(AllWrappingAlgorithms, in.Wrapping) {
			return invalid(fmt.Sprintf("unknown wrapping algorithm %q", in.Wrapping))
		}
		if in.ValidTo != 0 && (in.ValidTo <= time.Now().Unix() || in.ValidTo > kms.MaxValidTo) {
			return invalid("the expiry must be in the future and no later than 2038-01-19")
		}
		m, err := readMaterial(in.Path)
		if err != nil {
			return err
		}
		defer wipe(m)
		want, err := regionMaterialSize(ctx, c)
		if err != nil {
			return err
		}
		if len(m) != want {
			return errMaterialSize(len(m), want)
		}
		if err := c.ImportMaterial(ctx, in.KeyID, m, kms.ImportOptions{Wrapping: string(in.Wrapping), ValidTo: in.ValidTo}); err != nil {
			return err
		}
		s.log.Info("key material imported", "keyId", in.KeyID, "bits", len(m)*8, "validTo", in.ValidTo)
		return nil
	})
}

// DeleteMaterial deletes the imported material of an EXTERNAL key: the key becomes
// PendingImport, and what it encrypted can be decrypted again only after the same
// material is imported.
func (s *KeyService) DeleteMaterial(keyID string) (Key, error) {
	return s.change("DeleteMaterial", keyID, func(ctx context.Context, c *kms.Client) error {
		return c.DeleteImportedMaterial(ctx, keyID)
	})
}

// wipe overwrites b with zeros.
func wipe(b []byte) { clear(b) }
