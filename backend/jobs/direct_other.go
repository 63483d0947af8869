//go:build !linux

package jobs

import "os"

// openPartial creates the partial file exclusively (mode 0600); outputs are written
// through the page cache on this platform.
func openPartial(path string, _ int64) (*os.File, outWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, plainWriter{f}, nil
}
