package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// partialKind says what an output holds. Callers of chooseOutput state it; stale
// partial files are recognised by their name and lock, whatever they hold.
type partialKind int

const (
	partialEnvelope  partialKind = iota // starts with the .kmsenc magic
	partialBlob                         // a CiphertextBlob text
	partialPlaintext                    // decrypted bytes
)

// target is a claimed output: the final path the output is renamed to when it is
// committed, and what chooseOutput was asked, to choose again if another program
// takes the name meanwhile.
type target struct {
	final string
	// replace commits by renaming over an existing file (policy overwrite).
	replace bool
	m       *Manager
	claimed bool

	j    *job
	it   *item
	name string // the name asked for (final may be "name (n)")
	pk   partialKind
}

// release gives up the claim on the final name (once).
func (t *target) release() {
	if t != nil && t.claimed {
		t.m.unclaim(t.final)
		t.claimed = false
	}
}

// maxRenames bounds the "name (n).ext" search.
const maxRenames = 10000

// isInput reports whether path is (or is the same file as) an input of the job.
func (j *job) isInput(path string, fi fs.FileInfo) bool {
	if j.inputs[path] {
		return true
	}
	if fi != nil {
		if id, ok := idOf(fi); ok && j.inputIDs[id] {
			return true
		}
	}
	return false
}

// ownOutputName is the name a decrypted file gets from its own file name:
// report.pdf for report.pdf.kmsenc, db.conf for db.conf.kmsblob.
func ownOutputName(it *item) string {
	ext := ExtEnvelope
	if it.kind == kindBlob {
		ext = ExtBlob
	}
	return fallbackName(filepath.Base(it.src), ext)
}

// needsForce says why a decrypted output named name (or "name (n)") may not replace
// an existing file under policy overwrite without DecryptSpec.Force ("" when it
// may). Decrypting replaces only the name the encrypted file's own name gives
// (report.pdf for report.pdf.kmsenc), and never a dot-file: a name read from inside
// the file (the metadata record of a file someone sent, say .bashrc) must not
// silently replace a file the user never named.
func (j *job) needsForce(it *item, name string) string {
	switch {
	case j.kind != KindDecrypt || j.force:
		return ""
	case strings.HasPrefix(name, "."):
		return "it is a dot-file"
	case name != ownOutputName(it):
		return "the name does not come from the encrypted file's own name (" + filepath.Base(it.src) + ")"
	}
	return ""
}

