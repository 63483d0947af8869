//go:build windows

package inventory

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// openRead opens path for reading without following a link, sharing reading, writing
// and deleting with every other handle. os.Open shares no deleting, so it fails with
// a sharing violation while any handle with DELETE access is open on the file: the
// rename that just gave a finished output its name, or a scanner or indexer that
// opens new files as they appear.
func openRead(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
