package jobs

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// encryptedSize is the size of the .kmsenc file for a plaintext of p bytes with the
// metadata record, given a header of about h bytes (docs/FORMAT.md §6).
func encryptedSize(p int64, h int64) int64 {
	s := p + envelope.MetadataSize
	return h + s/envelope.ChunkSize*envelope.SealedChunkSize + s%envelope.ChunkSize + envelope.TagSize
}

// encryptFile encrypts one file and returns the output path.
func (j *job) encryptFile(it *item, fp *fileProgress) (string, error) {
	src, fi, err := j.openInput(it)
	if err != nil {
		return "", err
	}
	defer src.Close()
	size := fi.Size()
	// An empty file cannot go through the Encrypt API (Plaintext is required).
	direct := j.enc.Direct && size > 0 && size <= kms.MaxPlaintext
	base := filepath.Base(it.src)
	name, pk, need := base+ExtEnvelope, partialEnvelope, encryptedSize(size, 1024)
	if direct {
		name, pk, need = base+ExtBlob, partialBlob, MaxBlobFile
	}
	if len(name) > MaxNameBytes {
		return "", newErr(CodeIOError, "the output name would be longer than 255 bytes", nil)
	}
	t, err := j.chooseOutput(it, it.destDir, name, pk)
	if err != nil {
		return "", err
	}
	defer t.release()
	if err := j.checkSpace(it.destDir, need); err != nil {
		return "", err
	}

	var plain []byte // direct mode only: kept to verify the blob for RemoveOriginals
	defer func() { clear(plain) }()
	pf, err := func() (*partialFile, error) {
		if direct {
			var blob string
			plain, blob, err = j.encryptBlob(it.ctx, src, size)
			if err != nil {
				return nil, err
			}
			pf, err := j.create(it, t, 0)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(pf, blob); err != nil {
				pf.abort()
				return nil, classifyErr(it.ctx, err, true)
			}
			fp.update(int64(len(plain)))
			return pf, nil
		}
		dk, suite, release, err := j.keys.acquire(it.ctx, size)
		if err != nil {
			return nil, classifyErr(it.ctx, err, false)
		}
		defer release()
		pf, err := j.create(it, t, need)
		if err != nil {
			return nil, err
		}
		meta := &envelope.Metadata{Name: storableName(base), Size: size, ModTime: fi.ModTime(), Mode: fi.Mode()}
		_, err = envelope.Encrypt(it.ctx, pf, inputReader{src}, dk, envelope.EncryptOptions{
			Suite: suite, Metadata: meta, Creator: j.m.opts.Creator, Workers: j.m.opts.Workers, Progress: fp.update,
		})
		if err != nil {
			pf.abort()
			return nil, classifyErr(it.ctx, err, !isInputErr(err))
		}
		return pf, nil
	}()
	if err != nil {
		return "", err
	}
	// The output keeps the original's permissions (without execute bits, less the
	// umask) and gets the current time: it is a new file; the original time travels
	// inside.
	if err := pf.commit(newFileMode(fi.Mode().Perm()&0o666), time.Time{}); err != nil {
		return "", commitErr(it.ctx, err, t)
	}
	if !j.enc.RemoveOriginals {
		return t.final, nil
	}
	// Windows does not delete a file that is open (Go opens files without
	// FILE_SHARE_DELETE): the input is closed before the original is removed.
	src.Close()
	return t.final, j.removeOriginal(it, fi, t.final, plain, direct)
}

// storableName is base if the metadata record can hold it, else "" (decryption then
// falls back to the ciphertext's own name).
func storableName(base string) string {
	if len(base) > envelope.MaxNameSize || strings.ContainsAny(base, `/\`) || base == "." || base == ".." {
		return ""
	}
	for _, r := range base {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return ""
		}
	}
	return base
}

// encryptBlob reads a small file and encrypts it with the KMS Encrypt API (direct
// mode, the seed's flow). It returns the plaintext (the caller zeroes it) and the blob.
func (j *job) encryptBlob(ctx context.Context, src io.Reader, size int64) ([]byte, string, error) {
	plain, err := io.ReadAll(io.LimitReader(src, kms.MaxPlaintext+1))
	if err != nil {
		clear(plain)
		return nil, "", classifyErr(ctx, err, false)
	}
	if int64(len(plain)) != size {
		clear(plain)
		return nil, "", envelope.ErrInputChanged
	}
	blob, _, err := j.wrapper.EncryptBlob(ctx, j.enc.KeyID, plain, j.enc.EncryptionContext)
	if err != nil {
		clear(plain)
		return nil, "", classifyErr(ctx, err, false)
	}
	return plain, blob, nil
}

// removeOriginal re-opens the committed output, verifies it completely (KMS unwrap
// included) and then deletes the original, unless it changed since it was read. A
// failed verification deletes the bad output and keeps the original.
func (j *job) removeOriginal(it *item, fi fs.FileInfo, output string, plain []byte, direct bool) error {
	if h := j.m.hooks.beforeVerify; h != nil {
		h(output)
	}
	verr := func() error {
		f, err := os.Open(output)
		if err != nil {
			return classifyErr(it.ctx, err, false)
		}
		defer f.Close()
		if direct {
			b, err := io.ReadAll(io.LimitReader(f, MaxBlobFile+1))
			if err != nil {
				return classifyErr(it.ctx, err, false)
			}
			got, _, err := j.wrapper.DecryptBlob(it.ctx, strings.TrimSpace(string(b)), j.enc.EncryptionContext)
			defer clear(got)
			if err != nil {
				return classifyErr(it.ctx, err, false)
			}
			if !bytes.Equal(got, plain) {
				return envelope.ErrAuthenticationFailed
			}
			return nil
		}
		res, err := envelope.Verify(it.ctx, f, envelope.DecryptOptions{Unwrapper: j.wrapper, Workers: j.m.opts.Workers})
		if err != nil {
			return classifyErr(it.ctx, err, false)
		}
		if res.PlaintextSize != fi.Size() {
			return envelope.ErrAuthenticationFailed
		}
		return nil
	}()
	if verr != nil {
		if codeOf(verr) == CodeCancelled {
			return &keptOriginal{msg: "encrypted; the original was kept because the job was cancelled before verification"}
		}
		_ = os.Remove(output)
		syncDir(filepath.Dir(output))
		code, msg := describe(verr)
		return newErr(code, "verification of the encrypted file failed, so it was deleted and the original kept: "+msg, verr)
	}
	now, err := os.Lstat(it.src)
	if err != nil || !os.SameFile(now, fi) || now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
		return newErr(CodeChanged, "the original changed after it was encrypted, so it was kept; encrypt it again", nil)
	}
	if err := os.Remove(it.src); err != nil {
		return newErr(CodeIOError, "encrypted and verified, but the original could not be removed", err)
	}
	syncDir(filepath.Dir(it.src))
	return nil
}

// keptOriginal is a success with a note: the output is good but the original stays.
type keptOriginal struct{ msg string }

func (k *keptOriginal) Error() string { return k.msg }
