package jobs

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// KindRewrap changes the keys of .kmsenc files in place (docs/FORMAT.md §7).
const KindRewrap Kind = "rewrap"

// CodeCannotRewrap: a CiphertextBlob file has no header whose keys could change.
const CodeCannotRewrap = "File.CannotRewrap"

// RewrapSpec is a re-wrap request: each .kmsenc file among Paths (folders searched
// recursively) gets new key slots, its payload bytes unchanged. Blob files are
// reported, not changed.
type RewrapSpec struct {
	Paths []string
	// Keep reports whether an existing slot stays (nil keeps every slot).
	Keep func(envelope.Slot) bool
	// Add are keys that get a slot in every file. A reference without a region gets
	// the destination's default region; aliases must already be resolved to KeyIds.
	Add []envelope.KeyRef
	// AddRecovery are offline recovery keys that get a slot in every file.
	AddRecovery []envelope.Recipient
	// Identities open recovery slots (tried first, without KMS).
	Identities []envelope.Identity
	// Dest reaches the KMS of the added keys when it is not the job's (another
	// profile); nil means the job's KMS.
	Dest ClientSource
}

// rewrapState is a re-wrap job's resolved request.
type rewrapState struct {
	spec RewrapSpec
	dest *Wrapper

	once sync.Once
	adds []envelope.KeyRef
	err  error
}

// additions resolves the keys to add once per job (regions, local-KMS slots).
func (r *rewrapState) additions(ctx context.Context) ([]envelope.KeyRef, error) {
	r.once.Do(func() {
		for _, ref := range r.spec.Add {
			res, err := r.dest.Resolve(ctx, ref)
			if err != nil {
				r.err = err
				return
			}
			r.adds = append(r.adds, res)
		}
	})
	return r.adds, r.err
}

// Rewrap plans and starts a re-wrap job.
func (m *Manager) Rewrap(ctx context.Context, s RewrapSpec) (Info, error) {
	if err := checkPaths(s.Paths); err != nil {
		return Info{}, err
	}
	if s.Keep == nil && len(s.Add) == 0 && len(s.AddRecovery) == 0 {
		return Info{}, invalidReq("nothing to change: give keys to add or to remove")
	}
	if len(s.Add)+len(s.AddRecovery) > envelope.MaxSlots {
		return Info{}, invalidReq(fmt.Sprintf("at most %d keys", envelope.MaxSlots))
	}
	j := m.newJob(ctx, KindRewrap, PolicyOverwrite)
	j.wrapper.st.ids = s.Identities
	j.rewrap = &rewrapState{spec: s, dest: j.wrapper}
	if s.Dest != nil {
		j.rewrap.dest = newWrapper(s.Dest, m.limit)
	}
	return m.start(j, plan(KindRewrap, s.Paths, planOptions{recursive: true}))
}

// rewrapFile re-wraps one file: a new file with the new header and the same payload
// is written next to it, synced, checked, and renamed over it. The original stays
// until then, and stays as it was if anything fails.
func (j *job) rewrapFile(it *item, fp *fileProgress) (string, error) {
	if it.kind == kindBlob {
		return "", newErr(CodeCannotRewrap, "a KMS ciphertext file has no header whose keys could change: decrypt it and encrypt it again", nil)
	}
	adds, err := j.rewrap.additions(j.ctx)
	if err != nil {
		return "", classifyErr(it.ctx, err, false)
	}
	src, fi, err := j.openInput(it)
	if err != nil {
		return "", err
	}
	defer src.Close()
	if !j.m.claim(it.src) {
		return "", newErr(CodeIOError, "another job is writing this file", nil)
	}
	t := &target{final: it.src, replace: true, m: j.m, claimed: true}
	defer t.release()
	dir := it.destDir
	if err := j.checkSpace(dir, fi.Size()+envelope.MaxHeaderBodySize); err != nil {
		return "", err
	}
	pf, err := j.create(it, t, fi.Size())
	if err != nil {
		return "", err
	}
	spec := j.rewrap.spec
	_, err = envelope.Rewrap(it.ctx, pf, inputReader{src}, envelope.RewrapOptions{
		Unwrapper: j.wrapper, PreferRecovery: len(spec.Identities) > 0, Keep: spec.Keep,
		Add: adds, Wrapper: j.rewrap.dest, AddRecovery: spec.AddRecovery,
		Workers: j.m.opts.Workers, Progress: fp.update,
	})
	if err != nil {
		pf.abort()
		return "", classifyErr(it.ctx, err, !isInputErr(err))
	}
	// Windows does not rename a file over one that is open (Go opens files without
	// FILE_SHARE_DELETE): the input is closed before the new file replaces it.
	src.Close()
	// Someone else changing the file meanwhile wins: nothing is replaced.
	if now, err := os.Lstat(it.src); err != nil || !os.SameFile(now, fi) || now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
		pf.abort()
		return "", newErr(CodeChanged, "the file changed while its keys were being changed; nothing was replaced, try again", nil)
	}
	if err := pf.commit(fi.Mode().Perm(), time.Time{}); err != nil {
		return "", commitErr(it.ctx, err, t)
	}
	return t.final, nil
}
