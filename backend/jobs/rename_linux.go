//go:build linux

package jobs

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames old to new atomically and fails with an error matching
// fs.ErrExist if new exists (renameat2 RENAME_NOREPLACE; a link-based fallback for
// filesystems without it).
func renameNoReplace(old, new string) error {
	err := unix.Renameat2(unix.AT_FDCWD, old, unix.AT_FDCWD, new, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return &fs.PathError{Op: "rename", Path: new, Err: fs.ErrExist}
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return linkRename(old, new)
	}
	return &fs.PathError{Op: "rename", Path: new, Err: err}
}
