//go:build windows

package jobs

import (
	"errors"
	"io/fs"
	"syscall"

	"golang.org/x/sys/windows"
)

// fileID identifies a file independently of its path; Windows FileInfo from Lstat
// carries no identity, so paths are compared instead (plus os.SameFile where needed).
type fileID struct{}

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

// isDiskFull reports whether err means the disk (or the user's quota) is full.
func isDiskFull(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL) ||
		errors.Is(err, syscall.Errno(1295)) /* ERROR_DISK_QUOTA_EXCEEDED */ || errors.Is(err, syscall.ENOSPC)
}

// syncDir is a no-op: NTFS makes MoveFileEx durable with MOVEFILE_WRITE_THROUGH.
func syncDir(string) {}

// freeSpace returns the bytes available to the user on dir's volume.
func freeSpace(dir string) (int64, bool) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, false
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, false
	}
	return int64(avail), true
}

// renameNoReplace renames old to new and fails with an error matching fs.ErrExist if
// new exists.
func renameNoReplace(old, new string) error {
	from, err := windows.UTF16PtrFromString(old)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(new)
	if err != nil {
		return err
	}
	if err := windows.MoveFileEx(from, to, windows.MOVEFILE_WRITE_THROUGH); err != nil {
		if errors.Is(err, windows.ERROR_ALREADY_EXISTS) || errors.Is(err, windows.ERROR_FILE_EXISTS) {
			return &fs.PathError{Op: "rename", Path: new, Err: fs.ErrExist}
		}
		return &fs.PathError{Op: "rename", Path: new, Err: err}
	}
	return nil
}
