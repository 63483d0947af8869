//go:build windows

package inventory

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows"
)

// A finished output may still be open elsewhere with DELETE access (the rename that
// named it, a scanner): its header is read all the same. os.Open failed here with a
// sharing violation, and the file went unrecorded (seen under Wine with three files
// encrypted at once).
func TestReadEntryWhileOpenForDelete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt.kmsenc")
	writeEnvelope(t, path, kmsSlot("11111111-2222-3333-4444-555555555555"))
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.DELETE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(h)
	e, err := ReadEntry(path)
	if err != nil || len(e.Slots) != 1 {
		t.Fatalf("ReadEntry while another handle has DELETE access: %+v %v", e, err)
	}
}
