package service

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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
		// Not a job event (app:confirm-close carries a list): keep it whole.
		m = map[string]any{"payload": string(b)}
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

// named returns the events named name.
func (l *eventLog) named(name string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, e := range l.events {
		if e.name == name {
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
		case <-l.notify: // sent after every event, so none is missed
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
func newFiles(t *testing.T) (*FileService, *eventLog, *showRecorder, Key, *Backend) {
	t.Helper()
	ev := newEventLog()
	sh := &showRecorder{}
	b, _ := newBackendWith(t, sh, Emitter(ev.Emit))
	k, err := b.Keys.Create(CreateKeyInput{Alias: "docs"})
	if err != nil {
		t.Fatal(err)
	}
	return b.Files, ev, sh, k, b
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
	fs, ev, sh, k, _ := newFiles(t)
	dir := t.TempDir()
	folder := filepath.Join(dir, "contracts")
	a := filepath.Join(folder, "a.pdf")
	b := filepath.Join(folder, "sub", "b 合同.docx")
	writeTestFile(t, a, []byte("contract A"))
	writeTestFile(t, b, make([]byte, 50000))

	sh.openMany = []string{folder, a, filepath.Join(dir, "missing")}
	added, err := fs.AddFiles()
	items := added.Items
	if err != nil || len(items) != 3 || added.Intent != IntentNone {
		t.Fatal(added, err)
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
	for _, key := range []string{"id", "kind", "state", "filesDone", "filesTotal", "bytesDone", "bytesTotal", "done", "failed",
		"skipped", "cancelled", "bytesPerSec", "etaSeconds", "current", "startedMs", "seconds"} {
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
		in.Keys[0].Region != "ap-guangzhou" || in.Keys[0].Kind != SlotLocal || !in.Keys[0].ThisComputer || in.Keys[0].Instance == "" || in.EncryptionContext != `{"team":"legal"}` || in.Creator != "kmsdesk/1.2.3" || !in.HasMetadata || in.Suite != SuiteAES {
		t.Fatalf("inspect %+v %v", in, err)
	}
	if items := classify([]string{ct, filepath.Join(out, "contracts")}, IntentNone).Items; items[0].Action != "decrypt" || items[0].Kind != "envelope" || items[1].Action != "decrypt" {
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
	if len(jobs) != 4 || jobs[0].Kind != "encrypt" || jobs[3].Kind != "verify" || jobs[0].StartedMs == 0 || jobs[1].Failed != 2 {
		t.Fatalf("jobs %+v", jobs)
	}
	// A reloaded UI gets each job back whole: its files and its summary.
	rep, err := fs.Job(jobs[1].ID)
	if err != nil || rep.Done == nil || rep.Done.State != JobFailed || len(rep.Files) != 2 || rep.Files[0].ErrorCode != "Envelope.ContextMismatch" || rep.Conflict != nil {
		t.Fatalf("report %+v %v", rep, err)
	}
}

func TestFileServiceConflictCancelAndShow(t *testing.T) {
	fs, ev, sh, k, b := newFiles(t)
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
	if rep, _ := fs.Job(info.ID); rep.Conflict == nil || rep.Conflict.Output != existing || rep.Progress.State != JobWaiting || rep.Done != nil {
		t.Fatalf("waiting job %+v", rep)
	}
	if b.Host.CloseRequested() {
		t.Fatal("closing while a job runs must ask first")
	}
	if asked := ev.named(EventConfirmClose); len(asked) != 1 || !strings.Contains(asked[0]["payload"].(string), info.ID) {
		t.Fatalf("app:confirm-close %v", asked)
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

	sh.dir = dir
	if folder, _ := fs.PickOutputFolder(); folder != dir {
		t.Fatalf("output folder %q", folder)
	}
	if added, _ := fs.AddFolder(); len(added.Items) != 1 || !added.Items[0].IsDir || added.Items[0].Files != 3 {
		t.Fatalf("add folder %+v", added)
	}
	sh.dir = ""
	if added, err := fs.AddFolder(); len(added.Items) != 0 || err != nil {
		t.Fatalf("cancelled folder dialog %+v %v", added, err)
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
		{EncryptRequest{KeyID: k.KeyID}, "Job.InvalidRequest"},
		{EncryptRequest{Paths: []string{p}}, CodeInvalidInput},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, Overwrite: "sometimes"}, "Job.InvalidRequest"},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, Context: []ContextPair{{Key: ""}}}, CodeInvalidContext},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, BackupKeyIDs: []string{"ap-shanghai:alias"}}, CodeInvalidInput},
		{EncryptRequest{Paths: []string{p}, KeyID: "no-such-alias"}, "ResourceUnavailable.CmkNotFound"},
		{EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, Suite: "sm2"}, CodeInvalidInput},
	} {
		if _, err := fs.Encrypt(tc.req); ErrorCode(err) != tc.code {
			t.Errorf("%+v: %v, want %s", tc.req, err, tc.code)
		}
	}
	if _, err := fs.Decrypt(DecryptRequest{}); ErrorCode(err) != "Job.InvalidRequest" {
		t.Errorf("decrypt without paths: %v", err)
	}
	if _, err := fs.Verify(nil); ErrorCode(err) != "Job.InvalidRequest" {
		t.Errorf("verify without paths: %v", err)
	}
}

