package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// Kind is what a job does.
type Kind string

// Job kinds.
const (
	KindEncrypt Kind = "encrypt"
	KindDecrypt Kind = "decrypt"
	KindVerify  Kind = "verify"
)

// Policy says what to do when an output already exists.
type Policy string

// Overwrite policies.
const (
	// PolicyAsk reports a Conflict through the Sink and waits for ResolveConflict.
	PolicyAsk Policy = "ask"
	// PolicySkip leaves the existing file and skips the input (File.Exists).
	PolicySkip Policy = "skip"
	// PolicyRename writes "name (1).ext", "name (2).ext", … instead.
	PolicyRename Policy = "rename"
	// PolicyOverwrite replaces the existing file atomically (rename over it).
	PolicyOverwrite Policy = "overwrite"
)

// Decision answers a Conflict.
type Decision string

// Conflict decisions.
const (
	DecisionOverwrite Decision = "overwrite"
	DecisionSkip      Decision = "skip"
	DecisionRename    Decision = "rename"
	DecisionCancel    Decision = "cancel"
)

// File statuses in FileResult.
const (
	StatusDone      = "done"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
	StatusCancelled = "cancelled"
)

// Job states.
const (
	StateRunning   = "running"
	StateWaiting   = "waiting" // for a conflict decision
	StateDone      = "done"
	StateFailed    = "failed" // finished with at least one failed file
	StateCancelled = "cancelled"
)

// Progress is a snapshot of a job: the throttled report of a running job, the final
// report when it ends, and what Jobs lists. BytesPerSec and EtaSeconds are computed
// here, once, for every front end.
type Progress struct {
	ID         string
	Kind       Kind
	State      string
	FilesDone  int
	FilesTotal int
	BytesDone  int64
	BytesTotal int64
	// Done, Failed, Skipped and Cancelled count the finished files by outcome.
	Done, Failed, Skipped, Cancelled int
	// BytesPerSec is the rate over the last few seconds (the average over the whole
	// job once it ended); 0 while unknown.
	BytesPerSec float64
	// EtaSeconds is the estimated time left, -1 when unknown (the first second).
	EtaSeconds float64
	// Current is the file in progress (the oldest one when several run), or nil.
	Current *Current
	Started time.Time
	// Seconds is how long the job has run (until its end, once it ended).
	Seconds float64
}

// Current is the file in progress.
type Current struct {
	Path       string
	BytesDone  int64
	BytesTotal int64
}

// FileResult reports one file's outcome, once per file.
type FileResult struct {
	ID     string
	Path   string
	Output string
	// Status is done, failed, skipped or cancelled.
	Status    string
	ErrorCode string
	Message   string
	// Key is, for a file none of whose keys opened it, the first key tried (its slot
	// without the wrapped key), so the UI can say which key and where it lives.
	Key *envelope.Slot
	// Recoverable reports, for such a file, that it has a recovery slot: an offline
	// recovery key opens it.
	Recoverable bool
	// Subject is the file or folder the error is about when it is not this file: the
	// output folder that could not be written (File.PermissionDenied), the
	// encrypted copy that is up to date (File.UpToDate); "" otherwise.
	Subject string
}

// Conflict asks what to do about an existing output (policy "ask").
type Conflict struct {
	ID     string
	Path   string
	Output string
}

// Summary reports the end of a job, once.
type Summary struct {
	ID        string
	Kind      Kind
	State     string
	Done      int
	Failed    int
	Skipped   int
	Cancelled int
	// Bytes is the plaintext size of the files done.
	Bytes   int64
	Seconds float64
	// BytesPerSec is Bytes over the job's run time (0 for an instant job).
	BytesPerSec float64
	// Final is the job's last progress report (also sent to Sink.Progress), so a
	// front end that sees only the end has the whole picture.
	Final Progress
}

// Report is everything known about one job.
type Report struct {
	Progress Progress
	// Files are the outcomes so far: every file that failed, was skipped or was
	// cancelled (up to 10,000) and the first 1,000 that succeeded, in order.
	Files []FileResult
	// Conflict is the question the job waits on, or nil.
	Conflict *Conflict
	// Summary is set once the job ended.
	Summary *Summary
}

// Sink receives a job's reports. Methods are called from job goroutines (never two
// Progress calls at once for one job) and must return quickly.
type Sink interface {
	Progress(Progress)
	File(FileResult)
	Conflict(Conflict)
	Done(Summary)
}