// chooseOutput picks the final path for an output named name in dir, applying the
// overwrite policy, and claims it in this process. The folder need not exist yet;
// nothing is created on disk. The returned error is a *skipError for a skipped file.
func (j *job) chooseOutput(it *item, dir, name string, pk partialKind) (*target, error) {
	policy := j.currentPolicy()
	cand := name
	n := 0
	next := func() error {
		n++
		if n > maxRenames {
			return newErr(CodeIOError, "no free name for the output in "+dir, nil)
		}
		cand = renamed(name, n)
		return nil
	}
	claimed := func(final string, replace bool) *target {
		return &target{final: final, replace: replace, m: j.m, claimed: true, j: j, it: it, name: name, pk: pk}
	}
	asked := "" // the output the user was asked about, and answered
	for {
		if err := it.ctx.Err(); err != nil {
			return nil, errCancelled
		}
		final := filepath.Join(dir, cand)
		fi, statErr := os.Lstat(final)
		exists := statErr == nil
		if samePath(final, it.src) || exists && it.info != nil && os.SameFile(fi, it.info) {
			return nil, newErr(CodeOutputIsInput, "the output would replace the input itself: "+final, nil)
		}
		j.mu.Lock()
		ours := j.produced[final]
		j.mu.Unlock()

		switch {
		case !exists:
			if j.m.claim(final) {
				return claimed(final, false), nil
			}
			// Another file of some job is about to write this name: never
			// overwrite it, take the next name.
			if err := next(); err != nil {
				return nil, err
			}
			continue
		case ours || j.m.claimed(final):
			// Written by this job a moment ago (two inputs with one output name) or
			// being written: a new name, whatever the policy.
			if err := next(); err != nil {
				return nil, err
			}
			continue
		}
		// The output exists on disk.
		if policy == PolicySkip {
			return nil, &skipError{err: newErr(CodeExists, "skipped: "+filepath.Base(final)+" already exists", nil)}
		}
		if j.isInput(final, fi) {
			if policy == PolicyRename {
				if err := next(); err != nil {
					return nil, err
				}
				continue
			}
			return nil, newErr(CodeOutputIsInput, "the output would replace another input of this job: "+final, nil)
		}
		switch policy {
		case PolicyRename:
			if err := next(); err != nil {
				return nil, err
			}
		case PolicyOverwrite:
			if fi.IsDir() {
				return nil, newErr(CodeExists, "a folder named "+filepath.Base(final)+" is in the way", nil)
			}
			// The rule looks at the name asked for: "doc (1)" derives from "doc".
			if why := j.needsForce(it, name); why != "" && asked != final {
				if j.policy != PolicyAsk {
					return nil, newErr(CodeWouldReplace, "not replacing "+cand+": "+why+"; it is replaced only when forced", nil)
				}
				// "Overwrite" was applied to all from another file's question:
				// this one is asked about on its own.
				p, err := j.askUser(it, final, true)
				if err != nil {
					return nil, err
				}
				policy, asked = p, final
				continue
			}
			if !j.m.claim(final) {
				if err := next(); err != nil {
					return nil, err
				}
				continue
			}
			return claimed(final, true), nil
		default: // ask
			p, err := j.ask(it, final)
			if err != nil {
				return nil, err
			}
			policy, asked = p, final // re-examine the same name with the decision
		}
	}
}

