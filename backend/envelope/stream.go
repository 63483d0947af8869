package envelope

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// The engine moves data in units of up to unitChunks chunks: one read, one batch of
// AEAD operations and one write per unit. Units are preallocated per call (from a
// pool) and reused, so the steady state allocates nothing per chunk.
const (
	// unitChunks is the number of chunks per unit (256 KiB of plaintext).
	unitChunks = 16
	// unitPlainSize is the plaintext capacity of a unit in bytes.
	unitPlainSize = unitChunks * ChunkSize
	// unitSealedSize is the sealed capacity of a unit in bytes.
	unitSealedSize = unitChunks * SealedChunkSize
	// MaxWorkers caps the number of AEAD goroutines. Each worker adds two units
	// (about 1 MiB) to the memory a call uses.
	MaxWorkers = 16
)

// unit is one batch of consecutive chunks moving through the pipeline.
type unit struct {
	first  uint64 // index of the unit's first chunk
	in     []byte // input bytes: plaintext (encrypt) or sealed chunks (decrypt)
	out    []byte // output bytes: sealed chunks (encrypt) or plaintext (decrypt)
	inLen  int
	outLen int
	final  bool // the unit holds the final (short) chunk
	err    error
	done   chan struct{} // signalled once by the worker that processed the unit
	hwIn   int           // high-water marks, for zeroing before reuse
	hwOut  int
}

var unitPool = sync.Pool{New: func() any {
	return &unit{
		in:   make([]byte, unitSealedSize),
		out:  make([]byte, unitSealedSize),
		done: make(chan struct{}, 1),
	}
}}

func getUnit() *unit { return unitPool.Get().(*unit) }

// putUnit zeroes the bytes the unit held (plaintext must not linger in the pool) and
// returns it to the pool.
func putUnit(u *unit) {
	clear(u.in[:u.hwIn])
	clear(u.out[:u.hwOut])
	u.hwIn, u.hwOut, u.inLen, u.outLen = 0, 0, 0, 0
	u.first, u.final, u.err = 0, false, nil
	unitPool.Put(u)
}

// engine runs fill → process → emit over units, sequentially or with a pool of
// process workers and an ordered emitter.
type engine struct {
	ctx     context.Context
	workers int
	// fill reads the next unit's input and sets first, inLen and final. It runs on
	// one goroutine at a time, in unit order.
	fill func(u *unit) error
	// process turns in into out. It may run concurrently on different units.
	process func(ctx context.Context, u *unit, nonce *[nonceSize]byte) error
	// emit writes the unit's output. It runs on the calling goroutine, in order.
	emit func(u *unit) error
}

// workerCount resolves the Workers option: 0 means one per CPU.
func workerCount(n int) int {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return min(max(n, 1), MaxWorkers)
}

// errStopped marks units skipped after the pipeline failed; it never escapes.
var errStopped = errors.New("pipeline stopped")

func (e *engine) run() error {
	u := getUnit()
	defer putUnit(u)
	if err := e.fill(u); err != nil {
		return err
	}
	if u.final || e.workers <= 1 {
		// Sequential path: also used for every input that fits in one unit, so
		// small files never start goroutines.
		var nonce [nonceSize]byte
		for {
			if err := e.process(e.ctx, u, &nonce); err != nil {
				return err
			}
			if err := e.emit(u); err != nil {
				return err
			}
			if u.final {
				return nil
			}
			if err := e.fill(u); err != nil {
				return err
			}
		}
	}
	return e.parallel(u)
}

// parallel runs one reader goroutine, e.workers process goroutines and the ordered
// emitter on the calling goroutine. first has already been filled.
func (e *engine) parallel(first *unit) error {
	k := 2*e.workers + 2
	free := make(chan *unit, k)
	work := make(chan *unit, k)
	order := make(chan *unit, k)
	stop := make(chan struct{})
	extra := make([]*unit, 0, k-1)
	for range k - 1 {
		u := getUnit()
		extra = append(extra, u)
		free <- u
	}
	defer func() {
		for _, u := range extra {
			putUnit(u)
		}
	}()

	work <- first
	order <- first

	go func() { // reader
		defer close(order)
		defer close(work)
		for {
			var u *unit
			select {
			case <-stop:
				return
			case u = <-free:
			}
			select {
			case <-stop:
				return
			default:
			}
			if err := e.fill(u); err != nil {
				u.err = err
				u.done <- struct{}{}
				order <- u
				return
			}
			final := u.final // u belongs to the workers once sent
			work <- u
			order <- u
			if final {
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range e.workers {
		wg.Go(func() {
			var nonce [nonceSize]byte
			for u := range work {
				select {
				case <-stop:
					u.err = errStopped
				default:
					u.err = e.process(e.ctx, u, &nonce)
				}
				u.done <- struct{}{}
			}
		})
	}

	var err error
	fail := func(cause error) {
		if err == nil {
			err = cause
			close(stop)
		}
	}
	for u := range order {
		<-u.done
		if err != nil {
			continue // draining after a failure
		}
		if u.err != nil {
			fail(u.err)
			continue
		}
		if werr := e.emit(u); werr != nil {
			fail(werr)
			continue
		}
		free <- u // never blocks: free has room for every unit
	}
	wg.Wait()
	return err
}
