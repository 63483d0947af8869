package jobs

import (
	"errors"
	"io/fs"
	"os"
)

// linkRename is the portable no-replace rename: hard-link new to old (fails if new
// exists), then remove old. Where links are unsupported it checks and renames, which
// leaves a tiny race window that only another program creating the same name can hit.
func linkRename(old, new string) error {
	err := os.Link(old, new)
	if err == nil {
		return os.Remove(old)
	}
	if errors.Is(err, fs.ErrExist) {
		return &fs.PathError{Op: "rename", Path: new, Err: fs.ErrExist}
	}
	if _, serr := os.Lstat(new); serr == nil {
		return &fs.PathError{Op: "rename", Path: new, Err: fs.ErrExist}
	}
	return os.Rename(old, new)
}
