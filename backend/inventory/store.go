package inventory

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
)

// OfflineKeep is how long an entry whose file and folder are both gone (a drive that
// is not connected, a removed folder) is kept before it is dropped.
const OfflineKeep = 90 * 24 * time.Hour

// lockWait bounds how long a Store waits for another program to release the lock.
const lockWait = 10 * time.Second

// Options tune a Store (zero values: the defaults).
type Options struct {
	// MaxEntries replaces the package's MaxEntries (tests).
	MaxEntries int
	// Now replaces the clock (tests).
	Now func() time.Time
	// LockWait replaces how long to wait for the lock (default 10 s).
	LockWait time.Duration
}

// Store is the inventory file at one path. Every call takes the file's lock, reads
// it, and writes it back whole if it changed; nothing is cached, so several Stores
// (in one process or in several) share the file safely.
type Store struct {
	path string
	opts Options
}

// Open returns the Store of the inventory file at path (its folder is created with
// 0700 on the first write). Nothing is read until it is used.
func Open(path string, o Options) *Store {
	if o.MaxEntries <= 0 {
		o.MaxEntries = MaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockWait <= 0 {
		o.LockWait = lockWait
	}
	return &Store{path: path, opts: o}
}

// Path is where the inventory file is.
func (s *Store) Path() string { return s.path }

// Add records files KMS Desk wrote or re-wrapped (entries from ReadEntry): an entry
// for the same path is replaced. Recorded is set to now. Beyond MaxEntries the
// oldest recorded entries are dropped. A damaged inventory file is moved aside
// (".corrupt") and a new one started.
func (s *Store) Add(entries ...Entry) error {
	now := s.opts.Now().Unix()
	return s.update(true, func(list []Entry) ([]Entry, bool) {
		at := make(map[string]int, len(list))
		for i, e := range list {
			at[e.Path] = i
		}
		for _, e := range entries {
			if e.validate() != nil {
				continue
			}
			e.Recorded, e.Missing = now, 0
			if i, ok := at[e.Path]; ok {
				list[i] = e
			} else {
				at[e.Path] = len(list)
				list = append(list, e)
			}
		}
		return list, true
	})
}

// List returns the recorded files that are still there, sorted by path, after
// checking each: an entry whose file is gone is dropped; one whose size or time
// changed has its header read again (dropped if it is no longer a .kmsenc file); one
// whose folder is gone too is kept, marked offline, for OfflineKeep. What changed is
// written back.
func (s *Store) List() ([]Entry, error) {
	var out []Entry
	err := s.update(false, func(list []Entry) ([]Entry, bool) {
		now := s.opts.Now()
		kept := list[:0]
		changed := false
		for _, e := range list {
			n, keep := refresh(e, now)
			if !keep {
				changed = true
				continue
			}
			if !equalEntry(n, e) {
				changed = true
			}
			kept = append(kept, n)
		}
		out = slices.Clone(kept)
		return kept, changed
	})
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out, err
}

// refresh checks one entry against the file system: the entry to keep (changed or
// not) and whether to keep it at all.
func refresh(e Entry, now time.Time) (Entry, bool) {
	fi, err := os.Lstat(e.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
		if _, derr := os.Lstat(filepath.Dir(e.Path)); derr == nil {
			return e, false // the folder is there, the file is not: gone
		}
		if e.Missing == 0 {
			e.Missing = now.Unix()
			return e, true
		}
		return e, now.Sub(time.Unix(e.Missing, 0)) < OfflineKeep
	case err != nil:
		return e, true // unreadable now (permissions, I/O): keep what is known
	case !fi.Mode().IsRegular():
		return e, false
	}
	e.Missing = 0
	if fi.Size() == e.Size && fi.ModTime().UnixNano() == e.ModTime {
		return e, true
	}
	n, err := ReadEntry(e.Path)
	switch {
	case err == nil:
		n.Recorded = e.Recorded
		return n, true
	case strings.HasPrefix(errcode.Code(err), "Envelope."):
		return e, false // no longer a .kmsenc file this version reads
	}
	return e, true
}

func equalEntry(a, b Entry) bool {
	return a.Path == b.Path && a.Size == b.Size && a.ModTime == b.ModTime && a.Recorded == b.Recorded &&
		a.Missing == b.Missing && slices.Equal(a.Slots, b.Slots)
}

// update runs change on the stored entries under the lock and writes the result if
// change reports a change. heal moves a damaged file aside instead of failing.
func (s *Store) update(heal bool, change func([]Entry) ([]Entry, bool)) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errcode.Wrap(CodeIO, "inventory: create the folder", err)
	}
	unlock, err := lockFile(s.path+".lock", s.opts.LockWait)
	if err != nil {
		return err
	}
	defer unlock()
	list, err := s.read()
	if errcode.Code(err) == CodeCorrupt && heal {
		if rerr := os.Rename(s.path, s.path+".corrupt"); rerr != nil {
			return errcode.Wrap(CodeIO, "inventory: move the damaged file aside", rerr)
		}
		list, err = nil, nil
	}
	if err != nil {
		return err
	}
	list, changed := change(list)
	if !changed {
		return nil
	}
	return s.write(prune(list, s.opts.MaxEntries))
}

// prune keeps the max most recently recorded entries.
func prune(list []Entry, limit int) []Entry {
	if len(list) <= limit {
		return list
	}
	slices.SortStableFunc(list, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(b.Recorded, a.Recorded), strings.Compare(a.Path, b.Path))
	})
	return list[:limit]
}

// read reads the file (none yet: no entries). It is in the app's private folder and
// written only by Stores, so it is read whole; Parse refuses an oversized one.
func (s *Store) read() ([]Entry, error) {
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, errcode.Wrap(CodeIO, "inventory: read", err)
	}
	return Parse(data)
}

// write replaces the file: a temporary file in the same folder, synced, renamed over
// it, and the folder synced.
func (s *Store) write(list []Entry) error {
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".*.tmp")
	if err != nil {
		return errcode.Wrap(CodeIO, "inventory: create a temporary file", err)
	}
	_, err = tmp.Write(Marshal(list))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return errcode.Wrap(CodeIO, "inventory: write", err)
	}
	syncDir(dir)
	return nil
}

// lockFile takes the exclusive lock of the file at path (created 0600 if needed),
// trying again for up to wait while another holder has it; unlock releases it. The
// OS releases it too when the process dies. Two opens of the file in one process
// exclude each other like two processes do.
func lockFile(path string, wait time.Duration) (unlock func(), err error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, errcode.Wrap(CodeIO, "inventory: open the lock file", err)
	}
	deadline := time.Now().Add(wait)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		held, err := tryLock(f)
		switch {
		case err != nil:
			f.Close()
			return nil, errcode.Wrap(CodeIO, "inventory: lock", err)
		case !held:
			return func() { unlockFile(f) }, nil
		case time.Now().After(deadline):
			f.Close()
			return nil, errcode.New(CodeBusy, fmt.Sprintf("inventory: another program kept the inventory locked for %s", wait))
		}
		time.Sleep(delay) // another program writes the inventory: a few milliseconds
	}
}
