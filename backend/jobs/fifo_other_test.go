//go:build !unix

package jobs

import "testing"

func mkfifo(t *testing.T, _ string) {
	t.Skip("named pipes need a Unix filesystem")
}
