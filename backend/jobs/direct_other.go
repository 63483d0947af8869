//go:build !linux

package jobs

import "os"

// openPartial creates the partial file exclusively (createExclusive); outputs are
// written through the page cache on this platform.
func openPartial(path string, _ int64) (*os.File, outWriter, error) {
	f, err := createExclusive(path, 0)
	if err != nil {
		return nil, nil, err
	}
	return f, plainWriter{f}, nil
}
