//go:build darwin

package jobs

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames old to new atomically and fails with an error matching
// fs.ErrExist if new exists (renamex_np RENAME_EXCL; a link-based fallback).
func renameNoReplace(old, new string) error {
	err := unix.RenamexNp(old, new, unix.RENAME_EXCL)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return &fs.PathError{Op: "rename", Path: new, Err: fs.ErrExist}
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOTSUP):
		return linkRename(old, new)
	}
	return &fs.PathError{Op: "rename", Path: new, Err: err}
}
