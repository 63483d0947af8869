//go:build unix

package jobs

import (
	"syscall"
	"testing"
)

// mkfifo makes a named pipe (a special file folders may contain).
func mkfifo(t *testing.T, path string) {
	t.Helper()
	must(t, syscall.Mkfifo(path, 0o600))
}