// cleanStale removes, once per job and folder, the partial files in dir that a
// crashed or killed writer left: files named as partialName names them that are
// regular, not an input of the job, and whose lock can be taken (a writer holds it
// until its output is renamed or deleted; the OS drops it when a process dies).
// Nothing else is ever removed: a user's own "x.partial" has another name, and a
// partial file being written is locked.
func (j *job) cleanStale(dir string) {
	if _, done := j.cleaned.LoadOrStore(dir, true); done {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !isPartialName(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if fi, err := os.Lstat(p); err != nil || j.isInput(p, fi) {
			continue
		}
		removeIfStale(p)
	}
}

// checkSpace fails with File.DiskFull when dir's filesystem has less than need bytes
// (plus 1 MiB of slack) available. Unknown free space passes. A folder not created
// yet is measured at its nearest existing parent.
func (j *job) checkSpace(dir string, need int64) error {
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	free, ok := int64(0), false
	if h := j.m.hooks.freeSpace; h != nil {
		free, ok = h(dir)
	} else {
		free, ok = freeSpace(dir)
	}
	if ok && free < need+1<<20 {
		return newErr(CodeDiskFull, fmt.Sprintf("not enough free space in %s: %s needed, %s available", dir, humanBytes(need), humanBytes(free)), nil)
	}
	return nil
}

// humanBytes formats n as "1.5 MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// outWriter writes an output; finish writes anything buffered, discard drops it.
type outWriter interface {
	io.Writer
	finish() error
	discard()
}

// plainWriter writes straight to the file.
type plainWriter struct{ f *os.File }

func (p plainWriter) Write(b []byte) (int, error) { return p.f.Write(b) }
func (plainWriter) finish() error                 { return nil }
func (plainWriter) discard()                      {}

// errLocked is lockPartial's answer when another open file holds the lock.
var errLocked = errors.New("locked by another writer")

// partialFile is an output being written: a file with a name of its own
// (partialName) in the output's folder, locked (flock, LockFileEx) from its creation
// until it is renamed to its final name or deleted. It is created at the first
// write, so a file whose data key cannot be unwrapped, or whose first chunk does not
// authenticate, leaves nothing on disk.
type partialFile struct {
	j    *job
	ctx  context.Context // the file's: cancelling it makes writes fail as cancelled
	t    *target
	size int64 // expected size (large outputs are written with O_DIRECT on Linux)

	path string // the partial file, once created
	f    *os.File
	ow   outWriter
	w    io.Writer
	err  error // why it could not be created
}

// create prepares the output of input it at t, of about size bytes. The partial file
// itself is created by the first Write (or by commit, for an empty output).
func (j *job) create(it *item, t *target, size int64) (*partialFile, error) {
	return &partialFile{j: j, ctx: it.ctx, t: t, size: size}, nil
}

// maxPartialTries bounds the attempts to create and lock a partial file (each one
// fails only when a cleaner removed the new file before it was locked).
const maxPartialTries = 10

// open creates the output's folder, removes stale partial files there, and creates
// and locks a new partial file.
func (p *partialFile) open() error {
	if p.err != nil {
		return p.err
	}
	j, dir := p.j, filepath.Dir(p.t.final)
	if err := j.mkdirDest(dir); err != nil {
		p.err = err
		return err
	}
	j.cleanStale(dir)
	for range maxPartialTries {
		path := filepath.Join(dir, partialName(filepath.Base(p.t.final)))
		f, ow, err := openPartial(path, p.size)
		if h := j.m.hooks.openPartial; h != nil && err == nil {
			if err = h(path); err != nil {
				ow.discard()
				_ = f.Close()
				_ = os.Remove(path)
			}
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			p.err = writeErr(p.ctx, dir, err)
			return p.err
		}
		switch err := lockPartial(f); {
		case errors.Is(err, errLocked):
			// A cleaner opened it between its creation and this lock, and
			// removes it: take another name.
			ow.discard()
			_ = f.Close()
			continue
		case err == nil && !stillNamed(f, path):
			// Removed by a cleaner just before the lock was taken.
			ow.discard()
			_ = f.Close()
			continue
		}
		// A file system without locks (err != nil here) still keeps writers apart
		// by the unique name; its partial files are never removed as stale.
		p.path, p.f, p.ow, p.w = path, f, ow, ow
		if h := j.m.hooks.wrapWriter; h != nil {
			p.w = h(ow)
		}
		return nil
	}
	p.err = newErr(CodeIOError, "could not create a partial file in "+dir, nil)
	return p.err
}

// Write implements io.Writer.
func (p *partialFile) Write(b []byte) (int, error) {
	if p.f == nil {
		if err := p.open(); err != nil {
			return 0, err
		}
	}
	return p.w.Write(b)
}

// retarget makes the output go to t2 (claimed by chooseOutput) instead, releasing
// the name claimed before.
func (p *partialFile) retarget(t2 *target) {
	p.t.release()
	*p.t = *t2
}

// abort deletes the partial file, if it was created.
func (p *partialFile) abort() {
	if p == nil || p.f == nil {
		return
	}
	p.ow.discard()
	_ = os.Remove(p.path) // still locked: no cleaner can be removing it too
	_ = closePartial(p.f)
	p.f = nil
}

// maxCommitTries bounds how often commit chooses a name again because another
// program created the chosen one while the output was written.
const maxCommitTries = 100

// commit makes the output durable under its final name: fsync, rename of this
// writer's own partial file (without replacing anything unless the policy is
// overwrite), then — through the still open file, never by path, so a link planted
// under the final name is not followed — the mtime and the mode, then fsync of the
// folder, and only then the lock is released. perm is set as given (a new file's
// comes from newFileMode); perm 0 keeps 0600; a zero mtime keeps the current time.
// If another program created the final name meanwhile, the overwrite policy is
// applied again (a new name, a skip, a question). On error the partial file is
// deleted.
func (p *partialFile) commit(perm fs.FileMode, mtime time.Time) error {
	if p.f == nil {
		if err := p.open(); err != nil { // nothing was written: an empty output
			return err
		}
	}
	err := p.ow.finish()
	if err == nil {
		err = p.f.Sync()
	}
	if err == nil {
		err = p.rename()
	}
	if err != nil {
		p.abort()
		return err
	}
	if h := p.j.m.hooks.afterRename; h != nil {
		h(p.t.final)
	}
	// The content is complete and durable; failing to restore the mode or mtime
	// does not fail the file.
	if !mtime.IsZero() {
		_ = setModTime(p.f, p.t.final, mtime)
	}
	if perm != 0 {
		_ = p.f.Chmod(perm)
	}
	syncDir(filepath.Dir(p.t.final))
	_ = closePartial(p.f)
	p.f = nil
	return nil
}

// rename moves the partial file to the target's final name, choosing again when
// another program took that name first.
func (p *partialFile) rename() error {
	for try := 1; ; try++ {
		var err error
		if p.t.replace {
			err = renameReplace(p.path, p.t.final)
		} else {
			err = renameNoReplace(p.path, p.t.final)
		}
		if err == nil || !errors.Is(err, fs.ErrExist) || try == maxCommitTries || p.t.it == nil {
			return err // (a target not made by chooseOutput is not chosen again)
		}
		// The final name appeared while the output was written (another process
		// of this app, or any program): decide again for the name that now exists.
		t := p.t
		t.release()
		t2, cerr := p.j.chooseOutput(t.it, filepath.Dir(t.final), t.name, t.pk)
		if cerr != nil {
			return cerr
		}
		*p.t = *t2
	}
}

// newFileMode is the mode a new output with the stored or original mode perm gets:
// perm less the process's umask, as for any new file (0666 becomes 0644 under 022).
func newFileMode(perm fs.FileMode) fs.FileMode { return perm &^ umask() }

// mkdirDest creates the output folder dir. The job's output folder (OutputDir) is
// created as given, links included: the user chose it. Below it, each folder of the
// mirrored tree is created one at a time and must then be a real folder: a symbolic
// link (or a Windows junction) planted inside the output tree is not followed, so a
// shared output folder cannot redirect outputs elsewhere.
func (j *job) mkdirDest(dir string) error {
	root := j.outDir
	rel, err := filepath.Rel(root, dir)
	if root == "" || err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		root, rel = dir, "." // next to the originals: the originals' folder
	}
	if err := os.MkdirAll(root, 0o777); err != nil {
		return mkdirErr(root, err)
	}
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
			return mkdirErr(cur, err)
		}
		fi, err := os.Lstat(cur)
		switch {
		case err != nil:
			return mkdirErr(cur, err)
		case fi.Mode()&fs.ModeSymlink != 0 || fi.IsDir() && fi.Mode().Type() != fs.ModeDir:
			return newErr(CodeSymlink, "the output folder "+cur+" is a link inside the output folder; links are not followed", nil)
		case !fi.IsDir():
			return newErr(CodeIOError, "a file is in the way of the output folder "+cur, nil)
		}
	}
	return nil
}

