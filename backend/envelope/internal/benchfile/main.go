// Command benchfile encrypts or decrypts one file with backend/envelope, for
// measuring the streaming engine against cp on the same disk
// (scripts/bench-envelope.sh). It wraps data keys with a local AES-256-GCM master
// key instead of KMS, so it measures the file path only.
//
// Usage:
//
//	benchfile -mode encrypt -key master.key [-suite sm4] -in big.bin -out big.bin.kmsenc
//	benchfile -mode decrypt -key master.key -in big.bin.kmsenc -out big.bin
//
// The master key file (32 bytes) is created on first use with mode 0600.
package main

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

const keyID = "bench-local-key"

// localWrapper wraps data keys with a local master key (AES-256-GCM, random nonce).
type localWrapper struct{ aead cipher.AEAD }

func (w localWrapper) GenerateDataKey(ctx context.Context, id, ec string) ([]byte, string, string, error) {
	dek := make([]byte, envelope.DataKeySize)
	if _, err := rand.Read(dek); err != nil {
		return nil, "", "", err
	}
	wrapped, resolved, err := w.WrapKey(ctx, id, dek, ec)
	return dek, wrapped, resolved, err
}

func (w localWrapper) WrapKey(_ context.Context, id string, dek []byte, ec string) (string, string, error) {
	if id != keyID {
		return "", "", fmt.Errorf("unknown key %q", id)
	}
	nonce := make([]byte, w.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(w.aead.Seal(nonce, nonce, dek, []byte(ec))), keyID, nil
}

func (w localWrapper) UnwrapKey(_ context.Context, s envelope.Slot, ec string) ([]byte, string, error) {
	blob, err := base64.StdEncoding.DecodeString(s.WrappedKey)
	if err != nil || len(blob) < w.aead.NonceSize() {
		return nil, "", errors.New("malformed wrapped key")
	}
	n := w.aead.NonceSize()
	dek, err := w.aead.Open(nil, blob[:n], blob[n:], []byte(ec))
	if err != nil {
		return nil, "", errors.New("unwrap data key: authentication failed")
	}
	return dek, keyID, nil
}

func loadKey(path string) ([]byte, error) {
	k, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k = make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return k, os.WriteFile(path, k, 0o600)
	}
	if err != nil {
		return nil, err
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("master key file %s holds %d bytes, want 32", path, len(k))
	}
	return k, nil
}

func run() error {
	mode := flag.String("mode", "", "encrypt or decrypt")
	in := flag.String("in", "", "input file")
	out := flag.String("out", "", "output file")
	keyPath := flag.String("key", "benchfile.key", "master key file (created if missing)")
	workers := flag.Int("workers", 0, "AEAD goroutines (0 = one per CPU)")
	suiteName := flag.String("suite", "aes", "encrypt: aes (AES-256-GCM, suite 0x0001) or sm4 (SM4-GCM, suite 0x0002)")
	flag.Parse()
	suite := map[string]uint16{"aes": envelope.SuiteCobblestone256, "sm4": envelope.SuiteSM4GCMSM3}[*suiteName]
	if suite == 0 {
		return fmt.Errorf("unknown -suite %q (aes or sm4)", *suiteName)
	}
	if *in == "" || *out == "" {
		return errors.New("need -in and -out")
	}
	k, err := loadKey(*keyPath)
	if err != nil {
		return fmt.Errorf("load master key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	w := localWrapper{aead: aead}

	src, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer dst.Close()

	ctx := context.Background()
	start := time.Now()
	var n int64
	switch *mode {
	case "encrypt":
		dk, err := envelope.NewDataKey(ctx, w, envelope.KeyRef{KeyID: keyID}, nil, "")
		if err != nil {
			return err
		}
		defer dk.Destroy()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		meta := &envelope.Metadata{Name: st.Name(), Size: st.Size(), ModTime: st.ModTime(), Mode: st.Mode()}
		if _, err := envelope.Encrypt(ctx, dst, src, dk, envelope.EncryptOptions{Suite: suite, Metadata: meta, Workers: *workers, Creator: "benchfile"}); err != nil {
			return err
		}
		n = st.Size()
	case "decrypt":
		res, err := envelope.Decrypt(ctx, dst, src, envelope.DecryptOptions{Unwrapper: w, Workers: *workers})
		if err != nil {
			return err
		}
		n = res.PlaintextSize
	default:
		return fmt.Errorf("unknown -mode %q", *mode)
	}
	if err := dst.Close(); err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "%s %d bytes in %.3f s (%.0f MB/s)\n", *mode, n, d.Seconds(), float64(n)/d.Seconds()/1e6)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchfile:", err)
		os.Exit(1)
	}
}
