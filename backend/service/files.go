package service

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Events of file jobs (docs/ARCHITECTURE.md, FileService).
const (
	EventJobProgress = "job:progress"
	EventJobFile     = "job:file"
	EventJobConflict = "job:conflict"
	EventJobDone     = "job:done"
)

// Event payloads of file jobs. They carry the job id and are JSON camelCase.
type (
	// ProgressEvent is the payload of job:progress (about every 100 ms).
	ProgressEvent = jobs.Progress
	// FileEvent is the payload of job:file (once per file).
	FileEvent = jobs.FileResult
	// ConflictEvent is the payload of job:conflict (overwrite "ask").
	ConflictEvent = jobs.Conflict
	// DoneEvent is the payload of job:done (once per job).
	DoneEvent = jobs.Summary
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
}

// NewFileService returns a FileService. events may be nil (no reports).
func NewFileService(ctx context.Context, gate Gate, log *slog.Logger, conn *Connector, dialogs Dialogs, desktop Desktop, events Events, info AppInfo) *FileService {
	s := &FileService{base: base{ctx: ctx, gate: gate, log: log, conn: conn}, dialogs: dialogs, desktop: desktop}
	name := strings.ToLower(firstNonEmptyString(info.Name, "kmsdesk"))
	name = strings.ReplaceAll(name, " ", "")
	creator := name + "/" + firstNonEmptyString(info.Version, "dev")
	s.mgr = jobs.NewManager(jobs.Options{
		KMS: func(ctx context.Context, region string) (*kms.Client, error) {
			if conn == nil {
				return nil, &Error{Code: CodeNotReady, Message: "no KMS connection"}
			}
			return conn.ClientForRegion(ctx, region)
		},
		Sink:    &jobEvents{events: events, log: log},
		Creator: sanitizeCreator(creator),
	})
	return s
}

// StopFileJobs cancels every file job and waits up to timeout for them to delete
// their partial files and finish. The desktop shell calls it on shutdown (it is a
// function, not a method, so it is not bound to the frontend).
func StopFileJobs(s *FileService, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.mgr.Shutdown(ctx)
}

func firstNonEmptyString(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
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

// jobEvents turns job reports into Wails events.
type jobEvents struct {
	events Events
	log    *slog.Logger
}

func (e *jobEvents) emit(name string, data any) {
	if e.events != nil {
		e.events.Emit(name, data)
	}
}

func (e *jobEvents) Progress(p jobs.Progress) { e.emit(EventJobProgress, p) }
func (e *jobEvents) Conflict(c jobs.Conflict) { e.emit(EventJobConflict, c) }
func (e *jobEvents) File(f jobs.FileResult)   { e.logFile(f); e.emit(EventJobFile, f) }
func (e *jobEvents) Done(s jobs.Summary)      { e.logDone(s); e.emit(EventJobDone, s) }
func (e *jobEvents) logFile(f jobs.FileResult) {
	if f.Status == jobs.StatusFailed && e.log != nil {
		e.log.Warn("file failed", "job", f.ID, "path", f.Path, "code", f.ErrorCode)
	}
}
func (e *jobEvents) logDone(s jobs.Summary) {
	if e.log != nil {
		e.log.Info("job finished", "job", s.ID, "kind", s.Kind, "state", s.State, "done", s.Done,
			"failed", s.Failed, "skipped", s.Skipped, "cancelled", s.Cancelled, "bytes", s.Bytes, "seconds", s.Seconds)
	}
}

// Item is one dropped path as the Files view shows it.
type Item struct {
	Path  string `json:"path"`
	Name  string `json:"name"`
	IsDir bool   `json:"isDir"`
	// Size is the file size, or the total of the regular files under a folder.
	Size int64 `json:"size"`
	// Files is the number of regular files under a folder (1 for a file).
	Files int `json:"files"`
	// Action is "encrypt" or "decrypt".
	Action string `json:"action"`
	// Kind is "file", "folder", "envelope" (.kmsenc) or "blob" (a CiphertextBlob file).
	Kind      string `json:"kind"`
	ErrorCode string `json:"errorCode"`
}

// Classify says what each path is and which action applies: content decides (.kmsenc
// magic → decrypt; a small file holding only a CiphertextBlob → decrypt "blob"; else
// encrypt). No KMS call.
func (s *FileService) Classify(paths []string) ([]Item, error) {
	out := make([]Item, 0, len(paths))
	for _, p := range paths {
		c := jobs.Classify(absPath(p))
		out = append(out, Item{Path: c.Path, Name: c.Name, IsDir: c.IsDir, Size: c.Size, Files: c.Files,
			Action: c.Action, Kind: c.Kind, ErrorCode: c.ErrorCode})
	}
	return out, nil
}

// EncryptRequest asks to encrypt files and folders (folders recursively).
type EncryptRequest struct {
	Paths []string `json:"paths"`
	// KeyID is a KeyId or an alias of the current region.
	KeyID string `json:"keyId"`
	// BackupKeyIDs get a copy of each data key: "KEYID", an alias, or "REGION:KEYID"
	// for a key in another region.
	BackupKeyIDs []string      `json:"backupKeyIds"`
	Context      []ContextPair `json:"context"`
	// OutputDir is where outputs go, mirroring folders; "" = next to each original.
	OutputDir string `json:"outputDir"`
	// Overwrite is "ask", "skip", "rename" (default) or "overwrite".
	Overwrite string `json:"overwrite"`
	// RemoveOriginals deletes each original after its encrypted file was verified.
	RemoveOriginals bool `json:"removeOriginals"`
	// Direct writes files of 1–4096 bytes as plain CiphertextBlob files (.kmsblob).
	Direct bool `json:"direct"`
}

// DecryptRequest asks to decrypt files and folders (the encrypted files in them).
type DecryptRequest struct {
	Paths     []string `json:"paths"`
	OutputDir string   `json:"outputDir"`
	Overwrite string   `json:"overwrite"`
	// RequireContext are pairs a .kmsenc file's encryption context must hold; for a
	// CiphertextBlob file they are the encryption context sent to KMS.
	RequireContext []ContextPair `json:"requireContext"`
}

// JobInfo describes a started job.
type JobInfo struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Files int    `json:"files"`
	Bytes int64  `json:"bytes"`
}

