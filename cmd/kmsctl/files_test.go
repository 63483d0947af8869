package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// writeTree writes files (relative path → content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, c := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// exitCode returns the exit code kmsctl would exit with for err.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

// failLine matches one per-file failure line: "kmsctl: path: message [code] — hint".
var failLine = regexp.MustCompile(`^kmsctl: (.+?): (.+) \[([A-Za-z]+\.[A-Za-z]+)\]( — .+)?$`)

func TestFileCommandsRoundTrip(t *testing.T) {
	ep, _ := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "files"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "docs")
	writeTree(t, src, map[string]string{"a.txt": "alpha", "sub/b 文件.txt": strings.Repeat("b", 40000), "empty": ""})

	stdout, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "files", "--context", "team=hr", "-r", src)
	if err != nil {
		t.Fatalf("encrypt: %v\n%s", err, stderr)
	}
	if len(strings.Split(strings.TrimSpace(stdout), "\n")) != 3 || stderr != "" {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
	for _, rel := range []string{"a.txt", "sub/b 文件.txt", "empty"} {
		if _, err := os.Stat(filepath.Join(src, rel+".kmsenc")); err != nil {
			t.Fatalf("%s.kmsenc not written next to the original: %v", rel, err)
		}
	}

	out := filepath.Join(dir, "out")
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", out, src); err != nil {
		t.Fatalf("decrypt: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "docs", "sub", "b 文件.txt")); string(b) != strings.Repeat("b", 40000) {
		t.Fatal("the decrypted tree differs")
	}
	stdout, _, err = kmsctl(t, "", "--endpoint", ep, "verify", filepath.Join(src, "a.txt.kmsenc"))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(stdout), "a.txt.kmsenc: OK") {
		t.Fatalf("verify: %q %v", stdout, err)
	}

	// inspect needs no KMS and no credentials.
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	stdout, _, err = kmsctl(t, "", "--json", "inspect", filepath.Join(src, "a.txt.kmsenc"))
	if err != nil {
		t.Fatal(err)
	}
	var ins []service.Inspection
	if err := json.Unmarshal([]byte(stdout), &ins); err != nil || len(ins) != 1 || ins[0].EncryptionContext != `{"team":"hr"}` ||
		ins[0].PlaintextSize != 5 || len(ins[0].Keys) != 1 || !strings.HasPrefix(ins[0].Creator, "kmsctl/") {
		t.Fatalf("inspect: %q %v", stdout, err)
	}
	stdout, _, err = kmsctl(t, "", "inspect", filepath.Join(src, "a.txt.kmsenc"))
	if err != nil || !strings.Contains(stdout, "5 bytes of plaintext") || !strings.Contains(stdout, `{"team":"hr"}`) {
		t.Fatalf("inspect: %q %v", stdout, err)
	}
}

func TestFileCommandsFailures(t *testing.T) {
	ep, _ := cliEnv(t)
	kmsctl(t, "", "--endpoint", ep, "keys", "create", "f")
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"plain.txt": "not encrypted", "good.txt": "good", "folder/x": "x"})
	plain, good := filepath.Join(dir, "plain.txt"), filepath.Join(dir, "good.txt")

	// A folder needs -r (usage error, exit 2).
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", filepath.Join(dir, "folder")); exitCode(err) != 2 {
		t.Fatalf("folder without -r: %v", err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "--overwrite", "ask", good); exitCode(err) != 2 {
		t.Fatalf("--overwrite ask: %v", err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", good); err != nil {
		t.Fatal(err)
	}
	ct := good + ".kmsenc"
	// Tamper with a copy: decrypting it and the plaintext fails with one line each.
	raw, _ := os.ReadFile(ct)
	raw[len(raw)-3] ^= 1
	bad := filepath.Join(dir, "bad.kmsenc")
	os.WriteFile(bad, raw, 0o644)
	out := filepath.Join(dir, "out")
	_, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", out, plain, bad, ct)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "2 of 3 files failed") {
		t.Fatalf("exit %d: %v", exitCode(err), err)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per failed file:\n%s", stderr)
	}
	codes := map[string]string{}
	for _, l := range lines {
		m := failLine.FindStringSubmatch(l)
		if m == nil || m[4] == "" {
			t.Fatalf("line %q is not 'kmsctl: path: message [code] — hint'", l)
		}
		codes[m[1]] = m[3]
	}
	if codes[plain] != "File.NotEncrypted" || codes[bad] != "Envelope.AuthenticationFailed" {
		t.Fatalf("codes %v", codes)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "good.txt")); string(b) != "good" {
		t.Fatal("the good file was not decrypted")
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Fatalf("outputs %v", entries)
	}

	// An existing output: the default reports it and exits 1; --overwrite rename writes.
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", good)
	if exitCode(err) != 1 || !strings.Contains(stderr, "[File.Exists]") || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("existing output: %v\n%s", err, stderr)
	}
	stdout, _, err := kmsctl(t, "", "--endpoint", ep, "--json", "encrypt", "--key", "f", "--overwrite", "rename", good)
	var res struct {
		Files   []service.FileEvent `json:"files"`
		Summary service.DoneEvent   `json:"summary"`
	}
	if err != nil || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Files) != 1 || res.Files[0].Output != good+" (1).kmsenc" || res.Summary.Done != 1 {
		t.Fatalf("--json rename: %q %v", stdout, err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "--overwrite", "skip", good); err != nil {
		t.Fatalf("an explicit skip is not a failure: %v", err)
	}
	// Disabled key: every file fails with the KMS code and its hint.
	kmsctl(t, "", "--endpoint", ep, "keys", "disable", "f")
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "-o", filepath.Join(dir, "o2"), plain, good)
	if exitCode(err) != 1 || strings.Count(stderr, "[ResourceUnavailable.CmkDisabled] — enable the key") != 2 {
		t.Fatalf("disabled key: %v\n%s", err, stderr)
	}
}

