package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
// failLine matches one per-file failure line: "kmsctl: path: message [code] — hint".
var failLine = regexp.MustCompile(`^kmsctl: (.+?): (.+) \[([A-Za-z]+\.[A-Za-z]+)\]( — .+)?$`)

// withKey starts a local KMS (cliEnv) with a key named alias and returns its endpoint.
func withKey(t *testing.T, alias string) string {
	t.Helper()
	ep, _ := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", alias); err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestFileCommandsRoundTrip(t *testing.T) {
	ep := withKey(t, "files")
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
	if err != nil || !strings.Contains(stdout, "5 bytes of plaintext") || !strings.Contains(stdout, `{"team":"hr"}`) ||
		!strings.Contains(stdout, "AES-256-GCM") || ins[0].Suite != service.SuiteAES {
		t.Fatalf("inspect: %q %v", stdout, err)
	}
}

// TestEncryptSuite: --suite sm4 writes the 国密 suite, which decrypts and shows in
// inspect; a bad value is a usage error.
func TestEncryptSuite(t *testing.T) {
	ep := withKey(t, "gm")
	dir := t.TempDir()
	src := filepath.Join(dir, "报告.txt")
	writeTree(t, dir, map[string]string{"报告.txt": strings.Repeat("国密", 20000)})
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "gm", "--suite", "sm2", src); exitCode(err) != 2 {
		t.Fatalf("--suite sm2: %v", err)
	}
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "gm", "--suite", "sm4", "-o", filepath.Join(dir, "enc"), src); err != nil {
		t.Fatalf("encrypt: %v\n%s", err, stderr)
	}
	ct := filepath.Join(dir, "enc", "报告.txt.kmsenc")
	stdout, _, err := kmsctl(t, "", "inspect", ct)
	if err != nil || !strings.Contains(stdout, "SM4-GCM (国密)") {
		t.Fatalf("inspect: %q %v", stdout, err)
	}
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", filepath.Join(dir, "dec"), ct); err != nil {
		t.Fatalf("decrypt: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dec", "报告.txt")); string(b) != strings.Repeat("国密", 20000) {
		t.Fatal("the decrypted file differs")
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
		Files   []service.JobFile  `json:"files"`
		Summary service.JobSummary `json:"summary"`
	}
	if err != nil || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Files) != 1 || res.Files[0].Output != good+" (1).kmsenc" || res.Summary.Done != 1 {
		t.Fatalf("--json rename: %q %v", stdout, err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "--overwrite", "skip", good); err != nil {
		t.Fatalf("an explicit skip is not a failure: %v", err)
	}
	// Disabled key: every file fails with the KMS code and its hint.
	kmsctl(t, "", "--endpoint", ep, "keys", "disable", "f", "--yes") // the files it encrypted above open only with it
	_, stderr, err = kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "-o", filepath.Join(dir, "o2"), plain, good)
	if exitCode(err) != 1 || strings.Count(stderr, "[ResourceUnavailable.CmkDisabled] — enable the key") != 2 {
		t.Fatalf("disabled key: %v\n%s", err, stderr)
	}
}

// TestDecryptForce: --overwrite overwrite does not replace a dot-file (File.WouldReplace,
// exit 1, with its hint); --force does.
func TestDecryptForce(t *testing.T) {
	ep, _ := cliEnv(t)
	kmsctl(t, "", "--endpoint", ep, "keys", "create", "f")
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"home/.bashrc": "mine", "in/.bashrc": "from backup"})
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", filepath.Join(dir, "in", ".bashrc")); err != nil {
		t.Fatalf("encrypt: %v\n%s", err, stderr)
	}
	ct, home := filepath.Join(dir, "in", ".bashrc.kmsenc"), filepath.Join(dir, "home")
	_, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "--overwrite", "overwrite", "-o", home, ct)
	m := failLine.FindStringSubmatch(strings.TrimSpace(stderr))
	if exitCode(err) != 1 || m == nil || m[3] != "File.WouldReplace" || !strings.Contains(m[4], "--force") {
		t.Fatalf("without --force: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(home, ".bashrc")); string(b) != "mine" {
		t.Fatal(".bashrc was replaced without --force")
	}
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "--overwrite", "overwrite", "--force", "-o", home, ct); err != nil {
		t.Fatalf("with --force: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(home, ".bashrc")); string(b) != "from backup" {
		t.Fatal("--force did not replace .bashrc")
	}
}

