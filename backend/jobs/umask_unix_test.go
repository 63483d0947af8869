//go:build unix

package jobs

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestRestoredModeRespectsUmask: a restored (or encrypted) file gets its stored mode
// less the umask, as any new file does; 0666 and 0777 do not come out world-writable.
func TestRestoredModeRespectsUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	umaskCache.Store(0)
	t.Cleanup(func() {
		syscall.Umask(old)
		umaskCache.Store(0)
	})
	mask := umask()
	if runtime.GOOS == "linux" && mask != 0o027 {
		t.Fatalf("umask read as %o, want 027", mask)
	}
	if got := syscall.Umask(0o027); got != 0o027 {
		t.Fatalf("reading the umask changed it to %o", got)
	}

	e := newEnv(t)
	dir := t.TempDir()
	modes := map[string]fs.FileMode{"open.txt": 0o666, "tool.sh": 0o777, "private.key": 0o600}
	var cts []string
	for n, m := range modes {
		p := filepath.Join(dir, "in", n)
		writeFile(t, p, content(n, 1000), m, time.Time{})
		ct := encryptOne(t, e, p)
		fi, err := os.Stat(ct)
		must(t, err)
		if want := m & 0o666 &^ mask; fi.Mode().Perm() != want {
			t.Errorf("%s: encrypted file mode %o, want %o", n, fi.Mode().Perm(), want)
		}
		cts = append(cts, ct)
	}
	out := filepath.Join(dir, "out")
	_, res := e.decrypt(DecryptSpec{Paths: cts, OutputDir: out})
	for _, ct := range cts {
		r := expect(t, res, ct, StatusDone, "")
		fi, err := os.Stat(r.Output)
		must(t, err)
		if want := modes[filepath.Base(r.Output)] &^ mask; fi.Mode().Perm() != want {
			t.Errorf("%s: restored mode %o, want %o", filepath.Base(r.Output), fi.Mode().Perm(), want)
		}
	}
}
