package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"time"
)

// job is one running (or finished) batch.
type job struct {
	m       *Manager
	id      string
	kind    Kind
	ctx     context.Context
	cancel  context.CancelFunc
	started time.Time
	policy  Policy

	items      []*item
	filesTotal int
	bytesTotal int64
	inputs     map[string]bool // absolute paths of every input
	inputIDs   map[fileID]bool // and their identities (device, inode) where known

	enc        *EncryptSpec
	keys       *keyBatch
	wrapper    *Wrapper
	requireCtx map[string]string
	blobEC     string // the encryption context for CiphertextBlob files

	prog progressState

	askMu sync.Mutex // one conflict question at a time

	mu       sync.Mutex
	override Policy // set by "apply to all"
	pending  *pendingConflict
	produced map[string]bool
	state    string
	counts   struct{ done, failed, skipped, cancelled int }
	finished time.Time
	bytes    int64 // plaintext bytes of finished files
}

type pendingConflict struct {
	answer chan resolution
}

type resolution struct {
	d   Decision
	all bool
}

// setContext stores the required encryption context of a decrypt or verify job and
// its canonical JSON (what blob files are decrypted with).
func (j *job) setContext(req map[string]string) error {
	if len(req) == 0 {
		return nil
	}
	j.requireCtx = req
	b, err := json.Marshal(req) // sorted keys, no whitespace: the same text the services send
	if err != nil || len(b) > 1024 {
		return invalidReq("the encryption context must be at most 1024 bytes of JSON")
	}
	j.blobEC = string(b)
	return nil
}

func (j *job) finishedAt() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.finished
}

// run processes the items with a bounded pool of workers and reports the end.
func (j *job) run() {
	defer j.m.wg.Done()
	defer j.cancel()
	stopProgress := j.prog.loop()

	work := make(chan *item)
	var wg sync.WaitGroup
	for range j.m.opts.FileWorkers {
		wg.Go(func() {
			for it := range work {
				j.process(it)
			}
		})
	}
	for _, it := range j.items {
		if it.pre != nil {
			err := it.pre
			if it.preSkip {
				err = &skipError{err: err}
			}
			j.prog.skipBytes(it.total)
			j.finish(it, "", err)
			continue
		}
		select {
		case work <- it:
		case <-j.ctx.Done():
			j.finish(it, "", errCancelled)
		}
	}
	close(work)
	wg.Wait()

	if j.keys != nil {
		j.keys.close()
	}
	j.wrapper.Close()

	j.mu.Lock()
	state := StateDone
	switch {
	case j.counts.cancelled > 0:
		state = StateCancelled
	case j.counts.failed > 0:
		state = StateFailed
	}
	j.state = state
	j.finished = time.Now()
	sum := Summary{ID: j.id, Kind: j.kind, State: state, Done: j.counts.done, Failed: j.counts.failed,
		Skipped: j.counts.skipped, Cancelled: j.counts.cancelled, Bytes: j.bytes,
		Seconds: j.finished.Sub(j.started).Seconds()}
	j.mu.Unlock()
	stopProgress(state)
	j.m.opts.Sink.Done(sum)
}

// process runs one file.
func (j *job) process(it *item) {
	if j.ctx.Err() != nil {
		j.finish(it, "", errCancelled)
		return
	}
	if it.total >= LargeFileSize {
		select {
		case j.m.large <- struct{}{}:
			defer func() { <-j.m.large }()
		case <-j.ctx.Done():
			j.finish(it, "", errCancelled)
			return
		}
	}
	fp := j.prog.start(it)
	var (
		out string
		err error
	)
	switch j.kind {
	case KindEncrypt:
		out, err = j.encryptFile(it, fp)
	default:
		out, err = j.decryptFile(it, fp)
	}
	j.prog.stop(fp, codeOf(err) == CodeCancelled)
	j.finish(it, out, err)
}

// finish records and reports one file's outcome.
func (j *job) finish(it *item, out string, err error) {
	if out != "" && err != nil {
		if _, serr := os.Lstat(out); serr != nil {
			out = "" // the output was removed (failed verification)
		}
	}
	res := FileResult{ID: j.id, Path: it.src, Output: out, Status: StatusDone}
	var (
		skip *skipError
		kept *keptOriginal
	)
	switch {
	case err == nil:
	case errors.As(err, &kept):
		res.Message = kept.msg
	case errors.As(err, &skip):
		res.Status = StatusSkipped
		res.ErrorCode, res.Message = describe(skip.err)
	default:
		res.ErrorCode, res.Message = describe(err)
		if res.ErrorCode == CodeCancelled {
			res.Status = StatusCancelled
		} else {
			res.Status = StatusFailed
		}
	}
	j.mu.Lock()
	switch res.Status {
	case StatusDone:
		j.counts.done++
		j.bytes += it.total
	case StatusSkipped:
		j.counts.skipped++
	case StatusCancelled:
		j.counts.cancelled++
	default:
		j.counts.failed++
	}
	if out != "" {
		j.produced[out] = true
	}
	j.mu.Unlock()
	j.prog.fileFinished()
	j.m.opts.Sink.File(res)
}

// ask reports a conflict and waits for the decision (or the job's end). It returns
// the policy to apply to this file.
func (j *job) ask(it *item, output string) (Policy, error) {
	j.askMu.Lock()
	defer j.askMu.Unlock()
	j.mu.Lock()
	if p := j.override; p != "" {
		j.mu.Unlock()
		return p, nil
	}
	pc := &pendingConflict{answer: make(chan resolution, 1)}
	j.pending = pc
	j.state = StateWaiting
	j.mu.Unlock()
	j.prog.touch()
	j.m.opts.Sink.Conflict(Conflict{ID: j.id, Path: it.src, Output: output})

	var r resolution
	select {
	case r = <-pc.answer:
	case <-j.ctx.Done():
	}
	j.mu.Lock()
	j.pending = nil
	if j.state == StateWaiting {
		j.state = StateRunning
	}
	j.mu.Unlock()
	j.prog.touch()
	if j.ctx.Err() != nil {
		return "", errCancelled
	}
	var p Policy
	switch r.d {
	case DecisionCancel:
		j.cancel()
		return "", errCancelled
	case DecisionOverwrite:
		p = PolicyOverwrite
	case DecisionSkip:
		p = PolicySkip
	default:
		p = PolicyRename
	}
	if r.all {
		j.mu.Lock()
		j.override = p
		j.mu.Unlock()
	}
	return p, nil
}

// resolve delivers a decision to the pending conflict.
func (j *job) resolve(d Decision, all bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.pending == nil {
		return newErr(CodeNoConflict, "this job is not waiting for a decision", nil)
	}
	j.pending.answer <- resolution{d: d, all: all}
	j.pending = nil
	return nil
}

// currentPolicy is the policy for the next conflict.
func (j *job) currentPolicy() Policy {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.override != "" {
		return j.override
	}
	return j.policy
}

func (j *job) status() Status {
	p := j.prog.snapshot()
	j.mu.Lock()
	defer j.mu.Unlock()
	end := j.finished
	if end.IsZero() {
		end = time.Now()
	}
	return Status{ID: j.id, Kind: j.kind, State: j.state, FilesDone: p.FilesDone, FilesTotal: p.FilesTotal,
		BytesDone: p.BytesDone, BytesTotal: p.BytesTotal, Done: j.counts.done, Failed: j.counts.failed,
		Skipped: j.counts.skipped, Cancelled: j.counts.cancelled, Started: j.started,
		Seconds: end.Sub(j.started).Seconds()}
}

func (j *job) currentState() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}