// TestEncryptKmsencNameNeedsForce: encrypt refuses a file named .kmsenc, whether it is
// a renamed plain file or a real encrypted file (exit 1, File.NamedEncrypted with the
// --force hint, nothing written); --force encrypts it into NAME.kmsenc.kmsenc.
func TestEncryptKmsencNameNeedsForce(t *testing.T) {
	ep := withKey(t, "f")
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"fake.kmsenc": "just text", "real.txt": "real"})
	fake, real := filepath.Join(dir, "fake.kmsenc"), filepath.Join(dir, "real.txt.kmsenc")
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", filepath.Join(dir, "real.txt")); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	for _, p := range []string{fake, real} {
		_, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", p)
		m := failLine.FindStringSubmatch(strings.TrimSpace(stderr))
		if exitCode(err) != 1 || m == nil || m[1] != p || m[3] != "File.NamedEncrypted" || !strings.Contains(m[4], "--force") {
			t.Fatalf("%s without --force: exit %d %v\n%s", filepath.Base(p), exitCode(err), err, stderr)
		}
		if _, err := os.Stat(p + ".kmsenc"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: a refused encryption wrote %s.kmsenc (%v)", filepath.Base(p), filepath.Base(p), err)
		}
	}
	stdout, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "--force", fake, real)
	outputs := strings.Fields(stdout)
	slices.Sort(outputs)
	if err != nil || !slices.Equal(outputs, []string{fake + ".kmsenc", real + ".kmsenc"}) {
		t.Fatalf("with --force: %q %q %v", stdout, stderr, err)
	}
	// Decrypting the double-encrypted file gives the encrypted file back.
	out := filepath.Join(dir, "out")
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "decrypt", "-o", out, real+".kmsenc"); err != nil {
		t.Fatalf("decrypt: %v %s", err, stderr)
	}
	a, _ := os.ReadFile(real)
	if b, _ := os.ReadFile(filepath.Join(out, "real.txt.kmsenc")); !bytes.Equal(a, b) {
		t.Fatal("decrypting real.txt.kmsenc.kmsenc did not give real.txt.kmsenc back")
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

// TestProgressLine: rates and sizes are in decimal megabytes (1 MB = 1,000,000 bytes),
// as the desktop app and the file managers show them.
func TestProgressLine(t *testing.T) {
	p := service.JobProgress{FilesDone: 3, FilesTotal: 10, BytesDone: 1 << 29, BytesTotal: 1 << 30, BytesPerSec: 250e6, EtaSeconds: 125}
	if got := progressLine("encrypting", p); got != "encrypting 3/10 files   50%  250.0 MB/s  ETA 2:05" {
		t.Fatalf("%q", got)
	}
	p.BytesPerSec = 100 << 20 // 104,857,600 bytes a second
	if got := progressLine("encrypting", p); !strings.Contains(got, "  104.9 MB/s  ") {
		t.Fatalf("%q", got)
	}
	if got := megabytes(1_260_000); got != "1.3 MB" {
		t.Fatalf("megabytes(1260000) = %q", got)
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

// TestInterruptLeavesNothing interrupts (SIGINT; Ctrl+Break on Windows) a kmsctl process (this test binary
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
	interruptible(cmd)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the partial output exists, then interrupt.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(out, ".big.img.kmsenc.*.kmsdesk-partial")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the output was never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	interrupt(t, cmd)
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

// TestProfileSuiteDefault: `profile add --suite sm4` makes SM4 the default of the
// files the profile encrypts; --suite on encrypt overrides it.
func TestProfileSuiteDefault(t *testing.T) {
	t.Setenv("KMSDESK_HOME", t.TempDir())
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "")
	if _, _, err := kmsctl(t, "", "profile", "add", "gm", "--kind", "local", "--suite", "sm3"); exitCode(err) != 2 {
		t.Fatalf("--suite sm3: %v", err)
	}
	out, stderr, err := kmsctl(t, "", "--json", "profile", "add", "gm", "--kind", "local", "--suite", "sm4")
	if err != nil || !strings.Contains(out, `"suite": "sm4"`) {
		t.Fatalf("profile add: %q %q %v", out, stderr, err)
	}
	if _, stderr, err := kmsctl(t, "", "--profile", "gm", "keys", "create", "gm-key"); err != nil {
		t.Fatalf("keys create: %v\n%s", err, stderr)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "alpha", "b.txt": "beta"})
	for name, args := range map[string][]string{
		"a.txt": nil,                // the profile's default
		"b.txt": {"--suite", "aes"}, // overridden
	} {
		args = append([]string{"--profile", "gm", "encrypt", "--key", "gm-key"}, append(args, filepath.Join(dir, name))...)
		if _, stderr, err := kmsctl(t, "", args...); err != nil {
			t.Fatalf("encrypt %s: %v\n%s", name, err, stderr)
		}
	}
	for name, want := range map[string]service.Suite{"a.txt": service.SuiteSM4, "b.txt": service.SuiteAES} {
		out, _, err := kmsctl(t, "", "--json", "inspect", filepath.Join(dir, name+".kmsenc"))
		var ins []service.Inspection
		if err != nil || json.Unmarshal([]byte(out), &ins) != nil || len(ins) != 1 || ins[0].Suite != want {
			t.Fatalf("%s: inspect %q %v, want suite %s", name, out, err, want)
		}
	}
}

// TestEncryptSkipCurrent: --skip-current leaves a file whose encrypted copy is up to
// date (one line saying so, exit 0, no new output); without it the file is encrypted
// again.
func TestEncryptSkipCurrent(t *testing.T) {
	ep := withKey(t, "f")
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"report.txt": "quarterly"})
	src := filepath.Join(dir, "report.txt")
	if _, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", src); err != nil {
		t.Fatalf("encrypt: %v\n%s", err, stderr)
	}
	stdout, stderr, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "--skip-current", src)
	if err != nil || stdout != "" {
		t.Fatalf("--skip-current: %v %q\n%s", err, stdout, stderr)
	}
	if m := failLine.FindStringSubmatch(strings.TrimSpace(stderr)); m == nil || m[3] != "File.UpToDate" || !strings.Contains(m[4], "--skip-current") {
		t.Fatalf("the skip line: %q", stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("files: %v", entries)
	}
	if stdout, _, err := kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "f", "--overwrite", "rename", src); err != nil || strings.TrimSpace(stdout) != src+" (1).kmsenc" {
		t.Fatalf("without --skip-current: %v %q", err, stdout)
	}
}

