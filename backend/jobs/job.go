package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
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

	outDir  string   // the request's OutputDir ("" = next to the originals)
	force   bool     // DecryptSpec.Force
	cleaned sync.Map // output folders already rid of stale partial files (cleanStale)

	enc        *EncryptSpec
	rewrap     *rewrapState
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
	results  []FileResult // see keepResult
	kept     struct{ done, problems int }
	summary  *Summary
	finished time.Time
	bytes    int64 // plaintext bytes of finished files
}

type pendingConflict struct {
	question Conflict
	answer   chan resolution
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
	if j.rewrap != nil && j.rewrap.dest != j.wrapper {
		j.rewrap.dest.Close()
	}

	j.mu.Lock()
	state := StateDone
	switch {
	case j.counts.cancelled > 0 && (j.ctx.Err() != nil || j.counts.cancelled == j.filesTotal):
		// The job was cancelled, or every one of its files was. Files the user
		// cancelled one by one leave it done or failed otherwise: the rest went on.
		state = StateCancelled
	case j.counts.failed > 0:
		state = StateFailed
	}
	j.state = state
	j.finished = j.m.now()
	sum := Summary{ID: j.id, Kind: j.kind, State: state, Done: j.counts.done, Failed: j.counts.failed,
		Skipped: j.counts.skipped, Cancelled: j.counts.cancelled, Bytes: j.bytes,
		Seconds: j.finished.Sub(j.started).Seconds()}
	if sum.Seconds > 0 {
		sum.BytesPerSec = float64(sum.Bytes) / sum.Seconds
	}
	j.mu.Unlock()
	sum.Final = stopProgress(state)
	j.mu.Lock()
	j.summary = &sum
	j.mu.Unlock()
	j.m.opts.Sink.Done(sum)
}

// process runs one file.
func (j *job) process(it *item) {
	defer j.begin(it)()
	if it.ctx.Err() != nil {
		j.finish(it, "", errCancelled)
		return
	}
	if it.total >= LargeFileSize {
		select {
		case j.m.large <- struct{}{}:
			defer func() { <-j.m.large }()
		case <-it.ctx.Done():
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
	case KindRewrap:
		out, err = j.rewrapFile(it, fp)
	default:
		out, err = j.decryptFile(it, fp)
	}
	j.prog.stop(fp, codeOf(err) == CodeCancelled)
	j.finish(it, out, err)
}

// begin gives file it its own context, which ends with the job's or when the user
// cancels that file (cancelFile). It returns the function that releases it.
func (j *job) begin(it *item) func() {
	ctx, cancel := context.WithCancel(j.ctx)
	j.mu.Lock()
	it.ctx, it.stop = ctx, cancel
	if it.cancelled {
		cancel()
	}
	j.mu.Unlock()
	return func() {
		j.mu.Lock()
		it.stop = nil
		j.mu.Unlock()
		cancel()
	}
}

// cancelFile cancels the file of the job whose input is path: a file in progress
// stops within one chunk and leaves no output, a file waiting its turn is not
// started, a finished one stays as it is. The other files go on.
func (j *job) cancelFile(path string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	found := false
	for _, it := range j.items {
		if it.src != path || it.pre != nil {
			continue
		}
		found = true
		it.cancelled = true
		if it.stop != nil {
			it.stop()
		}
	}
	if !found {
		return invalidReq("this job has no file " + path + " to cancel")
	}
	return nil
}

// finish records and reports one file's outcome.
func (j *job) finish(it *item, out string, err error) {
	if out != "" && err != nil {
		if _, serr := os.Lstat(out); serr != nil {
			out = "" // the output was removed (failed verification)
		}
	}
	res := FileResult{ID: j.id, Path: it.src, Output: out, Status: StatusDone, Subject: subjectOf(err)}
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
		var se *envelope.SlotError
		if errors.As(err, &se) {
			res.Key = &envelope.Slot{Type: se.Slot.Type, Region: se.Slot.Region, KeyID: se.Slot.KeyID}
			res.Recoverable = se.Recovery
		}
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
	j.keepResult(res)
	j.mu.Unlock()
	j.prog.fileFinished()
	j.m.opts.Sink.File(res)
}

// ask reports a conflict and waits for the decision (or the job's end). It returns
// the policy to apply to this file.
func (j *job) ask(it *item, output string) (Policy, error) { return j.askUser(it, output, false) }

// askUser is ask; with always the question is asked even when "apply to all"
// answered the earlier ones (for an output replaced only with the user's consent).
func (j *job) askUser(it *item, output string, always bool) (Policy, error) {
	j.askMu.Lock()
	defer j.askMu.Unlock()
	j.mu.Lock()
	if p := j.override; p != "" && !always {
		j.mu.Unlock()
		return p, nil
	}
	pc := &pendingConflict{question: Conflict{ID: j.id, Path: it.src, Output: output}, answer: make(chan resolution, 1)}
	j.pending = pc
	j.state = StateWaiting
	j.mu.Unlock()
	j.prog.touch()
	j.m.opts.Sink.Conflict(pc.question)

	var r resolution
	select {
	case r = <-pc.answer:
	case <-it.ctx.Done():
	}
	j.mu.Lock()
	j.pending = nil
	if j.state == StateWaiting {
		j.state = StateRunning
	}
	j.mu.Unlock()
	j.prog.touch()
	if it.ctx.Err() != nil {
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

// outcome returns the job's state, its per-outcome file counts and when it finished
// (zero while running).
func (j *job) outcome() (state string, done, failed, skipped, cancelled int, finished time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.counts.done, j.counts.failed, j.counts.skipped, j.counts.cancelled, j.finished
}

// Results a job keeps for Report: every file that did not succeed, up to
// maxKeptProblems, and the first maxKeptDone successes.
const (
	maxKeptProblems = 10000
	maxKeptDone     = 1000
)

// keepResult remembers res for Report, within the bounds. j.mu is held.
func (j *job) keepResult(res FileResult) {
	n, limit := &j.kept.problems, maxKeptProblems
	if res.Status == StatusDone {
		n, limit = &j.kept.done, maxKeptDone
	}
	if *n < limit {
		*n++
		j.results = append(j.results, res)
	}
}

// report returns everything known about the job.
func (j *job) report() Report {
	p := j.prog.snapshot()
	j.mu.Lock()
	defer j.mu.Unlock()
	r := Report{Progress: p, Files: append([]FileResult(nil), j.results...)}
	if j.pending != nil {
		q := j.pending.question
		r.Conflict = &q
	}
	if j.summary != nil {
		s := *j.summary
		r.Summary = &s
	}
	return r
}
