//go:build !unix && !windows

package inventory

import (
	"os"
	"sync"
)

// lockMu stands in for a file lock where the platform has none: it serialises the
// Stores of this process only.
var lockMu sync.Mutex

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

func tryLock(*os.File) (held bool, err error) {
	return !lockMu.TryLock(), nil
}

func unlockFile(f *os.File) {
	lockMu.Unlock()
	f.Close()
}

func syncDir(string) {}

func isNotDir(error) bool { return false }
