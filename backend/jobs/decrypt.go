package jobs

import (
	"io"
	"os"
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
		PreferRecovery: len(j.wrapper.st.ids) > 0,
	}
	if j.kind == KindVerify {
		if _, err := envelope.Verify(it.ctx, inputReader{src}, opts); err != nil {
			return "", classifyErr(it.ctx, err, false)
		}
		return "", nil
	}

	// The restored name is inside the encrypted payload, known only at the end: claim
	// the name the ciphertext's own name gives, and choose again if the record says
	// otherwise. The partial file is created at the first plaintext byte, after the
	// data key was unwrapped and the first chunk authenticated: a file that cannot be
	// decrypted leaves nothing on disk.
	provisional := ownOutputName(it)
	t, err := j.chooseOutput(it, it.destDir, provisional, partialPlaintext)
	if err != nil {
		return "", err
	}
	defer t.release()
	if err := j.checkSpace(it.destDir, it.total); err != nil {
		return "", err
	}
	pf, err := j.create(it, t, it.total)
	if err != nil {
		return "", err
	}
	res, err := envelope.Decrypt(it.ctx, pf, inputReader{src}, opts)
	if err != nil {
		pf.abort()
		return "", classifyErr(it.ctx, err, !isInputErr(err))
	}
	name := provisional
	var (
		perm  os.FileMode
		mtime time.Time
	)
	if m := res.Metadata; m != nil {
		if s := SanitizeName(m.Name); s != "" {
			name = s
		}
		perm, mtime = newFileMode(m.Mode.Perm()), m.ModTime
	}
	if name != provisional {
		t2, err := j.chooseOutput(it, it.destDir, name, partialPlaintext)
		if err != nil {
			pf.abort()
			return "", err
		}
		pf.retarget(t2)
	}
	if err := pf.commit(perm, mtime); err != nil {
		return "", commitErr(it.ctx, err, t)
	}
	return t.final, nil
}

// decryptBlobFile decrypts a CiphertextBlob file with the KMS Decrypt API.
func (j *job) decryptBlobFile(it *item, src io.Reader, fp *fileProgress) (string, error) {
	b, err := io.ReadAll(io.LimitReader(src, MaxBlobFile+1))
	if err != nil {
		return "", classifyErr(it.ctx, err, false)
	}
	if !IsBlob(b) {
		return "", newErr(CodeNotEncrypted, "the file no longer holds a KMS ciphertext", nil)
	}
	plain, _, err := j.wrapper.DecryptBlob(it.ctx, strings.TrimSpace(string(b)), j.blobEC)
	defer clear(plain)
	if err != nil {
		return "", classifyErr(it.ctx, err, false)
	}
	if j.kind == KindVerify {
		fp.update(int64(len(plain)))
		return "", nil
	}
	t, err := j.chooseOutput(it, it.destDir, ownOutputName(it), partialPlaintext)
	if err != nil {
		return "", err
	}
	defer t.release()
	if err := j.checkSpace(it.destDir, int64(len(plain))); err != nil {
		return "", err
	}
	pf, err := j.create(it, t, int64(len(plain)))
	if err != nil {
		return "", err
	}
	if _, err := pf.Write(plain); err != nil {
		pf.abort()
		return "", classifyErr(it.ctx, err, true)
	}
	fp.update(int64(len(plain)))
	if err := pf.commit(0, time.Time{}); err != nil {
		return "", commitErr(it.ctx, err, t)
	}
	return t.final, nil
}
