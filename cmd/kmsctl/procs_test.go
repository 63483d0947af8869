package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// TestTwoKmsctlProcessesOneRestoredName: two kmsctl processes (this test binary running
// main) decrypt at the same time two different files that restore the same name into one
// folder — the case where a plaintext was once lost. Whatever the interleaving, a process
// that reports a file done reports an output holding its own plaintext; with --overwrite
// rename both plaintexts end up on disk, with the default one is written and the other
// process says the output exists. No partial file is left.
func TestTwoKmsctlProcessesOneRestoredName(t *testing.T) {
	ep, _ := cliEnv(t)
	if _, errOut, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "race"); err != nil {
		t.Fatalf("keys create: %v %s", err, errOut)
	}
	dir := t.TempDir()
	var cts []string
	var plain [][]byte
	for _, sub := range []string{"x", "y"} {
		src := filepath.Join(dir, sub, "doc")
		must(t, os.MkdirAll(filepath.Dir(src), 0o755))
		b := bytes.Repeat([]byte("the document from "+sub+"\n"), 150000) // about 3 MB: the writes overlap
		must(t, os.WriteFile(src, b, 0o644))
		if _, errOut, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "race", src); err != nil {
			t.Fatalf("encrypt %s: %v %s", src, err, errOut)
		}
		cts, plain = append(cts, src+".kmsenc"), append(plain, b)
	}

	for _, policy := range []string{"rename", ""} {
		for round := range 3 {
			out := filepath.Join(dir, fmt.Sprintf("out-%s-%d", policy, round))
			must(t, os.Mkdir(out, 0o755))
			cmds := make([]*exec.Cmd, len(cts))
			stdout := make([]bytes.Buffer, len(cts))
			stderr := make([]bytes.Buffer, len(cts))
			for i, ct := range cts {
				args := []string{"--endpoint", ep, "--json", "decrypt", "-o", out}
				if policy != "" {
					args = append(args, "--overwrite", policy)
				}
				cmds[i] = exec.Command(os.Args[0], "-test.run=^TestKmsctlMain$", "-test.count=1")
				cmds[i].Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0",
					"KMSCTL_TEST_MAIN_ARGS="+strings.Join(append(args, ct), "\x1f"))
				cmds[i].Stdout, cmds[i].Stderr = &stdout[i], &stderr[i]
			}
			for _, c := range cmds {
				must(t, c.Start())
			}
			done := 0
			for i, c := range cmds {
				err := c.Wait()
				var res struct{ Files []service.JobFile }
				if jerr := json.NewDecoder(&stdout[i]).Decode(&res); jerr != nil || len(res.Files) != 1 {
					t.Fatalf("process %d (%v): no JSON result (%v): %s", i, err, jerr, stderr[i].String())
				}
				f := res.Files[0]
				switch {
				case f.Status == service.FileDone:
					done++
					if got, _ := os.ReadFile(f.Output); !bytes.Equal(got, plain[i]) {
						t.Errorf("%s round %d: process %d reported %s, which does not hold its plaintext", policy, round, i, f.Output)
					}
				case policy == "" && f.Status == service.FileSkipped && f.ErrorCode == "File.Exists":
				default:
					t.Errorf("%s round %d: process %d: %s %s %s", policy, round, i, f.Status, f.ErrorCode, f.Message)
				}
			}
			entries, err := os.ReadDir(out)
			must(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := map[string][]string{"rename": {"doc", "doc (1)"}, "": {"doc"}}[policy]
			if !slices.Equal(names, want) || done != len(want) {
				t.Fatalf("%q round %d: %d done, folder holds %v; want %v", policy, round, done, names, want)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
