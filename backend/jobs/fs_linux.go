package jobs

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setModTime sets f's modification time through its descriptor (futimens: utimensat
// with a NULL path), nanoseconds included; the access time is left alone.
func setModTime(f *os.File, _ string, mtime time.Time) error {
	m, err := unix.TimeToTimespec(mtime)
	if err != nil {
		return err
	}
	ts := [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, m}
	return withFd(f, func(fd uintptr) error {
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, fd, 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	})
}

// readUmask reads the umask from /proc/self/status ("Umask:\t0022", Linux 4.7 and
// later) without changing it: umask(2) can only be read by setting it, which races
// with every goroutine creating files. Without /proc it assumes the usual 022.
func readUmask() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0o022
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(m)
			}
		}
	}
	return 0o022
}
