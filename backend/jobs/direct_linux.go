//go:build linux

package jobs

import (
	"errors"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Large outputs are written with O_DIRECT from aligned buffers, several writes in
// flight: the bytes go to the disk without a copy into the page cache, which saves
// CPU time on big files, does not push the user's cached files out of memory, and
// leaves the final fsync almost nothing to do. Small outputs, and filesystems that
// refuse O_DIRECT, use ordinary buffered writes.
const (
	directAlign  = 4096    // buffer address, size and file offsets are multiples of this
	directBuffer = 1 << 20 // bytes per direct write
	// directBuffers is the number of buffers: up to directBuffers-1 writes in flight.
	directBuffers = 8
	// directMin is the output size from which O_DIRECT is used.
	directMin = 32 << 20
)

// openPartial creates the partial file exclusively (createExclusive) and returns it
// with the writer to use for an output of about size bytes.
func openPartial(path string, size int64) (*os.File, outWriter, error) {
	if size >= directMin {
		f, err := createExclusive(path, unix.O_DIRECT)
		if err == nil {
			return f, newDirectWriter(f), nil
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EOPNOTSUPP) {
			return nil, nil, err
		}
	}
	f, err := createExclusive(path, 0)
	if err != nil {
		return nil, nil, err
	}
	return f, plainWriter{f}, nil
}

// directWriter collects bytes in aligned buffers and writes each full buffer with
// O_DIRECT (pwrite at its offset) from a background goroutine, several at a time, so
// encryption and disk writes overlap and the disk sees a queue deeper than one. The
// unaligned tail is written after O_DIRECT is switched off.
type directWriter struct {
	f    *os.File
	mem  [directBuffers][]byte // keep the allocations alive
	bufs [directBuffers][]byte // aligned windows of mem, len directBuffer
	done [directBuffers]chan error
	busy [directBuffers]bool
	cur  int   // the buffer being filled
	n    int   // bytes in bufs[cur]
	off  int64 // file offset of bufs[cur]

	mu     sync.Mutex // guards direct and the fcntl that clears it
	direct bool
}

func newDirectWriter(f *os.File) *directWriter {
	d := &directWriter{f: f, direct: true}
	for i := range d.bufs {
		d.mem[i] = make([]byte, directBuffer+directAlign)
		off := 0
		if r := int(uintptr(unsafe.Pointer(&d.mem[i][0])) % directAlign); r != 0 {
			off = directAlign - r
		}
		d.bufs[i] = d.mem[i][off : off+directBuffer]
		d.done[i] = make(chan error, 1)
	}
	return d
}

// wait waits for buffer i's background write, if any.
func (d *directWriter) wait(i int) error {
	if !d.busy[i] {
		return nil
	}
	d.busy[i] = false
	return <-d.done[i]
}

// waitAll waits for every background write and returns the first error.
func (d *directWriter) waitAll() error {
	var first error
	for i := range d.bufs {
		if err := d.wait(i); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (d *directWriter) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		k := copy(d.bufs[d.cur][d.n:], p)
		d.n += k
		total += k
		p = p[k:]
		if d.n == directBuffer {
			i, b, off := d.cur, d.bufs[d.cur], d.off
			d.busy[i] = true
			go func() { d.done[i] <- d.writeAt(b, off) }()
			d.cur = (d.cur + 1) % directBuffers
			d.off += directBuffer
			d.n = 0
			if err := d.wait(d.cur); err != nil { // the next buffer must be free
				return total, err
			}
		}
	}
	return total, nil
}

// writeAt writes b at off (aligned unless O_DIRECT is off). A filesystem that
// accepted O_DIRECT at open but refuses the write gets the bytes buffered instead.
func (d *directWriter) writeAt(b []byte, off int64) error {
	_, err := d.f.WriteAt(b, off)
	if err != nil && errors.Is(err, unix.EINVAL) {
		if serr := d.buffered(); serr != nil {
			return err
		}
		_, err = d.f.WriteAt(b, off)
	}
	return err
}

// buffered switches O_DIRECT off.
func (d *directWriter) buffered() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.direct {
		return nil
	}
	fd := int(d.f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_DIRECT)
	}
	if err == nil {
		d.direct = false
	}
	return err
}

// finish writes what is left: the aligned part directly, the tail buffered.
func (d *directWriter) finish() error {
	defer d.zero()
	if err := d.waitAll(); err != nil {
		return err
	}
	b := d.bufs[d.cur]
	aligned := d.n &^ (directAlign - 1)
	if aligned > 0 {
		if err := d.writeAt(b[:aligned], d.off); err != nil {
			return err
		}
	}
	if d.n > aligned {
		if err := d.buffered(); err != nil {
			return err
		}
		if _, err := d.f.WriteAt(b[aligned:d.n], d.off+int64(aligned)); err != nil {
			return err
		}
	}
	d.n = 0
	return nil
}

// discard drops what was not written yet.
func (d *directWriter) discard() {
	_ = d.waitAll()
	d.zero()
}

// zero clears the buffers (they may hold plaintext).
func (d *directWriter) zero() {
	for _, m := range d.mem {
		clear(m)
	}
}
