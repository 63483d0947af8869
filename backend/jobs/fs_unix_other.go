//go:build unix && !linux

package jobs

import (
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// setModTime sets f's modification time through its descriptor (futimes: micro-
// seconds; the access time becomes now, the file was just written), then, if path
// still names f, to the nanosecond by path without following a link (utimensat
// AT_SYMLINK_NOFOLLOW; x/sys has no futimens here).
func setModTime(f *os.File, path string, mtime time.Time) error {
	now := time.Now()
	tv := []unix.Timeval{unix.NsecToTimeval(now.UnixNano()), unix.NsecToTimeval(mtime.UnixNano())}
	if err := withFd(f, func(fd uintptr) error { return unix.Futimes(int(fd), tv) }); err != nil {
		return err
	}
	if mtime.Nanosecond()%1000 == 0 || !stillNamed(f, path) {
		return nil
	}
	a, errA := unix.TimeToTimespec(now)
	m, errM := unix.TimeToTimespec(mtime)
	if errA != nil || errM != nil {
		return nil // out of range: the microseconds set above stay
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{a, m}, unix.AT_SYMLINK_NOFOLLOW)
}

// initUmask is the umask at start-up. Reading it means setting it; this happens once,
// during package initialisation, to the strictest mask, so a file another goroutine
// creates meanwhile gets fewer permissions, never more.
var initUmask = func() fs.FileMode {
	m := syscall.Umask(0o077)
	syscall.Umask(m)
	return fs.FileMode(m)
}()

// readUmask returns the umask read at start-up.
func readUmask() fs.FileMode { return initUmask }
