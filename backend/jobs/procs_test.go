package jobs

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Two processes writing into one folder. A second Manager has its own in-memory
// claims, exactly like another process (the desktop app and a kmsctl script): all
// that protects one from the other is what is on disk.

// kmsGate holds the first KMS request of one action until it is released, so a test
// can order two jobs without sleeping.
type kmsGate struct {
	next    http.RoundTripper
	action  string
	arrived chan struct{} // closed when the held request arrives
	release chan struct{} // close to let it through
	once    sync.Once
}

func newKMSGate(next http.RoundTripper, action string) *kmsGate {
	return &kmsGate{next: next, action: action, arrived: make(chan struct{}), release: make(chan struct{})}
}

func (g *kmsGate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-TC-Action") == g.action {
		held := false
		g.once.Do(func() { held = true })
		if held {
			close(g.arrived)
			select {
			case <-g.release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
	}
	return g.next.RoundTrip(r)
}

// wait waits until the held request arrived.
func (g *kmsGate) wait(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s request reached KMS", g.action)
	}
}

// process is a second Manager on e's local KMS ("another process"), whose KMS
// requests go through rt (wrapping the local KMS transport).
type process struct {
	m   *Manager
	rec *recorder
}

func (e *env) otherProcess(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) *process {
	t.Helper()
	rt := wrap(e.lk.Transport)
	source := func(_ context.Context, region string) (KMS, error) {
		if region == "" {
			region = "ap-guangzhou"
		}
		c, err := kms.New(kms.Config{Region: region, Endpoint: e.lk.URL, Transport: rt, Language: "en-US",
			Credentials: kms.StaticCredentials(kms.Credentials{SecretID: e.lk.SecretID, SecretKey: e.lk.SecretKey})})
		return KMS{Client: c}, err
	}
	rec := newRecorder()
	m := NewManager(Options{KMS: source, Sink: rec, Creator: "kmsdesk-test/other"})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("manager did not shut down: %v", err)
		}
	})
	return &process{m: m, rec: rec}
}

// wait waits for job info of p and returns its results.
func (p *process) wait(t *testing.T, info Info, err error) (Summary, map[string]FileResult) {
	t.Helper()
	must(t, err)
	select {
	case s := <-p.rec.doneChan(info.ID):
		return s, p.rec.filesOf(info.ID)
	case <-time.After(60 * time.Second):
		t.Fatalf("job %s did not finish", info.ID)
	}
	return Summary{}, nil
}

// TestTwoProcessesOneRestoredName: two processes decrypt two different files that both
// restore the name "doc" into one folder, the second starting while the first waits
// for KMS. Each file that is reported done must hold its own plaintext under the
// reported name, and no plaintext may be lost: the second one to commit finds the
// name taken and applies its policy. (It failed before partial files had unique,
// locked names: the second process deleted the first one's partial file as stale,
// the first renamed the second's partial file to "doc" and reported success, and the
// first plaintext was gone.)
func TestTwoProcessesOneRestoredName(t *testing.T) {
	for _, tc := range []struct {
		policy  Policy
		statusB string
		codeB   string
		outputs []string
	}{
		{PolicyRename, StatusDone, "", []string{"doc", "doc (1)"}},
		{PolicySkip, StatusSkipped, CodeExists, []string{"doc"}},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			plain := map[string][]byte{}
			var cts []string
			for _, sub := range []string{"x", "y"} {
				src := filepath.Join(dir, sub, "doc")
				plain[sub] = content("doc from "+sub, 50000)
				writeFile(t, src, plain[sub], 0o644, time.Time{})
				cts = append(cts, encryptOne(t, e, src))
			}
			out := filepath.Join(dir, "out")
			must(t, os.MkdirAll(out, 0o755))

			gates := make([]*kmsGate, 2)
			procs := make([]*process, 2)
			for i := range procs {
				procs[i] = e.otherProcess(t, func(rt http.RoundTripper) http.RoundTripper {
					gates[i] = newKMSGate(rt, "Decrypt")
					return gates[i]
				})
			}
			// A starts and waits for KMS; then B starts and waits for KMS; A finishes first.
			spec := func(ct string) DecryptSpec {
				return DecryptSpec{Paths: []string{ct}, OutputDir: out, Overwrite: tc.policy}
			}
			infoA, err := procs[0].m.Decrypt(context.Background(), spec(cts[0]))
			must(t, err)
			gates[0].wait(t)
			infoB, err := procs[1].m.Decrypt(context.Background(), spec(cts[1]))
			must(t, err)
			gates[1].wait(t)
			close(gates[0].release)
			_, resA := procs[0].wait(t, infoA, nil)
			close(gates[1].release)
			_, resB := procs[1].wait(t, infoB, nil)

			for i, r := range []FileResult{resA[cts[0]], resB[cts[1]]} {
				if r.Status != StatusDone {
					continue
				}
				if got := readFile(t, r.Output); !bytes.Equal(got, plain[[]string{"x", "y"}[i]]) {
					t.Errorf("process %c reported %s, which does not hold its plaintext", 'A'+i, r.Output)
				}
			}
			expect(t, resA, cts[0], StatusDone, "")
			expect(t, resB, cts[1], tc.statusB, tc.codeB)
			if got := entries(t, out); !equalStrings(got, tc.outputs) {
				t.Fatalf("outputs %v, want %v", got, tc.outputs)
			}
		})
	}
}

// TestUserPartialFileKept: a user's own "victim.txt.partial" (mode 0600, older than
// the job) next to a decrypt whose restored name is victim.txt is never touched.
func TestUserPartialFileKept(t *testing.T) {
	e := newEnv(t)
	_, src := plainFile(t, "victim.txt", 3000)
	ct := encryptOne(t, e, src)
	must(t, os.Remove(src))
	mine := src + ".partial"
	writeFile(t, mine, []byte("my half-written notes"), 0o600, time.Now().Add(-time.Hour))
	for _, policy := range []Policy{PolicySkip, PolicyOverwrite} {
		_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, Overwrite: policy})
		expect(t, res, ct, StatusDone, "")
		if got := string(readFile(t, mine)); got != "my half-written notes" {
			t.Fatalf("%s: the user's %s was changed or removed: %q", policy, filepath.Base(mine), got)
		}
	}
	if got := content("victim.txt", 3000); !bytes.Equal(readFile(t, src), got) {
		t.Fatal("victim.txt was not restored")
	}
}
