//go:build unix

package inventory

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openLockFile opens (or creates) the lock file, never through a link.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
}

// tryLock takes f's exclusive flock without waiting; held reports that another open
// file holds it. A flock belongs to the open file, so it is released when f closes.
func tryLock(f *os.File) (held bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB) }); err != nil {
		return false, err
	}
	if errors.Is(ferr, unix.EWOULDBLOCK) || errors.Is(ferr, unix.EINTR) {
		return true, nil
	}
	return false, ferr
}

// unlockFile releases the lock (closing the file does).
func unlockFile(f *os.File) { f.Close() }

// syncDir flushes a rename in dir to disk (errors ignored: not every file system
// syncs folders).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// isNotDir reports whether err says a component of the path is not a folder.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
