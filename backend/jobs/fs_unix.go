//go:build unix

package jobs

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileID identifies a file independently of its path (device and inode).
type fileID struct{ dev, ino uint64 }

// idOf returns fi's identity, if the platform has one.
func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true // field types differ by OS
}

// isDiskFull reports whether err means the disk (or the user's quota) is full.
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// syncDir flushes a directory entry change (a rename) to disk. Errors are ignored:
// some filesystems do not support fsync on directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// createExclusive creates path for writing with mode 0600 (less the umask) and the
// extra open flags (O_DIRECT), failing if anything, a link included, has that name.
func createExclusive(path string, flags int) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|flags, 0o600)
}

// withFd runs fn with f's descriptor, without switching f to blocking mode as Fd does.
func withFd(f *os.File, fn func(fd uintptr) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(fd) }); err != nil {
		return err
	}
	return ferr
}

// lockPartial takes the exclusive flock that marks f as being written, without
// waiting: errLocked when another open file holds it. The lock lasts until f is
// closed, also by the kernel when the process dies.
func lockPartial(f *os.File) error {
	err := withFd(f, func(fd uintptr) error { return unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB) })
	if errors.Is(err, unix.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

// stillNamed reports whether path still names the open file f (a cleaner may have
// removed it between its creation and its locking).
func stillNamed(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

// closePartial closes a partial file, which releases its lock.
func closePartial(f *os.File) error { return f.Close() }

// removeIfStale removes the partial file at path if nobody writes it: a regular file
// (not a link: O_NOFOLLOW) with no permission bits beyond the owner's read and write
// (partial files keep 0600 until renamed), whose flock can be taken, and which is
// still the file under that name when it is removed. It reports whether it removed it.
func removeIfStale(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&^0o600 != 0 {
		return false
	}
	if lockPartial(f) != nil || !stillNamed(f, path) {
		return false
	}
	return os.Remove(path) == nil
}

// renameReplace renames old to new, replacing a file (or a link, never what it
// points to) under that name.
func renameReplace(old, new string) error { return os.Rename(old, new) }

// umaskCache holds the umask plus one once it was read (0: not yet).
var umaskCache atomic.Int32

// umask returns the process's file mode creation mask, read once without changing
// it (readUmask), so a restored mode gets what a new file would.
func umask() fs.FileMode {
	if v := umaskCache.Load(); v != 0 {
		return fs.FileMode(v - 1)
	}
	m := readUmask() & 0o777
	umaskCache.Store(int32(m) + 1)
	return m
}