func jobInfo(i jobs.Info) JobInfo {
	return JobInfo{ID: i.ID, Kind: string(i.Kind), Files: i.Files, Bytes: i.Bytes}
}

// absPath makes a path absolute (kmsctl passes relative ones).
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func absPaths(ps []string) ([]string, error) {
	if len(ps) == 0 {
		return nil, invalid("choose files or folders first")
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if strings.TrimSpace(p) == "" {
			return nil, invalid("an empty path was given")
		}
		out = append(out, absPath(p))
	}
	return out, nil
}

func policy(p string) (jobs.Policy, error) {
	switch p {
	case "":
		return jobs.PolicyRename, nil
	case "ask", "skip", "rename", "overwrite":
		return jobs.Policy(p), nil
	}
	return "", invalid(fmt.Sprintf("overwrite must be ask, skip, rename or overwrite, not %q", p))
}

func outputDir(d string) string {
	if strings.TrimSpace(d) == "" {
		return ""
	}
	return absPath(d)
}

// ready waits for startup to finish.
func (s *FileService) ready() error {
	_, cancel, err := s.begin()
	if err != nil {
		return err
	}
	cancel()
	return nil
}

// resolveKey turns an alias into a KeyId (a KeyId is passed through without a call).
func (s *FileService) resolveKey(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if keyIDRE.MatchString(ref) {
		return ref, nil
	}
	if ref == "" {
		return "", invalid("choose a key first")
	}
	k, err := (&KeyService{base: s.base}).Resolve(ref)
	if err != nil {
		return "", err
	}
	return k.KeyID, nil
}

// Encrypt starts encrypting files and folders under a key.
func (s *FileService) Encrypt(req EncryptRequest) (JobInfo, error) {
	info, err := s.encrypt(req)
	return info, s.logErr("Encrypt", err)
}

// prepare checks what every job request shares: startup done, absolute paths and a
// known overwrite policy.
func (s *FileService) prepare(paths []string, overwrite string) ([]string, jobs.Policy, error) {
	if err := s.ready(); err != nil {
		return nil, "", err
	}
	abs, err := absPaths(paths)
	if err != nil {
		return nil, "", err
	}
	pol, err := policy(overwrite)
	return abs, pol, err
}

