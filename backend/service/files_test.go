package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// event is one emitted event, payload as the frontend receives it (JSON).
type event struct {
	name string
	data map[string]any
}

// eventLog records events as JSON objects and lets tests wait for them.
type eventLog struct {
	mu     sync.Mutex
	events []event
	notify chan struct{}
}

func newEventLog() *eventLog { return &eventLog{notify: make(chan struct{}, 1)} }

func (l *eventLog) Emit(name string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	l.mu.Lock()
	l.events = append(l.events, event{name, m})
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// of returns the events of job id named name.
func (l *eventLog) of(id, name string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, e := range l.events {
		if e.name == name && e.data["id"] == id {
			out = append(out, e.data)
		}
	}
	return out
}

// waitFor waits until job id emitted an event named name and returns the first.
func (l *eventLog) waitFor(t *testing.T, id, name string) map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if evs := l.of(id, name); len(evs) > 0 {
			return evs[0]
		}
		select {
		case <-l.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s event for job %s", name, id)
		}
	}
}

// showRecorder records ShowFolder calls.
type showRecorder struct {
	fakeShell
	mu    sync.Mutex
	shown []string
}

func (s *showRecorder) ShowFolder(p string) error {
	s.mu.Lock()
	s.shown = append(s.shown, p)
	s.mu.Unlock()
	return nil
}

