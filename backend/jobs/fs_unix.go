//go:build unix

package jobs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
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
