//go:build !unix && !windows

package jobs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

type fileID struct{}

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }

func syncDir(string) {}

func freeSpace(string) (int64, bool) { return 0, false }

func renameNoReplace(old, new string) error { return linkRename(old, new) }

func renameReplace(old, new string) error { return os.Rename(old, new) }

func createExclusive(path string, flags int) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|flags, 0o600)
}

// No file locks here: partial files are never removed as stale.
func lockPartial(*os.File) error       { return errors.ErrUnsupported }
func stillNamed(*os.File, string) bool { return true }
func closePartial(f *os.File) error    { return f.Close() }
func removeIfStale(string) bool        { return false }

// setModTime needs a descriptor call these platforms lack; a path would follow links.
func setModTime(*os.File, string, time.Time) error { return errors.ErrUnsupported }

func umask() fs.FileMode { return 0 }