// BatchLimits bound how much one data key encrypts before the next is generated.
type BatchLimits struct {
	Files int           // default 1000
	Age   time.Duration // default 10 minutes
	Bytes int64         // default 256 GiB
}

// Options configures a Manager. KMS and Sink are required.
type Options struct {
	// KMS returns the client for a region.
	KMS ClientSource
	// Sink receives progress, per-file results, conflicts and the end of each job.
	Sink Sink
	// Creator is written into new .kmsenc headers, e.g. "kmsdesk/1.2.0".
	Creator string
	// FileWorkers is how many files a job processes at once (default 4).
	FileWorkers int
	// LargeFiles is how many files of at least LargeFileSize are processed at once
	// across all jobs (default 2), so big files do not fight over the disk.
	LargeFiles int
	// KMSInFlight bounds concurrent KMS requests across all jobs (default 4).
	KMSInFlight int
	// Batch bounds the use of one data key when encrypting.
	Batch BatchLimits
	// Workers is the number of AEAD goroutines per file (0 = one per CPU).
	Workers int
	// ProgressInterval is the minimum time between Progress reports (default 100 ms).
	ProgressInterval time.Duration
	// KeepFinished is how many finished jobs Jobs() remembers (default 50).
	KeepFinished int
}

// LargeFileSize is the size from which a file counts as large (see Options.LargeFiles).
const LargeFileSize = 16 << 20

// EncryptSpec is an encryption request.
type EncryptSpec struct {
	Paths []string
	// KeyID is the primary CMK id (in the default region).
	KeyID string
	// BackupKeys get a copy of each data key (KMS Encrypt); Region "" = default.
	BackupKeys []envelope.KeyRef
	// EncryptionContext is "" or a JSON object (≤ 1024 bytes), sent to KMS verbatim.
	EncryptionContext string
	// OutputDir is where outputs go, mirroring folders; "" = next to each original.
	OutputDir string
	Overwrite Policy
	// RemoveOriginals deletes each original after its output was re-read and fully
	// verified (a plain delete, not a secure erase).
	RemoveOriginals bool
	// Direct encrypts files of at most 4096 bytes with the KMS Encrypt API into
	// ".kmsblob" files holding only the CiphertextBlob (backup keys do not apply).
	Direct bool
	// Recovery are offline recovery keys: each gets a slot in every file (not in
	// direct mode, which has no slots).
	Recovery []envelope.Recipient
	// Recursive allows folders among Paths.
	Recursive bool
	// Force encrypts files the user gave whose name ends in .kmsenc although they are
	// not encrypted files (without it they fail with File.NamedEncrypted).
	Force bool
	// Suite is the crypto suite of the files: SuiteAuto ("", the primary key's
	// region's standard), SuiteAES or SuiteSM4. Direct mode has no suite.
	Suite Suite
	// SkipCurrent skips (File.UpToDate) each file that already has an up-to-date
	// encrypted copy where its output would go: NAME.kmsenc whose header promises
	// the file's size and which is newer than the file. Only headers are read.
	SkipCurrent bool
}

// DecryptSpec is a decryption request. Folders are always searched recursively for
// encrypted files.
type DecryptSpec struct {
	Paths     []string
	OutputDir string
	Overwrite Policy
	// RequireContext lists encryption-context pairs a .kmsenc file must carry. For a
	// CiphertextBlob file it is the encryption context sent to KMS Decrypt.
	RequireContext map[string]string
	// Identities are offline recovery keys: files with a matching recovery slot open
	// with them first, without KMS.
	Identities []envelope.Identity
	// Force lets policy overwrite replace any existing file. Without it a decrypted
	// file replaces only the name its own file name gives (report.pdf for
	// report.pdf.kmsenc) and never a dot-file; other names fail with
	// File.WouldReplace (policy ask asks about each of them).
	Force bool
}

// VerifySpec is a verification request: a full authenticated decryption whose
// plaintext is discarded.
type VerifySpec struct {
	Paths          []string
	RequireContext map[string]string
	Identities     []envelope.Identity
}

// Info describes a started job.
type Info struct {
	ID    string
	Kind  Kind
	Files int
	Bytes int64
}

