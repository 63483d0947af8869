package jobs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// smallFiles writes n small files under dir/name and returns the folder.
func smallFiles(t *testing.T, dir, name string, n int) string {
	root := filepath.Join(dir, name)
	must(t, os.MkdirAll(root, 0o755))
	for i := range n {
		p := filepath.Join(root, fmt.Sprintf("f%04d.txt", i))
		must(t, os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644))
	}
	return root
}

func TestDataKeyBatches(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		files     int
		wantCalls int
	}{
		{1000, 1},
		{1001, 2},
	} {
		root := smallFiles(t, dir, fmt.Sprintf("n%d", tc.files), tc.files)
		out := filepath.Join(dir, fmt.Sprintf("enc%d", tc.files))
		e.count.reset()
		sum, _ := e.encrypt(EncryptSpec{Paths: []string{root}, OutputDir: out, Recursive: true})
		if sum.Done != tc.files {
			t.Fatalf("%d files: %+v", tc.files, sum)
		}
		if g := e.count.calls("GenerateDataKey"); g != tc.wantCalls || e.count.batchCalls() != tc.wantCalls || e.count.calls("ListAlgorithms") > 1 {
			t.Fatalf("%d files: %d GenerateDataKey calls (%d KMS calls in all), want %d", tc.files, g, e.count.total(), tc.wantCalls)
		}
		// Files of one batch share the wrapped key; every file has its own salt.
		a, _ := Inspect(filepath.Join(out, filepath.Base(root), "f0000.txt.kmsenc"))
		b, _ := Inspect(filepath.Join(out, filepath.Base(root), "f0001.txt.kmsenc"))
		if a.Header.Slots[0].WrappedKey != b.Header.Slots[0].WrappedKey || a.Header.Salt == b.Header.Salt {
			t.Fatal("a batch must share the data key and never a salt")
		}
		if a.Header.Slots[0].Region != "ap-guangzhou" || a.Header.Slots[0].KeyID != e.keyID {
			t.Fatalf("slot %+v", a.Header.Slots[0])
		}
		e.count.reset()
		sum, _ = e.decrypt(DecryptSpec{Paths: []string{out}, OutputDir: filepath.Join(dir, fmt.Sprintf("dec%d", tc.files))})
		if sum.Done != tc.files {
			t.Fatalf("decrypt %d files: %+v", tc.files, sum)
		}
		if d := e.count.calls("Decrypt"); d != tc.wantCalls || e.count.total() != tc.wantCalls {
			t.Fatalf("decrypting %d files made %d Decrypt calls (%d KMS calls in all), want %d", tc.files, d, e.count.total(), tc.wantCalls)
		}
	}
}

func TestDataKeyBatchBoundsBytesAndAge(t *testing.T) {
	dir := t.TempDir()
	var in []string
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		writeFile(t, p, content(p, 60<<10), 0o644, time.Time{})
		in = append(in, p)
	}
	e := newEnv(t, func(o *Options) { o.Batch.Bytes = 100 << 10; o.FileWorkers = 1 })
	e.encrypt(EncryptSpec{Paths: in, OutputDir: filepath.Join(dir, "bytes")})
	if n := e.count.calls("GenerateDataKey"); n != 3 {
		t.Fatalf("100 KiB per key and three 60 KiB files: %d keys", n)
	}
	e = newEnv(t, func(o *Options) { o.Batch.Age = time.Nanosecond; o.FileWorkers = 1 })
	e.encrypt(EncryptSpec{Paths: in, OutputDir: filepath.Join(dir, "age")})
	if n := e.count.calls("GenerateDataKey"); n != 3 {
		t.Fatalf("keys that expire at once: %d keys for 3 files", n)
	}
	// A backup key adds one Encrypt per data key and a second slot that decrypts alone.
	e = newEnv(t)
	backup := e.newKey("backup")
	out := filepath.Join(dir, "backup")
	e.encrypt(EncryptSpec{Paths: in, OutputDir: out, BackupKeys: []envelope.KeyRef{{KeyID: backup}}})
	if e.count.calls("GenerateDataKey") != 1 || e.count.calls("Encrypt") != 1 {
		t.Fatalf("%d GenerateDataKey, %d Encrypt", e.count.calls("GenerateDataKey"), e.count.calls("Encrypt"))
	}
	must(t, e.admin.DisableKeys(t.Context(), e.keyID))
	sum, res := e.decrypt(DecryptSpec{Paths: []string{out}, OutputDir: filepath.Join(dir, "backup-dec")})
	if sum.Done != 3 {
		t.Fatalf("decrypt with the primary key disabled: %+v %v", sum, res)
	}
}

