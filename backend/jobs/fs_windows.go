//go:build windows

package jobs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
	"unsafe"

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
// new exists (MoveFileEx without MOVEFILE_REPLACE_EXISTING, written through).
func renameNoReplace(old, new string) error {
	return moveFile(old, new, windows.MOVEFILE_WRITE_THROUGH)
}

// renameReplace renames old to new, replacing a file (or a link, never what it
// points to) under that name (MoveFileEx MOVEFILE_REPLACE_EXISTING, written through).
func renameReplace(old, new string) error {
	return moveFile(old, new, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
}

// moveFile is MoveFileEx. The source may be open: partial files are opened with
// FILE_SHARE_DELETE (createExclusive) so they can be renamed while locked.
func moveFile(old, new string, flags uint32) error {
	from, err := windows.UTF16PtrFromString(old)
	if err != nil {
		return &fs.PathError{Op: "rename", Path: old, Err: err}
	}
	to, err := windows.UTF16PtrFromString(new)
	if err != nil {
		return &fs.PathError{Op: "rename", Path: new, Err: err}
	}
	if err := windows.MoveFileEx(from, to, flags); err != nil {
		if errors.Is(err, windows.ERROR_ALREADY_EXISTS) || errors.Is(err, windows.ERROR_FILE_EXISTS) {
			return &fs.PathError{Op: "rename", Path: new, Err: fs.ErrExist}
		}
		return &fs.PathError{Op: "rename", Path: new, Err: err}
	}
	return nil
}

// createExclusive creates path for writing (CREATE_NEW: fails if anything has that
// name; FILE_FLAG_OPEN_REPARSE_POINT: a link is not followed). The handle shares
// reading, writing and deleting: MoveFileEx must open the file for DELETE to rename
// it while this handle is open and locked, and a cleaner opens it for DELETE to try
// the lock. Other programs do not try the lock; they could delete the file, as on
// Unix. The handle itself has no DELETE access, so programs that do not share
// deleting (os.Open) can still open the file.
func createExclusive(path string, _ int) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// partialLockOffset is the one byte LockFileEx locks to claim a partial file: far
// beyond any data, so the lock never blocks reading or writing the file itself
// (Windows byte-range locks are mandatory).
const partialLockOffset = 1 << 62

// lockHandle takes the exclusive lock of a partial file without waiting: errLocked
// when another handle holds it. Closing the handle releases it, also when the
// process dies.
func lockHandle(h windows.Handle) error {
	ol := windows.Overlapped{Offset: uint32(partialLockOffset & 0xffffffff), OffsetHigh: uint32(partialLockOffset >> 32)}
	err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return errLocked
	}
	return err
}

// lockPartial takes the exclusive lock that marks f as being written (LockFileEx).
func lockPartial(f *os.File) error { return lockHandle(windows.Handle(f.Fd())) }

// fileStandardInfo is FILE_STANDARD_INFO.
type fileStandardInfo struct {
	AllocationSize, EndOfFile int64
	NumberOfLinks             uint32
	DeletePending, Directory  bool
}

// fileDispositionInfo is FILE_DISPOSITION_INFO.
type fileDispositionInfo struct{ DeleteFile bool }

// stillNamed reports whether path still names the open file f: it is not marked for
// deletion (a cleaner may have done so between its creation and its locking) and
// path is the same file.
func stillNamed(f *os.File, path string) bool {
	var info fileStandardInfo
	err := windows.GetFileInformationByHandleEx(windows.Handle(f.Fd()), windows.FileStandardInfo,
		(*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	if err != nil || info.DeletePending {
		return false
	}
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

// deleteByHandle marks the file open as h for deletion when its last handle closes.
func deleteByHandle(h windows.Handle) error {
	info := fileDispositionInfo{DeleteFile: true}
	return windows.SetFileInformationByHandle(h, windows.FileDispositionInfo,
		(*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
}

// closePartial releases the lock and closes a partial file (Windows releases the
// locks of a closed handle only eventually).
func closePartial(f *os.File) error {
	ol := windows.Overlapped{Offset: uint32(partialLockOffset & 0xffffffff), OffsetHigh: uint32(partialLockOffset >> 32)}
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
	return f.Close()
}

// removeIfStale removes the partial file at path if nobody writes it: it is opened
// without following a link, must be a plain file, its lock must be free, and it is
// then deleted through that same handle (FileDispositionInfo), so what is deleted is
// exactly what was checked. It reports whether it removed it.
func removeIfStale(path string) bool {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.DELETE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_EXISTING, windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var bi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &bi); err != nil ||
		bi.FileAttributes&(windows.FILE_ATTRIBUTE_DIRECTORY|windows.FILE_ATTRIBUTE_REPARSE_POINT) != 0 {
		return false
	}
	if lockHandle(h) != nil {
		return false
	}
	return deleteByHandle(h) == nil
}

// setModTime sets f's modification time through its handle (SetFileTime, 100 ns
// resolution); creation and access times are left alone.
func setModTime(f *os.File, _ string, mtime time.Time) error {
	ft := windows.NsecToFiletime(mtime.UnixNano())
	return windows.SetFileTime(windows.Handle(f.Fd()), nil, nil, &ft)
}

// umask is zero: Windows has none (a restored mode only decides the read-only
// attribute).
func umask() fs.FileMode { return 0 }