func TestFileCommandsDirect(t *testing.T) {
	ep, _ := cliEnv(t)
	kmsctl(t, "", "--endpoint", ep, "keys", "create", "d")
	dir := t.TempDir()
	p := filepath.Join(dir, "db.conf")
	writeTree(t, dir, map[string]string{"db.conf": "password=hunter2"})
	stdout, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "d", "--direct", "--remove-originals", p)
	if err != nil || strings.TrimSpace(stdout) != p+".kmsblob" {
		t.Fatalf("%q %v", stdout, err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("the original was not removed after verification")
	}
	blob, _ := os.ReadFile(p + ".kmsblob")
	// The blob file is what `kmsctl text decrypt` (the Decrypt API) takes as is.
	plain, _, err := kmsctl(t, string(blob), "--endpoint", ep, "text", "decrypt")
	if err != nil || plain != "password=hunter2" {
		t.Fatalf("text decrypt of the blob file: %q %v", plain, err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "decrypt", p+".kmsblob"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "password=hunter2" {
		t.Fatalf("restored %q", b)
	}
}

func TestProgressLine(t *testing.T) {
	p := service.ProgressEvent{FilesDone: 3, FilesTotal: 10, BytesDone: 1 << 29, BytesTotal: 1 << 30, BytesPerSec: 250e6, EtaSeconds: 125}
	if got := progressLine("encrypting", p); got != "encrypting 3/10 files   50%  250.0 MB/s  ETA 2:05" {
		t.Fatalf("%q", got)
	}
	p.EtaSeconds = -1
	if got := progressLine("decrypting", p); !strings.HasSuffix(got, "ETA --:--") {
		t.Fatalf("%q", got)
	}
}

// TestKmsctlMain runs main() when re-executed by TestInterruptLeavesNothing.
func TestKmsctlMain(t *testing.T) {
	args := os.Getenv("KMSCTL_TEST_MAIN_ARGS")
	if args == "" {
		t.Skip("helper process")
	}
	os.Args = append([]string{"kmsctl"}, strings.Split(args, "\x1f")...)
	main()
}

// TestInterruptLeavesNothing sends SIGINT to a kmsctl process (this test binary
// running main) while it encrypts a large file: it exits 130 and leaves no output and
// no partial file.
func TestInterruptLeavesNothing(t *testing.T) {
	ep, _ := cliEnv(t)
	kmsctl(t, "", "--endpoint", ep, "keys", "create", "i")
	dir := t.TempDir()
	big := filepath.Join(dir, "big.img")
	f, _ := os.Create(big)
	f.Truncate(2 << 30) // sparse: quick to make, slow enough to encrypt
	f.Close()
	out := filepath.Join(dir, "out")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKmsctlMain$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0",
		"KMSCTL_TEST_MAIN_ARGS="+strings.Join([]string{"--endpoint", ep, "encrypt", "--key", "i", "-o", out, big}, "\x1f"))
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the partial output exists, then interrupt.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, "big.img.kmsenc.partial")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the output was never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	var msgs []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		msgs = append(msgs, sc.Text())
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v %v", err, msgs)
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "no partial files were left") {
		t.Fatalf("stderr %v", msgs)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
}
