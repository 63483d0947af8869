package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// partialKind says what a partial file holds, for the stale-file rule.
type partialKind int

const (
	partialEnvelope  partialKind = iota // starts with the .kmsenc magic
	partialBlob                         // a CiphertextBlob text
	partialPlaintext                    // decrypted bytes
)

// target is a claimed output: its final path and the partial file written first.
type target struct {
	final   string
	partial string
	// replace commits by renaming over an existing file (policy overwrite).
	replace bool
	m       *Manager
}

// release gives up the claim on the final name.
func (t *target) release() {
	if t != nil {
		t.m.unclaim(t.final)
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

// chooseOutput picks the final path for an output named name in dir, applying the
// overwrite policy, and claims it. A stale partial file left by a crash is removed
// on the way. The returned error is a *skipError for a skipped file.
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
	for {
		if err := j.ctx.Err(); err != nil {
			return nil, errCancelled
		}
		final := filepath.Join(dir, cand)
		fi, statErr := os.Lstat(final)
		exists := statErr == nil
		if samePath(final, it.src) || exists && it.info != nil && os.SameFile(fi, it.info) {
			return nil, newErr(CodeOutputIsInput, "the output would replace the input itself: "+final, nil)
		}
		partial := final + ExtPartial
		j.removeStale(partial, pk)
		_, perr := os.Lstat(partial)
		busy := perr == nil // a partial file we may not remove: someone is writing it
		j.mu.Lock()
		ours := j.produced[final]
		j.mu.Unlock()

		switch {
		case !exists && !busy:
			if j.m.claim(final) {
				return &target{final: final, partial: partial, m: j.m}, nil
			}
			// Another file of some job is about to write this name: never
			// overwrite it, take the next name.
			if err := next(); err != nil {
				return nil, err
			}
			continue
		case busy || ours || j.m.claimed(final):
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
			if !j.m.claim(final) {
				if err := next(); err != nil {
					return nil, err
				}
				continue
			}
			return &target{final: final, partial: partial, replace: true, m: j.m}, nil
		default: // ask
			p, err := j.ask(it, final)
			if err != nil {
				return nil, err
			}
			policy = p // re-examine the same name with the decision
		}
	}
}

// removeStale deletes partial if it is a leftover of an interrupted run: a regular
// file, not an input, last modified before this job started, created with mode 0600
// (on Unix), and for encrypted outputs starting like one. A partial file written now
// by someone else is newer than the job and stays.
func (j *job) removeStale(partial string, pk partialKind) {
	fi, err := os.Lstat(partial)
	if err != nil || !fi.Mode().IsRegular() || j.isInput(partial, fi) || !fi.ModTime().Before(j.started) {
		return
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		return
	}
	switch pk {
	case partialEnvelope:
		if fi.Size() > 0 && !startsWith(partial, envelope.Magic[:]) {
			return
		}
	case partialBlob:
		if fi.Size() > MaxBlobFile {
			return
		}
		if b, err := os.ReadFile(partial); err != nil || len(b) > 0 && !IsBlob(b) {
			return
		}
	}
	_ = os.Remove(partial)
}

// startsWith reports whether the file begins with prefix (or with a prefix of it,
// when the file is shorter).
func startsWith(path string, prefix []byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, len(prefix))
	n, _ := io.ReadFull(f, buf)
	return n > 0 && bytes.Equal(buf[:n], prefix[:n])
}

// checkSpace fails with File.DiskFull when dir's filesystem has less than need bytes
// (plus 1 MiB of slack) available. Unknown free space passes.
func (j *job) checkSpace(dir string, need int64) error {
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

// partialFile is an output being written.
type partialFile struct {
	t  *target
	f  *os.File
	ow outWriter
	w  io.Writer
}

// create opens t.partial exclusively with mode 0600 for an output of about size bytes.
func (j *job) create(t *target, size int64) (*partialFile, error) {
	f, ow, err := openPartial(t.partial, size)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, newErr(CodeIOError, "another program is writing "+t.partial, nil)
		}
		return nil, classifyErr(j.ctx, err, true)
	}
	p := &partialFile{t: t, f: f, ow: ow, w: ow}
	if h := j.m.hooks.wrapWriter; h != nil {
		p.w = h(ow)
	}
	return p, nil
}

// Write implements io.Writer.
func (p *partialFile) Write(b []byte) (int, error) { return p.w.Write(b) }

// abort deletes the partial file.
func (p *partialFile) abort() {
	if p == nil || p.f == nil {
		return
	}
	p.ow.discard()
	_ = p.f.Close()
	_ = os.Remove(p.t.partial)
	p.f = nil
}

// commit makes the output durable under its final name: fsync, rename (without
// replacing anything unless the policy is overwrite), then mode and mtime, then fsync
// of the folder. Until the rename the partial file keeps mode 0600 and its real
// mtime, which is what the stale-file rule relies on after a crash. perm 0 keeps
// 0600; a zero mtime keeps the current time. On error the partial file is deleted.
func (p *partialFile) commit(perm fs.FileMode, mtime time.Time) error {
	err := p.ow.finish()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err == nil {
		if p.t.replace {
			err = os.Rename(p.t.partial, p.t.final)
		} else {
			err = renameNoReplace(p.t.partial, p.t.final)
		}
	}
	if err != nil {
		_ = os.Remove(p.t.partial)
		return err
	}
	// The content is complete and durable; failing to restore the mode or mtime
	// does not fail the file.
	if perm != 0 {
		_ = os.Chmod(p.t.final, perm)
	}
	if !mtime.IsZero() {
		_ = os.Chtimes(p.t.final, time.Time{}, mtime)
	}
	syncDir(filepath.Dir(p.t.final))
	return nil
}