// hooks let tests observe and disturb a job at fixed points.
type hooks struct {
	// beforeVerify runs after an output was committed and before it is verified for
	// RemoveOriginals.
	beforeVerify func(output string)
	// fileProgress runs on every progress update of a file.
	fileProgress func(src string, bytes int64)
	// freeSpace replaces the free-space query.
	freeSpace func(dir string) (int64, bool)
	// openPartial runs after a partial file was created; an error it returns is
	// taken as the error of creating it (the file is removed again).
	openPartial func(path string) error
	// wrapWriter wraps the writer of every output.
	wrapWriter func(w io.Writer) io.Writer
	// afterRename runs right after an output was renamed to its final name, before its
	// mtime and mode are set.
	afterRename func(final string)
	// now replaces the clock of progress reports (rates, ETA, run time).
	now func() time.Time
	// ticks replaces the progress ticker (one report per tick, when something changed).
	ticks <-chan time.Time
	// ticked runs after each tick was handled.
	ticked func()
}

// now is the manager's clock.
func (m *Manager) now() time.Time {
	if m.hooks.now != nil {
		return m.hooks.now()
	}
	return time.Now()
}

// Manager runs jobs. It is safe for concurrent use.
type Manager struct {
	opts  Options
	limit chan struct{} // KMS requests in flight
	large chan struct{} // large files in progress
	hooks hooks

	mu       sync.Mutex
	jobs     map[string]*job
	order    []string
	claims   map[string]bool // final output paths being written by some job
	suites   regionSuites    // the standard suite of each KMS (SuiteAuto)
	wg       sync.WaitGroup
	shutdown bool
}

// NewManager returns a Manager.
func NewManager(o Options) *Manager {
	if o.FileWorkers <= 0 {
		o.FileWorkers = 4
	}
	if o.LargeFiles <= 0 {
		o.LargeFiles = 2
	}
	if o.KMSInFlight <= 0 {
		o.KMSInFlight = 4
	}
	if o.Batch.Files <= 0 {
		o.Batch.Files = 1000
	}
	if o.Batch.Age <= 0 {
		o.Batch.Age = 10 * time.Minute
	}
	if o.Batch.Bytes <= 0 {
		o.Batch.Bytes = 256 << 30
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 100 * time.Millisecond
	}
	if o.KeepFinished <= 0 {
		o.KeepFinished = 50
	}
	return &Manager{
		opts:   o,
		limit:  make(chan struct{}, o.KMSInFlight),
		large:  make(chan struct{}, o.LargeFiles),
		jobs:   map[string]*job{},
		claims: map[string]bool{},
	}
}

func invalidReq(msg string) error { return newErr(CodeInvalidRequest, msg, nil) }

func checkPolicy(p Policy) (Policy, error) {
	switch p {
	case "":
		return PolicyRename, nil
	case PolicyAsk, PolicySkip, PolicyRename, PolicyOverwrite:
		return p, nil
	}
	return "", invalidReq(fmt.Sprintf("unknown overwrite policy %q (ask, skip, rename or overwrite)", p))
}

func checkOutputDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	abs := cleanPath(dir)
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return "", invalidReq("the output folder is a file: " + abs)
	}
	return abs, nil
}

func checkPaths(paths []string) error {
	if len(paths) == 0 {
		return invalidReq("no files given")
	}
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return invalidReq("an empty path was given")
		}
	}
	return nil
}