// TestLocalKMSNotice: encrypting with a local-KMS profile (files and text) notes once
// on stderr that the key lives only on this computer and how to back it up; stdout (and
// --json) stays clean; KMSDESK_NO_LOCAL_NOTICE hides it; other connections and other
// commands never print it.
func TestLocalKMSNotice(t *testing.T) {
	ep, _ := cliEnv(t)
	t.Setenv(noLocalNoticeEnv, "")
	if _, stderr, err := kmsctl(t, "", "--profile", "local", "keys", "create", "here"); err != nil || strings.Contains(stderr, "only on this computer") {
		t.Fatalf("keys create: %q %v", stderr, err)
	}
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "there"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "a", "b.txt": "b", "c.txt": "c"})
	a, b, c := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "c.txt")
	notes := func(stderr string) int { return strings.Count(stderr, "only on this computer") }

	stdout, stderr, err := kmsctl(t, "", "--profile", "local", "encrypt", "--key", "here", a, b)
	if err != nil || notes(stderr) != 1 || !strings.Contains(stderr, "kmsctl local backup") || !strings.Contains(stderr, noLocalNoticeEnv) || strings.Contains(stdout, "only on this computer") {
		t.Fatalf("encrypt with the local profile: %q %q %v", stdout, stderr, err)
	}
	stdout, stderr, err = kmsctl(t, "", "--profile", "local", "--json", "encrypt", "--key", "here", c)
	var res struct {
		Summary service.JobSummary `json:"summary"`
	}
	if err != nil || notes(stderr) != 1 || json.Unmarshal([]byte(stdout), &res) != nil || res.Summary.Done != 1 {
		t.Fatalf("--json encrypt with the local profile: %q %q %v", stdout, stderr, err)
	}
	stdout, stderr, err = kmsctl(t, "memo", "--profile", "local", "text", "encrypt", "--key", "here")
	if err != nil || notes(stderr) != 1 || !strings.Contains(stdout, "-k-") || strings.Contains(stdout, "only on this computer") {
		t.Fatalf("text encrypt with the local profile: %q %q %v", stdout, stderr, err)
	}
	blob := stdout
	// Decrypting says nothing; neither do other connections, nor a run with the note hidden.
	if _, stderr, err = kmsctl(t, blob, "--profile", "local", "text", "decrypt"); err != nil || notes(stderr) != 0 {
		t.Fatalf("text decrypt: %q %v", stderr, err)
	}
	if _, stderr, err = kmsctl(t, "", "--profile", "local", "decrypt", "-o", filepath.Join(dir, "out"), a+".kmsenc"); err != nil || notes(stderr) != 0 {
		t.Fatalf("decrypt: %q %v", stderr, err)
	}
	if _, stderr, err = kmsctl(t, "", "--endpoint", ep, "encrypt", "--key", "there", "-o", filepath.Join(dir, "cloud"), a); err != nil || notes(stderr) != 0 {
		t.Fatalf("encrypt over --endpoint: %q %v", stderr, err)
	}
	t.Setenv(noLocalNoticeEnv, "1")
	if _, stderr, err = kmsctl(t, "", "--profile", "local", "encrypt", "--key", "here", "-o", filepath.Join(dir, "quiet"), a); err != nil || stderr != "" {
		t.Fatalf("encrypt with %s=1: %q %v", noLocalNoticeEnv, stderr, err)
	}
	if _, stderr, err = kmsctl(t, "memo", "--profile", "local", "text", "encrypt", "--key", "here"); err != nil || stderr != "" {
		t.Fatalf("text encrypt with %s=1: %q %v", noLocalNoticeEnv, stderr, err)
	}
}