// TestProgressReports runs a job on the real ticker: reports are throttled, never go
// back, name the file in progress and end with the whole.
func TestProgressReports(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	var in []string
	big := filepath.Join(dir, "big.bin")
	writeFile(t, big, content("big", 8<<20), 0o644, time.Time{})
	in = append(in, big)
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("s%d", i))
		writeFile(t, p, content(p, 1000*i), 0o644, time.Time{})
		in = append(in, p)
	}
	// Slow the disk down so the run spans several ticks.
	e.m.hooks.wrapWriter = func(w io.Writer) io.Writer { return slowWriter{w} }
	start := time.Now()
	info, err := e.m.Encrypt(t.Context(), EncryptSpec{KeyID: e.keyID, Paths: in, OutputDir: filepath.Join(dir, "out")})
	sum, _ := e.wait(info, err)
	elapsed := time.Since(start)
	ps := e.rec.progressOf(info.ID)
	if max := int(elapsed/(100*time.Millisecond)) + 2; len(ps) > max {
		t.Fatalf("%d reports in %v: not throttled to 100 ms (at most %d)", len(ps), elapsed, max)
	}
	sawCurrent := false
	for i, p := range ps {
		if p.BytesTotal != info.Bytes || p.FilesTotal != len(in) || p.Kind != KindEncrypt {
			t.Fatalf("report %d: %+v", i, p)
		}
		if i > 0 && (p.BytesDone < ps[i-1].BytesDone || p.FilesDone < ps[i-1].FilesDone) {
			t.Fatalf("progress went back: %+v after %+v", p, ps[i-1])
		}
		if p.BytesDone > p.BytesTotal || p.BytesPerSec < 0 {
			t.Fatalf("report %d: %+v", i, p)
		}
		if p.Current != nil && p.Current.Path == big && p.Current.BytesTotal == 8<<20 && p.Current.BytesDone > 0 {
			sawCurrent = true
		}
	}
	last := ps[len(ps)-1]
	if last.State != StateDone || last.BytesDone != last.BytesTotal || last.FilesDone != last.FilesTotal || sum.State != StateDone {
		t.Fatalf("final report %+v", last)
	}
	if len(ps) > 2 && !sawCurrent {
		t.Fatal("no report named the file in progress")
	}
	if st, _ := e.m.Status(info.ID); st.State != StateDone || st.FilesDone != len(in) || st.Done != len(in) {
		t.Fatalf("status %+v", st)
	}
	if e.m.Running() != 0 || len(e.m.Jobs()) != 1 {
		t.Fatalf("running %d, jobs %v", e.m.Running(), e.m.Jobs())
	}
}

// TestProgressRateAndEta drives the progress clock and ticker by hand: one report per
// tick and only when something changed, the rate over the last seconds, the time left,
// and the job's average rate at the end, all to the byte.
func TestProgressRateAndEta(t *testing.T) {
	e := newEnv(t)
	var clockMu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	e.m.hooks.now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
	ticks := make(chan time.Time)
	e.m.hooks.ticks = ticks
	ticked := make(chan struct{})
	e.m.hooks.ticked = func() { ticked <- struct{}{} }
	// tick makes one tick and waits until it was handled.
	tick := func() { ticks <- now; <-ticked }
	permits := make(chan struct{}, 64)
	e.m.hooks.wrapWriter = func(w io.Writer) io.Writer { return gatedWriter{w, permits} }
	progressed := make(chan int64, 64)
	e.m.hooks.fileProgress = func(_ string, n int64) { progressed <- n }
	reports := make(chan Progress, 64)
	e.rec.onProgress = func(p Progress) { reports <- p }

	const total = 8 << 20
	src := filepath.Join(t.TempDir(), "big.bin")
	writeFile(t, src, content("big", total), 0o644, time.Time{})
	info, err := e.m.Encrypt(t.Context(), EncryptSpec{KeyID: e.keyID, Paths: []string{src}, OutputDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// write lets the header and n payload units through and returns the plaintext
	// bytes done.
	var done int64
	write := func(n int, header bool) int64 {
		if header {
			permits <- struct{}{}
		}
		for range n {
			permits <- struct{}{}
		}
		for range n {
			done = <-progressed
		}
		return done
	}
	first := <-reports
	if first.BytesDone != 0 || first.BytesPerSec != 0 || first.EtaSeconds != -1 || first.State != StateRunning {
		t.Fatalf("first report: %+v", first)
	}

	v1 := write(4, true)
	advance(time.Second)
	tick()
	r1 := <-reports
	wantRate := float64(v1) / 1
	if r1.BytesDone != v1 || r1.BytesPerSec != wantRate || r1.EtaSeconds != float64(total-v1)/wantRate || r1.Seconds != 1 {
		t.Fatalf("after 1 s: %+v, want %d bytes at %.0f B/s, eta %.3f s", r1, v1, wantRate, float64(total-v1)/wantRate)
	}

	tick() // nothing changed: no report
	v2 := write(4, false)
	advance(time.Second)
	tick()
	r2 := <-reports
	wantRate = float64(v2) / 2
	if r2.BytesDone != v2 || r2.BytesPerSec != wantRate || r2.EtaSeconds != float64(total-v2)/wantRate {
		t.Fatalf("after 2 s: %+v, want %d bytes at %.0f B/s", r2, v2, wantRate)
	}
	if n := len(e.rec.progressOf(info.ID)); n != 3 {
		t.Fatalf("%d reports, want 3: one at the start and one per tick with a change", n)
	}

	close(permits)
	sum, _ := e.wait(info, nil)
	final := e.rec.progressOf(info.ID)
	last := final[len(final)-1]
	if sum.State != StateDone || sum.Seconds != 2 || sum.BytesPerSec != total/2 {
		t.Fatalf("summary %+v", sum)
	}
	if last.State != StateDone || last.BytesDone != total || last.EtaSeconds != 0 || last.BytesPerSec != total/2 || last.Current != nil {
		t.Fatalf("final report %+v", last)
	}
}

// gatedWriter takes one permit per write; a closed permit channel lets all through.
type gatedWriter struct {
	w       io.Writer
	permits <-chan struct{}
}

func (g gatedWriter) Write(p []byte) (int, error) {
	<-g.permits
	return g.w.Write(p)
}

type slowWriter struct{ w io.Writer }

func (s slowWriter) Write(p []byte) (int, error) {
	if len(p) > 64<<10 {
		time.Sleep(25 * time.Millisecond)
	}
	return s.w.Write(p)
}