// newFiles returns a FileService on a fresh in-process local KMS, with a key.
func newFiles(t *testing.T) (*FileService, *eventLog, *showRecorder, kms.Key, *Backend) {
	t.Helper()
	b, _, srv := newBackend(t)
	k, err := b.Keys.Create(kms.CreateKeyInput{Alias: "docs"})
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(context.Context) (Connection, error) {
		return Connection{Profile: "local", Kind: KindLocal, Region: "ap-guangzhou", Language: "en-US"}, nil
	}
	ev := newEventLog()
	sh := &showRecorder{fakeShell: fakeShell{openMany: []string{"/picked/a", "/picked/b"}, dir: "/picked"}}
	fs := NewFileService(context.Background(), OpenGate(), slog.New(slog.DiscardHandler), NewConnector(resolve, srv), sh, sh, ev, AppInfo{Name: "KMS Desk", Version: "1.2.3"})
	t.Cleanup(func() { StopFileJobs(fs, 10*time.Second) })
	return fs, ev, sh, k, b
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestFileServiceRoundTrip(t *testing.T) {
	fs, ev, _, k, _ := newFiles(t)
	dir := t.TempDir()
	folder := filepath.Join(dir, "contracts")
	a := filepath.Join(folder, "a.pdf")
	b := filepath.Join(folder, "sub", "b 合同.docx")
	writeTestFile(t, a, []byte("contract A"))
	writeTestFile(t, b, make([]byte, 50000))

	items, err := fs.Classify([]string{folder, a, filepath.Join(dir, "missing")})
	if err != nil || len(items) != 3 {
		t.Fatal(items, err)
	}
	if it := items[0]; !it.IsDir || it.Kind != "folder" || it.Files != 2 || it.Size != 50010 || it.Action != "encrypt" {
		t.Fatalf("folder %+v", it)
	}
	if it := items[1]; it.Kind != "file" || it.Action != "encrypt" || it.Name != "a.pdf" {
		t.Fatalf("file %+v", it)
	}
	if items[2].ErrorCode != "File.NotFound" {
		t.Fatalf("missing %+v", items[2])
	}

	out := filepath.Join(dir, "out")
	// The key by alias, with an encryption context.
	info, err := fs.Encrypt(EncryptRequest{Paths: []string{folder}, KeyID: "docs", OutputDir: out,
		Context: []ContextPair{{Key: "team", Value: "legal"}}})
	if err != nil || info.Kind != "encrypt" || info.Files != 2 || info.Bytes != 50010 {
		t.Fatalf("encrypt %+v %v", info, err)
	}
	done := ev.waitFor(t, info.ID, EventJobDone)
	if done["state"] != "done" || done["done"] != 2.0 || done["kind"] != "encrypt" {
		t.Fatalf("job:done %v", done)
	}
	files := ev.of(info.ID, EventJobFile)
	if len(files) != 2 {
		t.Fatalf("job:file %v", files)
	}
	for _, f := range files {
		for _, key := range []string{"id", "path", "output", "status", "errorCode", "message"} {
			if _, ok := f[key]; !ok {
				t.Fatalf("job:file lacks %q: %v", key, f)
			}
		}
	}
	prog := ev.of(info.ID, EventJobProgress)
	last := prog[len(prog)-1]
	for _, key := range []string{"id", "kind", "state", "filesDone", "filesTotal", "bytesDone", "bytesTotal", "bytesPerSec", "etaSeconds", "current"} {
		if _, ok := last[key]; !ok {
			t.Fatalf("job:progress lacks %q: %v", key, last)
		}
	}
	if last["bytesDone"] != 50010.0 || last["filesDone"] != 2.0 {
		t.Fatalf("last progress %v", last)
	}

	ct := filepath.Join(out, "contracts", "sub", "b 合同.docx.kmsenc")
	in, err := fs.Inspect(ct)
	if err != nil || in.Kind != "envelope" || in.PlaintextSize != 50000 || len(in.Keys) != 1 || in.Keys[0].KeyID != k.KeyID ||
		in.Keys[0].Region != "ap-guangzhou" || in.EncryptionContext != `{"team":"legal"}` || in.Creator != "kmsdesk/1.2.3" || !in.HasMetadata || in.Suite != "Cobblestone-256" {
		t.Fatalf("inspect %+v %v", in, err)
	}
	if items, _ := fs.Classify([]string{ct, filepath.Join(out, "contracts")}); items[0].Action != "decrypt" || items[0].Kind != "envelope" || items[1].Action != "decrypt" {
		t.Fatalf("classify outputs %+v", items)
	}
	if _, err := fs.Inspect(a); ErrorCode(err) != "File.NotEncrypted" {
		t.Fatalf("inspect plaintext: %v", err)
	}

	// Decrypt with a required context: wrong fails per file, right restores.
	back := filepath.Join(dir, "back")
	info, err = fs.Decrypt(DecryptRequest{Paths: []string{filepath.Join(out, "contracts")}, OutputDir: back,
		RequireContext: []ContextPair{{Key: "team", Value: "sales"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := ev.waitFor(t, info.ID, EventJobDone); d["failed"] != 2.0 || d["state"] != "failed" {
		t.Fatalf("wrong context: %v", d)
	}
	if f := ev.of(info.ID, EventJobFile)[0]; f["errorCode"] != "Envelope.ContextMismatch" || f["status"] != "failed" {
		t.Fatalf("file %v", f)
	}
	info, err = fs.Decrypt(DecryptRequest{Paths: []string{filepath.Join(out, "contracts")}, OutputDir: back,
		RequireContext: []ContextPair{{Key: "team", Value: "legal"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := ev.waitFor(t, info.ID, EventJobDone); d["done"] != 2.0 {
		t.Fatalf("decrypt %v", d)
	}
	if got, _ := os.ReadFile(filepath.Join(back, "contracts", "a.pdf")); string(got) != "contract A" {
		t.Fatalf("restored %q", got)
	}
	info, err = fs.Verify([]string{out})
	if err != nil {
		t.Fatal(err)
	}
	if d := ev.waitFor(t, info.ID, EventJobDone); d["done"] != 2.0 || d["kind"] != "verify" {
		t.Fatalf("verify %v", d)
	}
	jobs, _ := fs.Jobs()
	if len(jobs) != 4 || jobs[0].Kind != "encrypt" || jobs[3].Kind != "verify" || jobs[0].Started == 0 {
		t.Fatalf("jobs %+v", jobs)
	}
	if n, _ := fs.RunningJobs(); n != 0 {
		t.Fatalf("running %d", n)
	}
}

func TestFileServiceConflictCancelAndShow(t *testing.T) {
	fs, ev, sh, k, _ := newFiles(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "notes.txt")
	writeTestFile(t, src, []byte("v1"))
	existing := src + ".kmsenc"
	writeTestFile(t, existing, []byte("old"))

	info, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID, Overwrite: "ask"})
	if err != nil {
		t.Fatal(err)
	}
	c := ev.waitFor(t, info.ID, EventJobConflict)
	if c["path"] != src || c["output"] != existing {
		t.Fatalf("conflict %v", c)
	}
	if n, _ := fs.RunningJobs(); n != 1 {
		t.Fatalf("running %d", n)
	}
	if err := fs.ResolveConflict(info.ID, "rename", false); err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, info.ID, EventJobDone)
	out := ev.of(info.ID, EventJobFile)[0]["output"].(string)
	if out != filepath.Join(dir, "notes.txt (1).kmsenc") {
		t.Fatalf("output %s", out)
	}
	if err := fs.ShowOutput(info.ID, out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sh.shown, []string{dir}) {
		t.Fatalf("shown %v", sh.shown)
	}
	// Only outputs the job produced.
	for _, p := range []string{existing, src, "/etc/passwd"} {
		if err := fs.ShowOutput(info.ID, p); ErrorCode(err) != CodeInvalidInput {
			t.Fatalf("ShowOutput(%s): %v", p, err)
		}
	}
	if err := fs.ShowOutput("job-unknown", out); ErrorCode(err) != "Job.NotFound" {
		t.Fatalf("unknown job: %v", err)
	}
	if len(sh.shown) != 1 {
		t.Fatalf("shown %v", sh.shown)
	}

	// Cancel a conflict-waiting job by id: nothing is written.
	info, err = fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID, Overwrite: "ask"})
	if err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, info.ID, EventJobConflict)
	if err := fs.Cancel(info.ID); err != nil {
		t.Fatal(err)
	}
	if d := ev.waitFor(t, info.ID, EventJobDone); d["state"] != "cancelled" || d["cancelled"] != 1.0 {
		t.Fatalf("cancelled job %v", d)
	}
	if err := fs.ResolveConflict(info.ID, "skip", true); ErrorCode(err) != "Job.NoConflict" {
		t.Fatalf("late answer: %v", err)
	}
	if err := fs.Cancel("job-unknown"); ErrorCode(err) != "Job.NotFound" {
		t.Fatalf("cancel unknown: %v", err)
	}
	if got, _ := os.ReadFile(existing); string(got) != "old" {
		t.Fatal("the existing file changed")
	}

	picked, _ := fs.PickFiles()
	folder, _ := fs.PickFolder()
	if len(picked) != 2 || folder != "/picked" {
		t.Fatalf("pick %v %q", picked, folder)
	}
}

func TestFileServiceValidation(t *testing.T) {
	fs, _, _, k, _ := newFiles(t)
	p := filepath.Join(t.TempDir(), "x")
	writeTestFile(t, p, []byte("x"))
	for _, tc := range []struct {
		req  EncryptRequest
		code string
	}{
		{EncryptRequest{KeyID: k.KeyID}, CodeInvalidInput},
		{EncryptRequest{Paths: []string{p}}, CodeInvalidInput},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, Overwrite: "sometimes"}, CodeInvalidInput},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, Context: []ContextPair{{Key: ""}}}, CodeInvalidContext},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, BackupKeyIDs: []string{"ap-shanghai:alias"}}, CodeInvalidInput},
		{EncryptRequest{Paths: []string{p}, KeyID: "no-such-alias"}, "ResourceUnavailable.CmkNotFound"},
	} {
		if _, err := fs.Encrypt(tc.req); ErrorCode(err) != tc.code {
			t.Errorf("%+v: %v, want %s", tc.req, err, tc.code)
		}
	}
	if _, err := fs.Decrypt(DecryptRequest{}); ErrorCode(err) != CodeInvalidInput {
		t.Errorf("decrypt without paths: %v", err)
	}
	if _, err := fs.Verify(nil); ErrorCode(err) != CodeInvalidInput {
		t.Errorf("verify without paths: %v", err)
	}
}

func TestStopFileJobsLeavesNothing(t *testing.T) {
	fs, ev, _, k, b := newFiles(t)
	if !slices.Contains(b.Bindings(), any(b.Files)) {
		t.Fatal("FileService is not bound")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "dump.sql")
	writeTestFile(t, src, make([]byte, 96<<20))
	info, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID})
	if err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, info.ID, EventJobProgress)
	if err := StopFileJobs(fs, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	d := ev.of(info.ID, EventJobDone)
	if len(d) != 1 {
		t.Fatal("no job:done after shutdown")
	}
	if d[0]["state"] == "cancelled" && len(entries) != 1 || d[0]["state"] == "done" && len(entries) != 2 {
		t.Fatalf("state %v, files %v", d[0]["state"], entries)
	}
	if _, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID}); ErrorCode(err) != "Job.Cancelled" {
		t.Fatalf("a job after shutdown: %v", err)
	}
}
