package jobs

import (
	"sync"
	"sync/atomic"
	"time"
)

// fileProgress counts the bytes of one file in progress.
type fileProgress struct {
	it   *item
	done atomic.Int64
	p    *progressState
}

// update is the envelope Progress callback: n is the cumulative byte count.
func (f *fileProgress) update(n int64) {
	d := n - f.done.Swap(n)
	f.p.bytesDone.Add(d)
	f.p.processed.Add(d)
	f.p.changes.Add(1)
	if h := f.p.j.m.hooks.fileProgress; h != nil {
		h(f.it.src, n)
	}
}

// progressState aggregates a job's progress and emits throttled reports.
type progressState struct {
	j          *job
	filesDone  atomic.Int64
	bytesDone  atomic.Int64 // may exceed the total if files grew; clamped when reported
	processed  atomic.Int64 // bytes actually read and written (for the rate)
	changes    atomic.Uint64
	mu         sync.Mutex
	active     []*fileProgress
	lastBytes  int64 // the last reported BytesDone (reports never go back)
	samples    []sample
	firstBytes time.Time // when the first byte was processed
}

type sample struct {
	t time.Time
	n int64
}

// rateWindow is how far back the rate looks.
const rateWindow = 3 * time.Second

func (p *progressState) init(j *job) { p.j = j }

func (p *progressState) touch() { p.changes.Add(1) }

// start registers a file in progress.
func (p *progressState) start(it *item) *fileProgress {
	f := &fileProgress{it: it, p: p}
	p.mu.Lock()
	p.active = append(p.active, f)
	p.mu.Unlock()
	p.changes.Add(1)
	return f
}

// stop unregisters a file. Unless the file was cancelled, the bytes it did not
// process (it failed, was skipped, or shrank) count as done so the bar reaches the end.
func (p *progressState) stop(f *fileProgress, cancelled bool) {
	p.mu.Lock()
	for i, a := range p.active {
		if a == f {
			p.active = append(p.active[:i], p.active[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	if rest := f.it.total - f.done.Load(); rest > 0 && !cancelled {
		p.bytesDone.Add(rest)
	}
	p.changes.Add(1)
}

// fileFinished counts a finished file of any status.
func (p *progressState) fileFinished() {
	p.filesDone.Add(1)
	p.changes.Add(1)
}

// skipBytes adds the bytes of a file that was reported without being processed.
func (p *progressState) skipBytes(n int64) {
	if n > 0 {
		p.bytesDone.Add(n)
	}
}

// snapshot returns the current progress. It is monotonic: BytesDone never decreases.
func (p *progressState) snapshot() Progress {
	j := p.j
	state, done, failed, skipped, cancelled, finished := j.outcome()
	now := j.m.now()
	end := finished
	if end.IsZero() {
		end = now
	}
	pr := Progress{ID: j.id, Kind: j.kind, State: state, FilesDone: int(p.filesDone.Load()),
		FilesTotal: j.filesTotal, BytesTotal: j.bytesTotal, EtaSeconds: -1,
		Done: done, Failed: failed, Skipped: skipped, Cancelled: cancelled,
		Started: j.started, Seconds: end.Sub(j.started).Seconds()}
	processed := p.processed.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	bytesDone := min(p.bytesDone.Load(), j.bytesTotal)
	bytesDone = max(bytesDone, p.lastBytes)
	p.lastBytes = bytesDone
	pr.BytesDone = bytesDone
	if len(p.active) > 0 {
		f := p.active[0]
		pr.Current = &Current{Path: f.it.src, BytesDone: min(f.done.Load(), f.it.total), BytesTotal: f.it.total}
	}
	if !finished.IsZero() {
		if pr.Seconds > 0 {
			pr.BytesPerSec = float64(processed) / pr.Seconds
		}
		return pr
	}
	p.sampleLocked(now, processed)
	if s := p.samples[0]; now.Sub(s.t) >= 200*time.Millisecond {
		pr.BytesPerSec = float64(processed-s.n) / now.Sub(s.t).Seconds()
	}
	if !p.firstBytes.IsZero() && now.Sub(j.started) >= time.Second && pr.BytesPerSec > 0 {
		pr.EtaSeconds = float64(j.bytesTotal-bytesDone) / pr.BytesPerSec
	}
	return pr
}

// sampleLocked records the processed byte count at now for the rate, keeping the
// samples of the last rateWindow (and at least two).
func (p *progressState) sampleLocked(now time.Time, processed int64) {
	if processed > 0 && p.firstBytes.IsZero() {
		p.firstBytes = now
	}
	p.samples = append(p.samples, sample{t: now, n: processed})
	for len(p.samples) > 2 && now.Sub(p.samples[0].t) > rateWindow {
		p.samples = p.samples[1:]
	}
}

// loop emits a report at once, then at most one per tick (every ProgressInterval)
// while something changed. The returned function stops it, emits the final report
// and returns it.
func (p *progressState) loop() func(state string) Progress {
	stop := make(chan struct{})
	stopped := make(chan struct{})
	m := p.j.m
	sink := m.opts.Sink
	ticks := m.hooks.ticks
	var ticker *time.Ticker
	if ticks == nil {
		ticker = time.NewTicker(m.opts.ProgressInterval)
		ticks = ticker.C
	}
	go func() {
		defer close(stopped)
		if ticker != nil {
			defer ticker.Stop()
		}
		last := p.changes.Load()
		sink.Progress(p.snapshot())
		for {
			select {
			case <-stop:
				return
			case <-ticks:
				if c := p.changes.Load(); c != last {
					last = c
					sink.Progress(p.snapshot())
				} else {
					p.mu.Lock()
					p.sampleLocked(m.now(), p.processed.Load())
					p.mu.Unlock()
				}
				if h := m.hooks.ticked; h != nil {
					h()
				}
			}
		}
	}()
	return func(state string) Progress {
		close(stop)
		<-stopped
		final := p.snapshot()
		final.Current = nil
		final.EtaSeconds = 0
		if state != StateCancelled {
			// Every file was accounted for: report the whole, whatever the
			// individual outcomes.
			final.FilesDone, final.BytesDone = final.FilesTotal, final.BytesTotal
		}
		sink.Progress(final)
		return final
	}
}
