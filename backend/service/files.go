package service

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// FileService encrypts, decrypts and verifies files and folders in background jobs
// (backend/jobs). Methods start jobs and return at once; the jobs report through the
// job:* events and run on the app's context, so they end (leaving no partial file)
// when the app shuts down.
type FileService struct {
	base
	dialogs Dialogs
	desktop Desktop
	mgr     *jobs.Manager
	inv     *inventoryRecorder
}

func newFileService(b base, dialogs Dialogs, desktop Desktop, events Events, info AppInfo, inv *inventoryRecorder) *FileService {
	s := &FileService{base: b, dialogs: dialogs, desktop: desktop, inv: inv}
	name := strings.ReplaceAll(strings.ToLower(firstNonEmpty(info.Name, "kmsdesk")), " ", "")
	conn := b.conn
	s.mgr = jobs.NewManager(jobs.Options{
		KMS: func(_ context.Context, route string) (jobs.KMS, error) {
			return conn.jobKMS(route)
		},
		Sink:    &jobSink{events: events, log: b.log, inv: inv},
		Creator: sanitizeCreator(name + "/" + firstNonEmpty(info.Version, "dev")),
	})
	inv.jobKind = func(id string) (jobs.Kind, error) {
		p, err := s.mgr.Status(id)
		return p.Kind, err
	}
	return s
}

