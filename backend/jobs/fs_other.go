//go:build !unix && !windows

package jobs

import (
	"errors"
	"io/fs"
	"syscall"
)

type fileID struct{}

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }

func syncDir(string) {}

func freeSpace(string) (int64, bool) { return 0, false }

func renameNoReplace(old, new string) error { return linkRename(old, new) }