func TestShutdownLeavesNothing(t *testing.T) {
	fs, ev, _, k, b := newFiles(t)
	if !slices.Contains(b.Bindings(), any(b.Files)) {
		t.Fatal("FileService is not bound")
	}
	for _, bound := range b.Bindings() {
		if _, isHost := bound.(*Host); isHost {
			t.Fatal("Host must never be bound to the UI")
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "dump.sql")
	writeTestFile(t, src, make([]byte, 1<<20))
	writeTestFile(t, src+".kmsenc", []byte("old"))
	// The job waits for an answer about the existing output when the app quits.
	info, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID, Overwrite: "ask"})
	if err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, info.ID, EventJobConflict)
	if err := b.Host.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	d := ev.of(info.ID, EventJobDone)
	if len(d) != 1 || d[0]["state"] != "cancelled" {
		t.Fatalf("job:done after shutdown: %v", d)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files left: %v", entries)
	}
	if _, err := fs.Encrypt(EncryptRequest{Paths: []string{src}, KeyID: k.KeyID}); ErrorCode(err) != "Job.Cancelled" {
		t.Fatalf("a job after shutdown: %v", err)
	}
}

// TestFileServiceSuite: a request's suite wins; without one the active profile's
// default applies (SaveProfile stores it, Profile shows "auto" for none); Inspect
// names the suite of each file.
func TestFileServiceSuite(t *testing.T) {
	fs, ev, _, k, b := newFiles(t)
	dir := t.TempDir()
	encrypt := func(name string, suite Suite) Suite {
		t.Helper()
		p := filepath.Join(dir, name)
		writeTestFile(t, p, []byte("suite "+name))
		info, err := fs.Encrypt(EncryptRequest{Paths: []string{p}, KeyID: k.KeyID, Suite: suite})
		if err != nil {
			t.Fatal(err)
		}
		if done := ev.waitFor(t, info.ID, EventJobDone); done["done"] != 1.0 {
			t.Fatalf("%s: %v", name, done)
		}
		in, err := fs.Inspect(p + ".kmsenc")
		if err != nil {
			t.Fatal(err)
		}
		return in.Suite
	}
	active, err := b.Settings.Active()
	if err != nil || active.Suite != SuiteAuto {
		t.Fatalf("active profile suite %q (%v), want auto", active.Suite, err)
	}
	if got := encrypt("auto.txt", ""); got != SuiteAES {
		t.Fatalf("auto on the local KMS: %s", got)
	}
	if got := encrypt("sm4.txt", SuiteSM4); got != SuiteSM4 {
		t.Fatalf("explicit sm4: %s", got)
	}
	active.Suite = SuiteSM4
	saved, err := b.Settings.SaveProfile(ProfileInput{Profile: active})
	if err != nil || saved.Suite != SuiteSM4 {
		t.Fatalf("save profile: %+v %v", saved, err)
	}
	if got := encrypt("default.txt", ""); got != SuiteSM4 {
		t.Fatalf("the profile's default: %s", got)
	}
	if got := encrypt("override.txt", SuiteAES); got != SuiteAES {
		t.Fatalf("a request overrides the profile: %s", got)
	}
	active.Suite = "sm2"
	if _, err := b.Settings.SaveProfile(ProfileInput{Profile: active}); ErrorCode(err) == "" {
		t.Fatal("an unknown suite was saved")
	}
}