// sanitizeCreator keeps the creator string within the format's rules (≤ 255 bytes,
// printable, no control characters).
func sanitizeCreator(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r != 0x7f && b.Len() < 200 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jobSink turns the reports of backend/jobs into the typed events of the contract,
// logging failures once.
type jobSink struct {
	events Events
	log    *slog.Logger
	inv    *inventoryRecorder
}

func (e *jobSink) Progress(p jobs.Progress) { e.events.JobProgress(jobProgressDTO(p)) }
func (e *jobSink) Conflict(c jobs.Conflict) { e.events.JobConflict(JobConflict(c)) }
func (e *jobSink) File(f jobs.FileResult) {
	if f.Status == jobs.StatusFailed {
		e.log.Warn("file failed", "job", f.ID, "path", f.Path, "code", f.ErrorCode)
	}
	e.inv.record(f) // before the event: a UI that reads the inventory on it finds the file
	e.events.JobFile(jobFileDTO(f))
}
func (e *jobSink) Done(s jobs.Summary) {
	e.log.Info("job finished", "job", s.ID, "kind", s.Kind, "state", s.State, "done", s.Done,
		"failed", s.Failed, "skipped", s.Skipped, "cancelled", s.Cancelled, "bytes", s.Bytes, "seconds", s.Seconds)
	e.events.JobDone(jobSummaryDTO(s))
}

// classify says what each path is and which action applies (jobs.Classify): with no
// intent content decides (.kmsenc magic → decrypt; a small file holding only a
// CiphertextBlob → decrypt "blob"; else encrypt); "Encrypt with KMS Desk" encrypts
// every file, an encrypted one too; "Decrypt with KMS Desk" marks what is not
// encrypted "not a KMS Desk encrypted file". No KMS call.
func classify(paths []string, intent OpenIntent) OpenFiles {
	out := OpenFiles{Items: make([]Item, 0, len(paths)), Intent: intent}
	for _, p := range paths {
		out.Items = append(out.Items, itemDTO(jobs.Classify(absPath(p), string(intent))))
	}
	return out
}

// AddFiles asks for files to add and classifies them; no items means the user
// cancelled.
func (s *FileService) AddFiles() (OpenFiles, error) {
	return call(&s.base, "AddFiles", func(context.Context) (OpenFiles, error) {
		paths, err := s.dialogs.OpenFiles("Choose files to encrypt or decrypt")
		if err != nil {
			return OpenFiles{}, err
		}
		return classify(paths, IntentNone), nil
	})
}

// AddFolder asks for a folder to add and classifies it; no items means the user
// cancelled.
func (s *FileService) AddFolder() (OpenFiles, error) {
	return call(&s.base, "AddFolder", func(context.Context) (OpenFiles, error) {
		dir, err := s.pickFolder("Choose a folder to encrypt or decrypt")
		if err != nil || dir == "" {
			return OpenFiles{Items: []Item{}}, err
		}
		return classify([]string{dir}, IntentNone), nil
	})
}

// PickOutputFolder asks for the folder outputs go to; "" means the user cancelled.
func (s *FileService) PickOutputFolder() (string, error) {
	return call(&s.base, "PickOutputFolder", func(context.Context) (string, error) {
		return s.pickFolder("Choose where to save the results")
	})
}

func (s *FileService) pickFolder(title string) (string, error) {
	return s.dialogs.OpenDirectory(title)
}

// absPath makes a path absolute (kmsctl passes relative ones).
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// outputDir makes the output folder absolute; "" stays "" (next to the originals).
func outputDir(d string) string {
	if strings.TrimSpace(d) == "" {
		return ""
	}
	return absPath(d)
}

// Encrypt starts encrypting files and folders under a key.
func (s *FileService) Encrypt(req EncryptRequest) (JobInfo, error) {
	return callKMS(&s.base, "Encrypt", func(ctx context.Context, c *kms.Client) (JobInfo, error) {
		ec, err := EncryptionContext(req.Context)
		if err != nil {
			return JobInfo{}, err
		}
		primary, err := resolveKeyID(ctx, c, req.KeyID)
		if err != nil {
			return JobInfo{}, err
		}
		var backups []envelope.KeyRef
		for _, b := range req.BackupKeyIDs {
			b = strings.TrimSpace(b)
			if b == "" {
				continue
			}
			if region, id, ok := strings.Cut(b, ":"); ok {
				if !keyIDRE.MatchString(id) || region == "" {
					return JobInfo{}, invalid(fmt.Sprintf("backup key %q: use REGION:KEYID (aliases only in the current region)", b))
				}
				backups = append(backups, envelope.KeyRef{Region: region, KeyID: id})
				continue
			}
			id, err := resolveKeyID(ctx, c, b)
			if err != nil {
				return JobInfo{}, err
			}
			backups = append(backups, envelope.KeyRef{KeyID: id})
		}
		conn, err := s.conn.Current()
		if err != nil {
			return JobInfo{}, err
		}
		recovery, err := parseRecipients(conn.Recovery, req.Recovery)
		if err != nil {
			return JobInfo{}, err
		}
		if req.Direct && len(recovery) > 0 {
			return JobInfo{}, invalid("plain ciphertext files (direct mode) cannot carry a recovery key: encrypt into .kmsenc files instead")
		}
		suite, err := s.suite(req.Suite)
		if err != nil {
			return JobInfo{}, err
		}
		info, err := s.mgr.Encrypt(s.ctx, jobs.EncryptSpec{
			Paths: req.Paths, KeyID: primary, BackupKeys: backups, EncryptionContext: ec, Recovery: recovery,
			OutputDir: outputDir(req.OutputDir), Overwrite: jobs.Policy(req.Overwrite), RemoveOriginals: req.RemoveOriginals,
			Direct: req.Direct, Recursive: true, Force: req.Force, Suite: jobs.Suite(suite), SkipCurrent: req.SkipCurrent,
		})
		return jobInfoDTO(info), err
	})
}

// suite resolves an encrypt request's suite: the request's, else the profile's
// default, else auto.
func (s *FileService) suite(req Suite) (Suite, error) {
	if req == "" {
		if conn, err := s.conn.Current(); err == nil {
			req = conn.Suite
		}
	}
	if req == "" {
		return SuiteAuto, nil
	}
	if !valid(AllSuites, req) {
		return "", invalid(fmt.Sprintf("unknown suite %q: use auto, aes or sm4", req))
	}
	return req, nil
}

// suiteOf names the suite of a .kmsenc header.
func suiteOf(id uint16) Suite {
	if id == envelope.SuiteSM4GCMSM3 {
		return SuiteSM4
	}
	return SuiteAES
}

// contextMap turns rows into the map jobs checks; no rows give nil.
func contextMap(pairs []ContextPair) (map[string]string, error) {
	if _, err := EncryptionContext(pairs); err != nil || len(pairs) == 0 {
		return nil, err
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[strings.TrimSpace(p.Key)] = p.Value
	}
	return m, nil
}

// Decrypt starts decrypting .kmsenc and CiphertextBlob files (folders: the encrypted
// files in them), restoring original names.
func (s *FileService) Decrypt(req DecryptRequest) (JobInfo, error) {
	return call(&s.base, "Decrypt", func(context.Context) (JobInfo, error) {
		rc, err := contextMap(req.RequireContext)
		if err != nil {
			return JobInfo{}, err
		}
		ids, err := loadIdentities(req.IdentityFile)
		if err != nil {
			return JobInfo{}, err
		}
		info, err := s.mgr.Decrypt(s.ctx, jobs.DecryptSpec{Paths: req.Paths, OutputDir: outputDir(req.OutputDir),
			Overwrite: jobs.Policy(req.Overwrite), RequireContext: rc, Identities: ids, Force: req.Force})
		return jobInfoDTO(info), err
	})
}

// Verify starts a full authenticated pass over encrypted files; nothing is written.
func (s *FileService) Verify(paths []string) (JobInfo, error) {
	return call(&s.base, "Verify", func(context.Context) (JobInfo, error) {
		info, err := s.mgr.Verify(s.ctx, jobs.VerifySpec{Paths: paths})
		return jobInfoDTO(info), err
	})
}

// Inspect reads an encrypted file's header: keys, regions, encryption context, sizes.
// No KMS call.
func (s *FileService) Inspect(path string) (Inspection, error) {
	return call(&s.base, "Inspect", func(context.Context) (Inspection, error) {
		in, err := jobs.Inspect(absPath(path))
		if err != nil {
			return Inspection{}, err
		}
		out := Inspection{Path: in.Path, Kind: ItemKind(in.Kind), Size: in.Size, PlaintextSize: in.PlaintextSize, Keys: []InspectionKey{}}
		if h := in.Header; h != nil {
			out.Version, out.EncryptionContext, out.Creator, out.HasMetadata = int(h.Version), h.EncryptionContext, h.Creator, h.HasMetadata()
			out.Suite = suiteOf(h.Suite)
			local := s.conn.localInstances()
			for _, sl := range h.Slots {
				out.Keys = append(out.Keys, inspectionKey(sl, local))
			}
		}
		return out, nil
	})
}

// Cancel cancels a job: files in progress stop and leave nothing.
func (s *FileService) Cancel(jobID string) error {
	return done(&s.base, "Cancel", func(context.Context) error { return s.mgr.Cancel(jobID) })
}

// CancelFile cancels one file of a job, the one whose input is path: if it is being
// processed it stops and leaves nothing, if it waits its turn it is not started; the
// job's other files go on. The file reports cancelled (job:file).
func (s *FileService) CancelFile(jobID, path string) error {
	return done(&s.base, "CancelFile", func(context.Context) error { return s.mgr.CancelFile(jobID, path) })
}

// CancelAll cancels every running job.
func (s *FileService) CancelAll() error {
	return done(&s.base, "CancelAll", func(context.Context) error { s.mgr.CancelAll(); return nil })
}

// ResolveConflict answers a job:conflict; applyToAll answers the job's later conflicts
// the same way (cancel ends the whole job).
func (s *FileService) ResolveConflict(jobID string, decision Decision, applyToAll bool) error {
	return done(&s.base, "ResolveConflict", func(context.Context) error {
		return s.mgr.ResolveConflict(jobID, jobs.Decision(decision), applyToAll)
	})
}

// Jobs lists the running and recently finished jobs, oldest first.
func (s *FileService) Jobs() ([]JobProgress, error) {
	return call(&s.base, "Jobs", func(context.Context) ([]JobProgress, error) { return s.jobs(false), nil })
}

func (s *FileService) jobs(runningOnly bool) []JobProgress {
	out := []JobProgress{}
	for _, p := range s.mgr.Jobs() {
		if !runningOnly || p.State == jobs.StateRunning || p.State == jobs.StateWaiting {
			out = append(out, jobProgressDTO(p))
		}
	}
	return out
}

// Job returns everything known about one job: progress, the files so far, the
// question it waits on and, once it ended, its summary.
func (s *FileService) Job(jobID string) (JobReport, error) {
	return call(&s.base, "Job", func(context.Context) (JobReport, error) {
		r, err := s.mgr.Report(jobID)
		if err != nil {
			return JobReport{}, err
		}
		out := JobReport{Progress: jobProgressDTO(r.Progress), Files: make([]JobFile, len(r.Files))}
		for i, f := range r.Files {
			out.Files[i] = jobFileDTO(f)
		}
		if r.Conflict != nil {
			c := JobConflict(*r.Conflict)
			out.Conflict = &c
		}
		if r.Summary != nil {
			d := jobSummaryDTO(*r.Summary)
			out.Done = &d
		}
		return out, nil
	})
}

// ShowOutput opens, in the file manager, the folder of an output that job jobID
// produced. Any other path is refused.
func (s *FileService) ShowOutput(jobID, path string) error {
	return done(&s.base, "ShowOutput", func(context.Context) error {
		ok, err := s.mgr.Produced(jobID, path)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("this file is not an output of that job")
		}
		if s.desktop == nil {
			return errcode.New(CodeUnknown, "no file manager is available")
		}
		if err := s.desktop.ShowFolder(filepath.Dir(filepath.Clean(path))); err != nil {
			return errcode.Wrap(CodeUnknown, "open the folder", err)
		}
		return nil
	})
}

// stopJobs cancels every file job and waits up to timeout for them to delete their
// partial files and finish.
func (s *FileService) stopJobs(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.mgr.Shutdown(ctx)
}