// Encrypt plans and starts an encryption job on ctx (the job stops when ctx ends).
func (m *Manager) Encrypt(ctx context.Context, s EncryptSpec) (Info, error) {
	if err := checkPaths(s.Paths); err != nil {
		return Info{}, err
	}
	if strings.TrimSpace(s.KeyID) == "" {
		return Info{}, invalidReq("no key given")
	}
	if 1+len(s.BackupKeys) > envelope.MaxSlots {
		return Info{}, invalidReq(fmt.Sprintf("at most %d backup keys", envelope.MaxSlots-1))
	}
	if ec := s.EncryptionContext; ec != "" {
		var obj map[string]any
		if len(ec) > envelope.MaxEncryptionContextSize || json.Unmarshal([]byte(ec), &obj) != nil || obj == nil {
			return Info{}, invalidReq("the encryption context must be a JSON object of at most 1024 bytes")
		}
	}
	var err error
	if s.Overwrite, err = checkPolicy(s.Overwrite); err != nil {
		return Info{}, err
	}
	if s.OutputDir, err = checkOutputDir(s.OutputDir); err != nil {
		return Info{}, err
	}
	if s.Suite, err = checkSuite(s.Suite); err != nil {
		return Info{}, err
	}
	if 1+len(s.BackupKeys)+len(s.Recovery) > envelope.MaxSlots && !s.Direct {
		return Info{}, invalidReq(fmt.Sprintf("at most %d keys, backup and recovery keys included", envelope.MaxSlots))
	}
	j := m.newJob(ctx, KindEncrypt, s.Overwrite)
	j.enc = &s
	j.outDir = s.OutputDir
	j.keys = &keyBatch{w: j.wrapper, primary: envelope.KeyRef{KeyID: s.KeyID}, backups: s.BackupKeys, recovery: s.Recovery,
		ec: s.EncryptionContext, limits: m.opts.Batch, choice: s.Suite, suiteFor: m.suiteFor}
	return m.start(j, plan(KindEncrypt, s.Paths, planOptions{outputDir: s.OutputDir, recursive: s.Recursive, encryptNamedEncrypted: s.Force, skipCurrent: s.SkipCurrent}))
}

// Decrypt plans and starts a decryption job.
func (m *Manager) Decrypt(ctx context.Context, s DecryptSpec) (Info, error) {
	if err := checkPaths(s.Paths); err != nil {
		return Info{}, err
	}
	var err error
	if s.Overwrite, err = checkPolicy(s.Overwrite); err != nil {
		return Info{}, err
	}
	if s.OutputDir, err = checkOutputDir(s.OutputDir); err != nil {
		return Info{}, err
	}
	j := m.newJob(ctx, KindDecrypt, s.Overwrite)
	j.outDir, j.force = s.OutputDir, s.Force
	j.wrapper.st.ids = s.Identities
	if err := j.setContext(s.RequireContext); err != nil {
		return Info{}, err
	}
	return m.start(j, plan(KindDecrypt, s.Paths, planOptions{outputDir: s.OutputDir, recursive: true}))
}

// Verify plans and starts a verification job (nothing is written).
func (m *Manager) Verify(ctx context.Context, s VerifySpec) (Info, error) {
	if err := checkPaths(s.Paths); err != nil {
		return Info{}, err
	}
	j := m.newJob(ctx, KindVerify, PolicySkip)
	j.wrapper.st.ids = s.Identities
	if err := j.setContext(s.RequireContext); err != nil {
		return Info{}, err
	}
	return m.start(j, plan(KindVerify, s.Paths, planOptions{recursive: true}))
}

// newID returns a random job id.
func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "job-" + hex.EncodeToString(b[:])
}

func (m *Manager) newJob(ctx context.Context, kind Kind, policy Policy) *job {
	jctx, cancel := context.WithCancel(ctx)
	j := &job{
		m:        m,
		id:       newID(),
		kind:     kind,
		ctx:      jctx,
		cancel:   cancel,
		started:  m.now(),
		policy:   policy,
		wrapper:  newWrapper(m.opts.KMS, m.limit),
		produced: map[string]bool{},
		state:    StateRunning,
	}
	return j
}

// start registers j with its items and runs it in the background.
func (m *Manager) start(j *job, items []*item) (Info, error) {
	j.items = items
	j.inputs = map[string]bool{}
	j.inputIDs = map[fileID]bool{}
	for _, it := range items {
		j.filesTotal++
		j.bytesTotal += it.total
		if it.pre != nil {
			continue // reported, never read: not protected as an input
		}
		j.inputs[it.src] = true
		if it.info != nil {
			if id, ok := idOf(it.info); ok {
				j.inputIDs[id] = true
			}
		}
	}
	j.prog.init(j)
	m.mu.Lock()
	if m.shutdown {
		m.mu.Unlock()
		j.cancel()
		return Info{}, newErr(CodeCancelled, "shutting down", nil)
	}
	m.jobs[j.id] = j
	m.order = append(m.order, j.id)
	m.pruneLocked()
	m.wg.Add(1)
	m.mu.Unlock()
	go j.run()
	return Info{ID: j.id, Kind: j.kind, Files: j.filesTotal, Bytes: j.bytesTotal}, nil
}