// TestFileServiceCancelFileAndSkipCurrent: CancelFile ends one file (here one that waits
// on its conflict question) and the job ends done, not cancelled; SkipCurrent skips a
// file whose encrypted copy is up to date, naming the copy (JobFile.subject).
func TestFileServiceCancelFileAndSkipCurrent(t *testing.T) {
	fs, ev, _, k, _ := newFiles(t)
	dir := t.TempDir()
	src, other := filepath.Join(dir, "plan.txt"), filepath.Join(dir, "budget.txt")
	writeTestFile(t, src, []byte("v1"))
	writeTestFile(t, other, []byte("numbers"))
	writeTestFile(t, src+".kmsenc", []byte("old"))

	info, err := fs.Encrypt(EncryptRequest{Paths: []string{src, other}, KeyID: k.KeyID, Overwrite: "ask"})
	if err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, info.ID, EventJobConflict)
	if err := fs.CancelFile(info.ID, src); err != nil {
		t.Fatal(err)
	}
	if d := ev.waitFor(t, info.ID, EventJobDone); d["state"] != "done" || d["cancelled"] != 1.0 || d["done"] != 1.0 {
		t.Fatalf("job after one file was cancelled: %v", d)
	}
	for _, f := range ev.of(info.ID, EventJobFile) {
		if want := map[string]string{src: "cancelled", other: "done"}[f["path"].(string)]; f["status"] != want {
			t.Fatalf("file %v, want %s", f, want)
		}
	}
	if got, _ := os.ReadFile(src + ".kmsenc"); string(got) != "old" {
		t.Fatal("the existing file changed")
	}
	if err := fs.CancelFile("job-unknown", src); ErrorCode(err) != "Job.NotFound" {
		t.Fatalf("unknown job: %v", err)
	}

	info, err = fs.Encrypt(EncryptRequest{Paths: []string{other}, KeyID: k.KeyID, SkipCurrent: true})
	if err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, info.ID, EventJobDone)
	f := ev.of(info.ID, EventJobFile)[0]
	if f["status"] != "skipped" || f["errorCode"] != "File.UpToDate" || f["subject"] != other+".kmsenc" {
		t.Fatalf("re-encrypting with an up-to-date copy: %v", f)
	}
}

// TestHandoverIntent: files handed over by "Encrypt with KMS Desk" are all staged for
// encryption, a real .kmsenc too (forced, of kind envelope), and encrypting what was
// staged works; "Decrypt with KMS Desk" on a plain file marks it "not a KMS Desk
// encrypted file" instead of staging an encryption.
func TestHandoverIntent(t *testing.T) {
	fs, ev, _, k, b := newFiles(t)
	b.App.Listening()
	dir := t.TempDir()
	plain := filepath.Join(dir, "report.txt")
	writeTestFile(t, plain, []byte("quarterly"))
	done := jobDone(t, ev)
	done(fs.Encrypt(EncryptRequest{Paths: []string{plain}, KeyID: k.KeyID}))
	real := plain + ".kmsenc"

	offered := func(paths []string, intent OpenIntent) []map[string]any {
		t.Helper()
		before := len(ev.named(EventOpenFiles))
		b.Host.OfferFiles(paths, intent)
		got := ev.named(EventOpenFiles)
		if len(got) != before+1 || got[before]["intent"] != string(intent) {
			t.Fatalf("open-files events %v", got)
		}
		var items []map[string]any
		for _, it := range got[before]["items"].([]any) {
			items = append(items, it.(map[string]any))
		}
		return items
	}
	items := offered([]string{real, plain}, IntentEncrypt)
	if it := items[0]; it["action"] != "encrypt" || it["kind"] != "envelope" || it["forced"] != true || it["errorCode"] != "" {
		t.Fatalf("a .kmsenc handed over to encrypt: %v", it)
	}
	if it := items[1]; it["action"] != "encrypt" || it["forced"] != false || it["errorCode"] != "" {
		t.Fatalf("a plain file handed over to encrypt: %v", it)
	}
	// What the UI sends for staged items: Force when one is forced.
	done(fs.Encrypt(EncryptRequest{Paths: []string{real}, KeyID: k.KeyID, Force: items[0]["forced"] == true}))
	if _, err := os.Stat(real + ".kmsenc"); err != nil {
		t.Fatalf("the .kmsenc was not encrypted: %v", err)
	}

	items = offered([]string{plain, real}, IntentDecrypt)
	if it := items[0]; it["action"] == "decrypt" || it["errorCode"] != "Envelope.NotEnvelope" || it["encryptAnyway"] != true {
		t.Fatalf("a plain file handed over to decrypt: %v", it)
	}
	if it := items[1]; it["action"] != "decrypt" || it["errorCode"] != "" || it["forced"] != false {
		t.Fatalf("a .kmsenc handed over to decrypt: %v", it)
	}
	if string(IntentEncrypt) != string(ActionEncrypt) || string(IntentDecrypt) != string(ActionDecrypt) {
		t.Fatal("jobs.Classify takes the intent as the action it asks for")
	}
}
