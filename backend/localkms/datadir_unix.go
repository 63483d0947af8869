//go:build unix

package localkms

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// checkDataDir checks that the data dir and the files of the local KMS in it
// are private to the user running it (docs/LOCAL-KMS.md, "Security model"):
//
//   - owned by another user: refused (that user could change anything);
//   - writable by the group or others: refused, since the master key or the
//     database could have been replaced, and changing the mode now would make
//     whatever is there trusted;
//   - readable or searchable by the group or others, and nothing more: the
//     mode is reduced to 0700 (dir) or 0600 (files), with a warning in the log.
//     Nothing can have been planted, and refusing would only stop a data dir
//     copied with a lax umask from opening.
func checkDataDir(dir string, log *slog.Logger) error {
	for _, name := range []string{"", masterKeyFileName, dbFileName} {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) && name != "" {
			continue
		}
		if err != nil {
			return newError(CodeDataDir, err, "check data dir")
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
			return newError(CodeDataDir, nil, "%s belongs to user %d, not to the user running the local KMS (%d)", path, st.Uid, os.Geteuid())
		}
		perm := fi.Mode().Perm()
		if perm&0o022 != 0 {
			return newError(CodeDataDir, nil, "%s has mode %04o: other users can write to it, so the data dir cannot be trusted; make sure nobody changed it, then chmod go-w it", path, perm)
		}
		if perm&0o077 == 0 {
			continue
		}
		want := os.FileMode(0o600)
		if name == "" {
			want = 0o700
		}
		if err := os.Chmod(path, want); err != nil {
			return newError(CodeDataDir, err, "restrict %s to its owner", path)
		}
		log.Warn(fmt.Sprintf("localkms: %s was readable by other users (mode %04o); changed it to %04o", path, perm, want),
			slog.String("path", path))
	}
	return nil
}
