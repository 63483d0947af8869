package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// faultChildEnv carries the configuration of the child process of TestCrashSafety.
const faultChildEnv = "KMSDESK_JOBS_FAULT_CHILD"

type faultConfig struct {
	Endpoint, SecretID, SecretKey, KeyID, In, Out string
	Policy                                        Policy
}

// childSink prints the end of the job.
type childSink struct{ done chan Summary }

func (childSink) Progress(Progress)  {}
func (childSink) File(FileResult)    {}
func (childSink) Conflict(Conflict)  {}
func (s childSink) Done(sum Summary) { s.done <- sum }
func (c faultConfig) source() ClientSource {
	return func(_ context.Context, region string) (KMS, error) {
		if region == "" {
			region = "ap-guangzhou"
		}
		client, err := kms.New(kms.Config{Region: region, Endpoint: c.Endpoint,
			Credentials: kms.StaticCredentials(kms.Credentials{SecretID: c.SecretID, SecretKey: c.SecretKey})})
		return KMS{Client: client}, err
	}
}

// TestFaultChild is the child process of TestCrashSafety: it encrypts a folder over
// a loopback local KMS and is killed with SIGKILL at a random moment.
func TestFaultChild(t *testing.T) {
	raw := os.Getenv(faultChildEnv)
	if raw == "" {
		t.Skip("helper process of TestCrashSafety")
	}
	var c faultConfig
	must(t, json.Unmarshal([]byte(raw), &c))
	sink := childSink{done: make(chan Summary, 1)}
	m := NewManager(Options{KMS: c.source(), Sink: sink, Creator: "fault-child"})
	fmt.Println("READY")
	_, err := m.Encrypt(context.Background(), EncryptSpec{KeyID: c.KeyID, Paths: []string{c.In}, OutputDir: c.Out, Recursive: true, Overwrite: c.Policy})
	must(t, err)
	sum := <-sink.done
	fmt.Printf("DONE %s %d %d\n", sum.State, sum.Done, sum.Failed)
	if sum.State != StateDone {
		os.Exit(3)
	}
}

// TestCrashSafety kills an encrypting child process at random points (≥ 20 runs)
// and checks after each kill: no original changed, every file under a final name is
// a complete .kmsenc that decrypts to its original, leftovers are only .partial files;
// and that a final run succeeds and leaves no .partial file.
func TestCrashSafety(t *testing.T) {
	if os.Getenv(faultChildEnv) != "" {
		t.Skip("in the child")
	}
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("crash"))
	cfg := faultConfig{Endpoint: lk.URL, SecretID: lk.SecretID, SecretKey: lk.SecretKey, KeyID: lk.KeyID("crash")}

	dir := t.TempDir()
	cfg.In, cfg.Out = filepath.Join(dir, "in"), filepath.Join(dir, "out")
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		size := r.IntN(40 << 10)
		if i%25 == 7 {
			size = 1<<20 + r.IntN(2<<20) // a few MiB-sized files
		}
		writeFile(t, filepath.Join(cfg.In, fmt.Sprintf("d%d", i%3), fmt.Sprintf("sub%d", i%2), fmt.Sprintf("file %03d.bin", i)), content(fmt.Sprint(i), size), 0o644, time.Time{})
	}
	originals := snapshot(t, cfg.In)

	run := func(policy Policy, killAfter time.Duration) (completed bool, elapsed time.Duration) {
		t.Helper()
		c := cfg
		c.Policy = policy
		raw, _ := json.Marshal(c)
		cmd, sc := startChild(t, "TestFaultChild", []string{faultChildEnv + "=" + string(raw)}, nil, "READY")
		start := time.Now()
		lines := make(chan string, 4)
		go func() {
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		if killAfter >= 0 {
			time.Sleep(killAfter)
			_ = cmd.Process.Kill() // SIGKILL
		}
		werr := cmd.Wait()
		elapsed = time.Since(start)
		var out []string
		for l := range lines {
			out = append(out, l)
		}
		for _, l := range out {
			completed = completed || werr == nil && strings.HasPrefix(l, "DONE done")
		}
		if killAfter < 0 && !completed {
			t.Fatalf("an unkilled run failed: %v %v", werr, out)
		}
		return completed, elapsed
	}

	// check verifies the invariants after a run and returns the partial files left.
	check := func(label string) int {
		t.Helper()
		now := snapshot(t, cfg.In)
		if !equalSnapshots(originals, now) {
			t.Fatalf("%s: an original changed", label)
		}
		w := newWrapper(cfg.source(), make(chan struct{}, 4))
		defer w.Close()
		left := 0
		err := filepath.WalkDir(cfg.Out, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(cfg.Out, p)
			switch {
			case isPartialName(d.Name()): // ".NAME.kmsenc.<random>.kmsdesk-partial"
				left++
				return nil
			case !strings.HasSuffix(p, ExtEnvelope):
				t.Fatalf("%s: unexpected file %s", label, rel)
			}
			f, err := os.Open(p)
			must(t, err)
			defer f.Close()
			h := sha256.New()
			res, err := envelope.Decrypt(context.Background(), h, f, envelope.DecryptOptions{Unwrapper: w})
			if err != nil {
				t.Fatalf("%s: %s under its final name does not decrypt: %v", label, rel, err)
			}
			orig := filepath.ToSlash(strings.TrimSuffix(strings.TrimPrefix(rel, "in"+string(filepath.Separator)), ExtEnvelope))
			if hex.EncodeToString(h.Sum(nil)) != originals[orig].hash || res.Metadata.Name != filepath.Base(orig) {
				t.Fatalf("%s: %s does not decrypt to its original", label, rel)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return left
	}

	_, full := run(PolicyOverwrite, -1)
	check("first run")
	t.Logf("an unkilled run takes %v", full)

	const runs = 24
	killed, withPartials := 0, 0
	for i := range runs {
		if i%3 == 0 {
			must(t, os.RemoveAll(cfg.Out)) // also crash while creating, not only replacing
		}
		// Uniform over the job (the last quarter of an unkilled run is exit).
		delay := time.Duration(r.Int64N(int64(full)*3/4 + 1))
		if completed, _ := run(PolicyOverwrite, delay); !completed {
			killed++
		}
		if check(fmt.Sprintf("run %d (killed after %v)", i, delay)) > 0 {
			withPartials++
		}
	}
	t.Logf("%d runs, %d killed before finishing, %d left .partial files", runs, killed, withPartials)
	if killed < runs/2 {
		t.Fatalf("only %d of %d runs were killed mid-way; the kill points are not spread over the run", killed, runs)
	}

	// The next run succeeds and cleans up what the crashes left.
	if completed, _ := run(PolicyOverwrite, -1); !completed {
		t.Fatal("the run after the crashes failed")
	}
	if left := check("final run"); left != 0 {
		t.Fatalf("%d .partial files left after a successful run", left)
	}
	if got := len(snapshot(t, cfg.Out)); got != len(originals) {
		t.Fatalf("%d outputs, want %d", got, len(originals))
	}
}
