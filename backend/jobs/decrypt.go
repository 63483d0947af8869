package jobs

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// decryptFile decrypts (or, in a verify job, verifies) one encrypted file and returns
// the output path.
func (j *job) decryptFile(it *item, fp *fileProgress) (string, error) {
	src, _, err := j.openInput(it)
	if err != nil {
		return "", err
	}
	defer src.Close()
	if it.kind == kindBlob {
		return j.decryptBlobFile(it, src, fp)
	}
	opts := envelope.DecryptOptions{
		Unwrapper:      j.wrapper,
		RequireContext: j.requireCtx,
		Workers:        j.m.opts.Workers,
		Progress:       fp.update,
	}
	if j.kind == KindVerify {
		if _, err := envelope.Verify(j.ctx, inputReader{src}, opts); err != nil {
			return "", classifyErr(j.ctx, err, false)
		}
		return "", nil
	}

	// The restored name is inside the encrypted payload, known only at the end: write
	// under the name the ciphertext suggests, and rename if the record says otherwise.
	provisional := fallbackName(filepath.Base(it.src), ExtEnvelope)
	if err := j.mkdirDest(it.destDir); err != nil {
		return "", err
	}
	t, err := j.chooseOutput(it, it.destDir, provisional, partialPlaintext)
	if err != nil {
		return "", err
	}
	defer func() { t.release() }()
	if err := j.checkSpace(it.destDir, it.total); err != nil {
		return "", err
	}
	pf, err := j.create(t, it.total)
	if err != nil {
		return "", err
	}
	res, err := envelope.Decrypt(j.ctx, pf, inputReader{src}, opts)
	if err != nil {
		pf.abort()
		return "", classifyErr(j.ctx, err, !isInputErr(err))
	}
	name := provisional
	var perm os.FileMode
	if m := res.Metadata; m != nil {
		if s := SanitizeName(m.Name); s != "" {
			name = s
		}
		perm = m.Mode.Perm()
	}
	if name != provisional {
		t2, err := j.chooseOutput(it, it.destDir, name, partialPlaintext)
		if err != nil {
			pf.abort()
			return "", err
		}
		t.release()
		t = &target{final: t2.final, partial: t.partial, replace: t2.replace, m: j.m}
		pf.t = t
	}
	var mtime time.Time
	if m := res.Metadata; m != nil {
		mtime = m.ModTime
	}
	if err := pf.commit(perm, mtime); err != nil {
		return "", commitErr(j, err, t)
	}
	return t.final, nil
}

// decryptBlobFile decrypts a CiphertextBlob file with the KMS Decrypt API.
func (j *job) decryptBlobFile(it *item, src io.Reader, fp *fileProgress) (string, error) {
	b, err := io.ReadAll(io.LimitReader(src, MaxBlobFile+1))
	if err != nil {
		return "", classifyErr(j.ctx, err, false)
	}
	if !IsBlob(b) {
		return "", newErr(CodeNotEncrypted, "the file no longer holds a KMS ciphertext", nil)
	}
	plain, _, err := j.wrapper.DecryptBlob(j.ctx, strings.TrimSpace(string(b)), j.blobEC)
	defer clear(plain)
	if err != nil {
		return "", classifyErr(j.ctx, err, false)
	}
	if j.kind == KindVerify {
		fp.update(int64(len(plain)))
		return "", nil
	}
	if err := j.mkdirDest(it.destDir); err != nil {
		return "", err
	}
	t, err := j.chooseOutput(it, it.destDir, fallbackName(filepath.Base(it.src), ExtBlob), partialPlaintext)
	if err != nil {
		return "", err
	}
	defer t.release()
	if err := j.checkSpace(it.destDir, int64(len(plain))); err != nil {
		return "", err
	}
	pf, err := j.create(t, int64(len(plain)))
	if err != nil {
		return "", err
	}
	if _, err := pf.Write(plain); err != nil {
		pf.abort()
		return "", classifyErr(j.ctx, err, true)
	}
	fp.update(int64(len(plain)))
	if err := pf.commit(0, time.Time{}); err != nil {
		return "", commitErr(j, err, t)
	}
	return t.final, nil
}