func (s *FileService) encrypt(req EncryptRequest) (JobInfo, error) {
	paths, pol, err := s.prepare(req.Paths, req.Overwrite)
	if err != nil {
		return JobInfo{}, err
	}
	ec, err := EncryptionContext(req.Context)
	if err != nil {
		return JobInfo{}, err
	}
	keyID, err := s.resolveKey(req.KeyID)
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
		id, err := s.resolveKey(b)
		if err != nil {
			return JobInfo{}, err
		}
		backups = append(backups, envelope.KeyRef{KeyID: id})
	}
	info, err := s.mgr.Encrypt(s.ctx, jobs.EncryptSpec{
		Paths: paths, KeyID: keyID, BackupKeys: backups, EncryptionContext: ec,
		OutputDir: outputDir(req.OutputDir), Overwrite: pol, RemoveOriginals: req.RemoveOriginals,
		Direct: req.Direct, Recursive: true,
	})
	return jobInfo(info), err
}

// contextMap turns rows into the map jobs checks; no rows give nil.
func contextMap(pairs []ContextPair) (map[string]string, error) {
	if _, err := EncryptionContext(pairs); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, nil
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
	info, err := s.decrypt(req)
	return info, s.logErr("Decrypt", err)
}

func (s *FileService) decrypt(req DecryptRequest) (JobInfo, error) {
	paths, pol, err := s.prepare(req.Paths, req.Overwrite)
	if err != nil {
		return JobInfo{}, err
	}
	rc, err := contextMap(req.RequireContext)
	if err != nil {
		return JobInfo{}, err
	}
	info, err := s.mgr.Decrypt(s.ctx, jobs.DecryptSpec{Paths: paths, OutputDir: outputDir(req.OutputDir), Overwrite: pol, RequireContext: rc})
	return jobInfo(info), err
}

// Verify starts a full authenticated pass over encrypted files; nothing is written.
func (s *FileService) Verify(paths []string) (JobInfo, error) {
	info, err := func() (JobInfo, error) {
		if err := s.ready(); err != nil {
			return JobInfo{}, err
		}
		abs, err := absPaths(paths)
		if err != nil {
			return JobInfo{}, err
		}
		info, err := s.mgr.Verify(s.ctx, jobs.VerifySpec{Paths: abs})
		return jobInfo(info), err
	}()
	return info, s.logErr("Verify", err)
}

// InspectionKey is one key slot of a .kmsenc file.
type InspectionKey struct {
	KeyID  string `json:"keyId"`
	Region string `json:"region"`
	// Type is the slot type: 1 = Tencent Cloud KMS.
	Type int `json:"type"`
}