// mkdirErr maps a failure to create an output folder.
func mkdirErr(dir string, err error) error {
	if isDiskFull(err) {
		return newErr(CodeDiskFull, "the destination disk is full", nil)
	}
	if errors.Is(err, fs.ErrPermission) {
		return deniedIn(dir, err)
	}
	return newErr(CodeIOError, "create the output folder "+dir, err)
}

// writeErr maps a failure to create or rename an output in the folder dir: a folder
// the user may not write in gives File.PermissionDenied naming it; the rest is
// classifyErr's.
func writeErr(ctx context.Context, dir string, err error) error {
	if ctx.Err() == nil && errors.Is(err, fs.ErrPermission) {
		return deniedIn(dir, err)
	}
	return classifyErr(ctx, err, true)
}

// deniedIn is File.PermissionDenied for an output that could not be written in dir.
func deniedIn(dir string, err error) error {
	return about(dir, newErr(CodePermissionDenied, "no permission to write in the folder "+dir, err))
}

// commitErr maps a failed commit of the output at t (ctx is the file's).
func commitErr(ctx context.Context, err error, t *target) error {
	if errors.Is(err, fs.ErrExist) {
		return newErr(CodeExists, filepath.Base(t.final)+" appeared while the output was written; nothing was replaced", nil)
	}
	return writeErr(ctx, filepath.Dir(t.final), err)
}
