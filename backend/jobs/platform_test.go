package jobs

import (
	"io/fs"
	"os"
	"runtime"
	"testing"
	"time"
)

// platformTime is t as this platform stores a file time: NTFS keeps 100 ns units.
func platformTime(t time.Time) time.Time {
	if runtime.GOOS == "windows" {
		return t.Truncate(100 * time.Nanosecond)
	}
	return t
}

// platformMode is how this platform reports a file whose mode was set to m: Windows
// keeps only the read-only attribute, which Go reports as 0444 (no owner write bit)
// or 0666. Restoring modes on Windows means restoring that attribute.
func platformMode(m fs.FileMode) fs.FileMode {
	if runtime.GOOS != "windows" {
		return m.Perm()
	}
	if m&0o200 == 0 {
		return 0o444
	}
	return 0o666
}

// symlinkOrSkip makes the symbolic link link -> target, or skips the (sub)test where
// the platform cannot make one: Windows refuses without Developer Mode or administrator
// rights, and Wine 8's CreateSymbolicLinkW reports success without creating anything.
func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("cannot make a symbolic link here (%v): Windows needs Developer Mode or administrator rights", err)
		}
		t.Fatal(err)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Skipf("os.Symlink reported success but %s does not exist (%v): Wine 8's CreateSymbolicLinkW is a stub", link, err)
	}
}
