//go:build linux

package jobs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDirectWriter writes sizes around the buffer and alignment boundaries through
// the O_DIRECT writer and reads them back.
func TestDirectWriter(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, directAlign, directAlign + 1, directBuffer - 1, directBuffer, directBuffer + 7,
		directBuffers * directBuffer, directBuffers*directBuffer + directAlign, 3*directBuffers*directBuffer + 12345} {
		path := filepath.Join(dir, "out")
		f, w, err := openPartial(path, directMin)
		must(t, err)
		if _, ok := w.(*directWriter); !ok {
			f.Close()
			t.Skip("this filesystem refuses O_DIRECT; the buffered path is used")
		}
		data := content(fmtSize(size), size)
		// Odd write sizes, as the engine's 262 400-byte units are.
		for p := data; len(p) > 0; {
			n := min(len(p), 262400)
			if _, err := w.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		must(t, w.finish())
		must(t, f.Sync())
		must(t, f.Close())
		if got := readFile(t, path); !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back %d bytes that differ", size, len(got))
		}
		must(t, os.Remove(path))
	}
}
