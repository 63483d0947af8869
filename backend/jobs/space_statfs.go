//go:build linux || darwin

package jobs

import "syscall"

// freeSpace returns the bytes available to an unprivileged user on dir's filesystem.
func freeSpace(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true // field types differ by OS
}