// Inspection is what an encrypted file's header says, read without KMS. Nothing in it
// is authenticated until the file is decrypted or verified.
type Inspection struct {
	Path string `json:"path"`
	// Kind is "envelope" (.kmsenc) or "blob" (a CiphertextBlob file: nothing more is
	// readable without KMS).
	Kind string `json:"kind"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
	// Version and Suite of a .kmsenc file ("Cobblestone-256").
	Version           int             `json:"version"`
	Suite             string          `json:"suite"`
	Keys              []InspectionKey `json:"keys"`
	EncryptionContext string          `json:"encryptionContext"`
	// PlaintextSize is the exact size of the decrypted file (-1 for a blob: unknown).
	PlaintextSize int64  `json:"plaintextSize"`
	Creator       string `json:"creator"`
	// HasMetadata says whether the original name, time and mode travel inside.
	HasMetadata bool `json:"hasMetadata"`
}

// Inspect reads an encrypted file's header: keys, regions, encryption context, sizes.
// No KMS call.
func (s *FileService) Inspect(path string) (Inspection, error) {
	in, err := jobs.Inspect(absPath(path))
	if err != nil {
		return Inspection{}, s.logErr("Inspect", err)
	}
	out := Inspection{Path: in.Path, Kind: in.Kind, Size: in.Size, PlaintextSize: in.PlaintextSize, Keys: []InspectionKey{}}
	if h := in.Header; h != nil {
		out.Version, out.EncryptionContext, out.Creator, out.HasMetadata = int(h.Version), h.EncryptionContext, h.Creator, h.HasMetadata()
		out.Suite = fmt.Sprintf("0x%04x", h.Suite)
		if h.Suite == envelope.SuiteCobblestone256 {
			out.Suite = "Cobblestone-256"
		}
		for _, sl := range h.Slots {
			out.Keys = append(out.Keys, InspectionKey{KeyID: sl.KeyID, Region: sl.Region, Type: int(sl.Type)})
		}
	}
	return out, nil
}

// Cancel cancels a job: files in progress stop within one chunk and leave nothing.
func (s *FileService) Cancel(jobID string) error {
	return s.logErr("Cancel", s.mgr.Cancel(jobID))
}

// CancelAll cancels every running job.
func (s *FileService) CancelAll() error {
	s.mgr.CancelAll()
	return nil
}

// ResolveConflict answers a job:conflict: "overwrite", "skip", "rename" or "cancel"
// (the whole job); applyToAll answers the job's later conflicts the same way.
func (s *FileService) ResolveConflict(jobID, decision string, applyToAll bool) error {
	return s.logErr("ResolveConflict", s.mgr.ResolveConflict(jobID, jobs.Decision(decision), applyToAll))
}

// JobStatus is a job in the list of running and recent jobs.
type JobStatus struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	State      string  `json:"state"`
	FilesDone  int     `json:"filesDone"`
	FilesTotal int     `json:"filesTotal"`
	BytesDone  int64   `json:"bytesDone"`
	BytesTotal int64   `json:"bytesTotal"`
	Done       int     `json:"done"`
	Failed     int     `json:"failed"`
	Skipped    int     `json:"skipped"`
	Cancelled  int     `json:"cancelled"`
	Started    int64   `json:"started"` // Unix milliseconds
	Seconds    float64 `json:"seconds"`
}

// Jobs lists the running and recently finished jobs, oldest first.
func (s *FileService) Jobs() ([]JobStatus, error) {
	st := s.mgr.Jobs()
	out := make([]JobStatus, 0, len(st))
	for _, j := range st {
		out = append(out, JobStatus{ID: j.ID, Kind: string(j.Kind), State: j.State, FilesDone: j.FilesDone,
			FilesTotal: j.FilesTotal, BytesDone: j.BytesDone, BytesTotal: j.BytesTotal, Done: j.Done,
			Failed: j.Failed, Skipped: j.Skipped, Cancelled: j.Cancelled, Started: j.Started.UnixMilli(), Seconds: j.Seconds})
	}
	return out, nil
}

// RunningJobs is the number of jobs not finished (the window asks before closing).
func (s *FileService) RunningJobs() (int, error) { return s.mgr.Running(), nil }

// PickFiles asks for files to add; none means the user cancelled.
func (s *FileService) PickFiles() ([]string, error) {
	paths, err := s.dialogs.OpenFiles("Choose files to encrypt or decrypt")
	if err != nil {
		return nil, s.logErr("PickFiles", &Error{Code: CodeUnknown, Message: "open the file dialog", Err: err})
	}
	if paths == nil {
		paths = []string{}
	}
	return paths, nil
}

// PickFolder asks for a folder (to add, or as the output folder); "" means cancelled.
func (s *FileService) PickFolder() (string, error) {
	dir, err := s.dialogs.OpenDirectory("Choose a folder")
	if err != nil {
		return "", s.logErr("PickFolder", &Error{Code: CodeUnknown, Message: "open the folder dialog", Err: err})
	}
	return dir, nil
}

// ShowOutput opens, in the file manager, the folder of an output that job jobID
// produced. Any other path is refused.
func (s *FileService) ShowOutput(jobID, path string) error {
	ok, err := s.mgr.Produced(jobID, path)
	if err != nil {
		return s.logErr("ShowOutput", err)
	}
	if !ok {
		return s.logErr("ShowOutput", invalid("this file is not an output of that job"))
	}
	if s.desktop == nil {
		return s.logErr("ShowOutput", &Error{Code: CodeUnknown, Message: "no file manager is available"})
	}
	if err := s.desktop.ShowFolder(filepath.Dir(filepath.Clean(path))); err != nil {
		return s.logErr("ShowOutput", &Error{Code: CodeUnknown, Message: "open the folder", Err: err})
	}
	return nil
}
