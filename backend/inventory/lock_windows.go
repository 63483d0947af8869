//go:build windows

package inventory

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// openLockFile opens (or creates) the lock file.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// tryLock takes an exclusive LockFileEx lock on f's first byte without waiting; held
// reports that another handle holds it (in this process or another).
func tryLock(f *os.File) (held bool, err error) {
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return true, nil
	}
	return false, err
}

// unlockFile releases the lock and closes f.
func unlockFile(f *os.File) {
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
	f.Close()
}

// syncDir does nothing: Windows makes a rename durable without a folder sync.
func syncDir(string) {}

// isNotDir reports whether err says a component of the path is not a folder (Windows
// reports that as "not found").
func isNotDir(error) bool { return false }