// pruneLocked forgets the oldest finished jobs beyond KeepFinished.
func (m *Manager) pruneLocked() {
	finished := 0
	for _, id := range m.order {
		if m.jobs[id].finishedAt().IsZero() {
			continue
		}
		finished++
	}
	for i := 0; finished > m.opts.KeepFinished && i < len(m.order); {
		id := m.order[i]
		if m.jobs[id].finishedAt().IsZero() {
			i++
			continue
		}
		delete(m.jobs, id)
		m.order = append(m.order[:i], m.order[i+1:]...)
		finished--
	}
}

func (m *Manager) find(id string) (*job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return nil, newErr(CodeJobNotFound, fmt.Sprintf("no job %q", id), nil)
	}
	return j, nil
}

// Cancel cancels a job. Files in progress stop within one chunk and leave no output;
// cancelling a finished job does nothing.
func (m *Manager) Cancel(id string) error {
	j, err := m.find(id)
	if err != nil {
		return err
	}
	j.cancel()
	return nil
}

// CancelFile cancels one file of job id, the one whose input is path: if it is being
// processed it stops within one chunk and leaves no output (StatusCancelled); if it
// waits its turn it is not started. The job's other files go on. A file that finished
// stays as it is; a path that is not a file of the job is refused (Job.InvalidRequest).
func (m *Manager) CancelFile(id, path string) error {
	j, err := m.find(id)
	if err != nil {
		return err
	}
	return j.cancelFile(cleanPath(path))
}

// CancelAll cancels every running job.
func (m *Manager) CancelAll() {
	m.mu.Lock()
	js := make([]*job, 0, len(m.jobs))
	for _, j := range m.jobs {
		js = append(js, j)
	}
	m.mu.Unlock()
	for _, j := range js {
		j.cancel()
	}
}

// Shutdown cancels every job, refuses new ones and waits (until ctx ends) for the
// running ones to remove their partial outputs and finish.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.shutdown = true
	m.mu.Unlock()
	m.CancelAll()
	return m.Wait(ctx)
}

// Wait blocks until no job is running or ctx ends.
func (m *Manager) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ResolveConflict answers the conflict job id is waiting on. With applyToAll the
// decision (except cancel) also answers every later conflict of the job.
func (m *Manager) ResolveConflict(id string, d Decision, applyToAll bool) error {
	switch d {
	case DecisionOverwrite, DecisionSkip, DecisionRename, DecisionCancel:
	default:
		return invalidReq(fmt.Sprintf("unknown decision %q (overwrite, skip, rename or cancel)", d))
	}
	j, err := m.find(id)
	if err != nil {
		return err
	}
	return j.resolve(d, applyToAll)
}

// Jobs returns the running and recently finished jobs, oldest first.
func (m *Manager) Jobs() []Progress {
	m.mu.Lock()
	js := make([]*job, 0, len(m.order))
	for _, id := range m.order {
		js = append(js, m.jobs[id])
	}
	m.mu.Unlock()
	out := make([]Progress, 0, len(js))
	for _, j := range js {
		out = append(out, j.prog.snapshot())
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Started.Before(out[b].Started) })
	return out
}

// Status returns one job's snapshot.
func (m *Manager) Status(id string) (Progress, error) {
	j, err := m.find(id)
	if err != nil {
		return Progress{}, err
	}
	return j.prog.snapshot(), nil
}

// Report returns everything known about job id.
func (m *Manager) Report(id string) (Report, error) {
	j, err := m.find(id)
	if err != nil {
		return Report{}, err
	}
	return j.report(), nil
}

// Running returns the number of jobs not finished yet.
func (m *Manager) Running() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, j := range m.jobs {
		if j.finishedAt().IsZero() {
			n++
		}
	}
	return n
}

// Produced reports whether path is an output job id wrote.
func (m *Manager) Produced(id, path string) (bool, error) {
	j, err := m.find(id)
	if err != nil {
		return false, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.produced[filepath.Clean(path)], nil
}

// Outputs returns the outputs job id wrote, sorted.
func (m *Manager) Outputs(id string) ([]string, error) {
	j, err := m.find(id)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]string, 0, len(j.produced))
	for p := range j.produced {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// claim reserves a final output path for one writer across all jobs.
func (m *Manager) claim(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.claims[path] {
		return false
	}
	m.claims[path] = true
	return true
}

func (m *Manager) unclaim(path string) {
	m.mu.Lock()
	delete(m.claims, path)
	m.mu.Unlock()
}

func (m *Manager) claimed(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claims[path]
}
