//go:build linux

package credentials

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"golang.org/x/sys/unix"
)

// keychainTestEnv gates the tests that need a real Secret Service or the
// dbus-run-session binaries. scripts/test-keychain.sh sets it inside a
// private D-Bus session with an unlocked gnome-keyring.
const keychainTestEnv = "KMSDESK_KEYCHAIN_TEST"

// helperEnv makes TestHelperProcess act as a keychain client.
const helperEnv = "KMSDESK_KEYCHAIN_HELPER"

func requireRealKeychainTests(t *testing.T) {
	t.Helper()
	if os.Getenv(keychainTestEnv) != "1" {
		t.Skipf("real-keychain test: run scripts/test-keychain.sh (or set %s=1 inside a D-Bus session with an unlocked gnome-keyring)", keychainTestEnv)
	}
}

func randomName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// secretToolLookup returns the secret that secret-tool finds for the
// attributes go-keyring sets ("service" and "username"), and whether it
// found one.
func secretToolLookup(t *testing.T, user string) (string, bool) {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", KeychainService, "username", user).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 && len(out) == 0 {
			return "", false
		}
		t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out), true
}

// secretToolCount returns how many items carry the given attributes.
func secretToolCount(t *testing.T, user string) int {
	t.Helper()
	out, err := exec.Command("secret-tool", "search", "--all", "service", KeychainService, "username", user).CombinedOutput()
	if err != nil && len(out) > 0 && !bytes.Contains(out, []byte("No matching")) {
		t.Fatalf("secret-tool search: %v: %s", err, out)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "[/") {
			n++
		}
	}
	return n
}

func TestKeychainIntegrationRealKeyring(t *testing.T) {
	requireRealKeychainTests(t)
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatalf("secret-tool (libsecret-tools) is required: %v", err)
	}
	ctx := context.Background()
	kc := NewSystemKeychain(5*time.Second, 20*time.Second)
	s, err := Open(Options{ConfigDir: t.TempDir(), Keychain: kc})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.KeychainStatus(ctx); !st.Available || st.Backend != "secret-service" {
		t.Fatalf("%s=1 but the keychain is not usable: %+v", keychainTestEnv, st)
	}
	name := randomName(t, "it-")
	t.Cleanup(func() { _ = kc.Delete(context.Background(), name); _ = kc.Delete(context.Background(), name+stsSuffix) })

	// Add.
	p, err := s.Save(Profile{Name: name, Settings: Settings{Kind: KindTencent, Region: "ap-guangzhou"}}, &Secret{testSecretID, testSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if p.SecretStorage != StorageKeychain || p.SessionOnly {
		t.Fatalf("secret not in the keychain: %+v", p)
	}
	got, ok := secretToolLookup(t, name)
	if !ok {
		t.Fatal("secret-tool does not find the item go-keyring wrote")
	}
	var stored keychainSecret
	if err := json.Unmarshal([]byte(got), &stored); err != nil || stored.SecretID != testSecretID || stored.SecretKey != testSecretKey {
		t.Fatalf("keychain item = %q (%v)", got, err)
	}

	// Read.
	c, err := s.Credentials(ctx, name)
	if err != nil || c.SecretKey != testSecretKey {
		t.Fatalf("Credentials = %v, %v", c, err)
	}

	// Rotate: the item is replaced, not duplicated.
	if _, err := s.Save(Profile{Name: name, Settings: Settings{Kind: KindTencent}}, &Secret{testSecretID2, testSecretKy2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := secretToolLookup(t, name); !strings.Contains(got, testSecretKy2) || strings.Contains(got, testSecretKey) {
		t.Fatalf("after rotation the item holds %q", got)
	}
	if n := secretToolCount(t, name); n != 1 {
		t.Fatalf("%d items for the profile after rotation, want 1", n)
	}
	if c, _ := s.Credentials(ctx, name); c.SecretKey != testSecretKy2 {
		t.Fatalf("rotated secret not read back: %v", c)
	}

	// Temporary credentials in their own item.
	if err := s.SetTemporary(name, kms.Credentials{SecretID: "AKIDtemporarytemporarytemporary00001", SecretKey: "TempKeyTempKeyTempKeyTempKey0001", Token: strings.Repeat("t", 1700), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, ok := secretToolLookup(t, name+stsSuffix); !ok || !strings.Contains(got, strings.Repeat("t", 1700)) {
		t.Fatal("sts item missing from the keychain")
	}

	// The config file never holds a secret.
	cfgBytes, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "profiles file", cfgBytes, testSecretKey, testSecretKy2, testSecretID2, "TempKeyTempKeyTempKeyTempKey0001", strings.Repeat("t", 1700))

	// An item removed behind our back is reported as such.
	if out, err := exec.Command("secret-tool", "clear", "service", KeychainService, "username", name+stsSuffix).CombinedOutput(); err != nil {
		t.Fatalf("secret-tool clear: %v: %s", err, out)
	}
	if err := s.ClearTemporary(name); err != nil {
		t.Fatalf("ClearTemporary with the item already gone: %v", err)
	}

	// Delete.
	if err := s.Delete(name); err != nil {
		t.Fatal(err)
	}
	if _, ok := secretToolLookup(t, name); ok {
		t.Fatal("item still in the keychain after Delete")
	}
	_, err = kc.Get(ctx, name)
	wantCode(t, err, CodeKeychainNotFound)
	wantCode(t, kc.Delete(ctx, name), CodeKeychainNotFound)

	// Too large for our cap: refused before reaching the keyring.
	wantCode(t, kc.Set(ctx, name, strings.Repeat("x", MaxKeychainItemBytes+1)), CodeKeychainTooLarge)
	if _, ok := secretToolLookup(t, name); ok {
		t.Fatal("oversized item reached the keyring")
	}
}

// helperResult is what TestHelperProcess prints for the parent test.
type helperResult struct {
	GetCode, GetMessage, SetCode, SetMessage string
}

const helperPrefix = "KMSDESK-HELPER-RESULT:"

// TestHelperProcess is not a test: the failure-class tests run the test
// binary again as a keychain client in a prepared environment.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process for TestKeychainFailureClasses")
	}
	kc := NewSystemKeychain(10*time.Second, 10*time.Second)
	ctx := context.Background()
	var r helperResult
	switch mode {
	case "seed":
		if err := kc.Set(ctx, "helper-item", "v"); err != nil {
			r.SetCode, r.SetMessage = errcode.Code(err), err.Error()
		}
	default:
		if _, err := kc.Get(ctx, "helper-item"); err != nil {
			r.GetCode, r.GetMessage = errcode.Code(err), err.Error()
		}
		if err := kc.Set(ctx, "helper-item", "v"); err != nil {
			r.SetCode, r.SetMessage = errcode.Code(err), err.Error()
		}
	}
	b, _ := json.Marshal(r)
	fmt.Println(helperPrefix + string(b))
}

// busDaemons lists running (non-zombie) dbus-daemon and gnome-keyring-daemon
// processes, found with pgrep, whose environment contains marker. With an
// empty marker every such process is listed.
func busDaemons(t *testing.T, marker string) []int {
	t.Helper()
	var pids []int
	for _, name := range []string{"dbus-daemon", "gnome-keyring-d"} {
		out, err := exec.Command("pgrep", "-x", name).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 1 {
				continue // none
			}
			t.Fatalf("pgrep: %v", err)
		}
		for _, f := range strings.Fields(string(out)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				continue // already gone
			}
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue // exited, waiting to be reaped
			}
			if marker != "" {
				env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
				if err == nil && !bytes.Contains(env, []byte(marker)) {
					continue
				}
			}
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitDaemonsGone waits until no daemon listed by busDaemons(marker) runs, or
// until timeout, and returns those still running. It waits on each process's
// pidfd, which the kernel makes readable when the process exits, so nothing
// is polled on a timer.
func waitDaemonsGone(t *testing.T, marker string, timeout time.Duration) []int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := busDaemons(t, marker)
		if len(left) == 0 {
			return nil
		}
		for _, pid := range left {
			remaining := time.Until(deadline)
			if remaining <= 0 {
				return left
			}
			waitExit(t, pid, remaining)
		}
	}
}

// waitExit waits at most timeout for process pid to exit.
func waitExit(t *testing.T, pid int, timeout time.Duration) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return // already gone
	}
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, int(timeout/time.Millisecond)+1)
		if !errors.Is(err, unix.EINTR) {
			if err != nil {
				t.Fatalf("poll pidfd of %d: %v", pid, err)
			}
			return
		}
	}
}

// failureCase runs the helper in an environment and checks the code it
// reports and that no bus or keyring daemon it caused is left running.
type failureCase struct {
	name      string
	gated     bool                                           // needs dbus-run-session / gnome-keyring
	prepare   func(t *testing.T, c *helperRun) (skip string) // builds the command
	wantCode  string
	wantInMsg string
}

type helperRun struct {
	home, runtime, marker string
	env                   []string
	argv                  []string // prefix before the test binary, e.g. dbus-run-session --
}

func (h *helperRun) command(t *testing.T, mode string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, h.argv...), self, "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append([]string{}, h.env...), helperEnv+"="+mode)
	return cmd
}

func runHelper(t *testing.T, cmd *exec.Cmd) helperResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("helper failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("helper hung\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), helperPrefix); ok {
			var r helperResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Fatalf("helper printed no result\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return helperResult{}
}

// baseEnv is the parent's environment without any bus address, with a
// private HOME and XDG_RUNTIME_DIR (so a gnome-keyring started for the
// helper can never join the developer's own), and a marker to find the
// daemons it causes.
func baseEnv(h *helperRun) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "DISPLAY", "WAYLAND_DISPLAY", helperEnv, keychainTestEnv:
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+h.home, "XDG_RUNTIME_DIR="+h.runtime, "KMSDESK_HELPER_MARKER="+h.marker)
}

const minimalSessionConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func TestKeychainFailureClasses(t *testing.T) {
	uidBus := "/run/user/" + strconv.Itoa(os.Getuid()) + "/bus"
	cases := []failureCase{
		{
			name: "no bus: address unset", wantCode: CodeKeychainNoSessionBus, wantInMsg: "DBUS_SESSION_BUS_ADDRESS is not set",
			prepare: func(t *testing.T, h *helperRun) string {
				if isSocketFile(uidBus) {
					return uidBus + " exists, so godbus would find a bus without the variable"
				}
				return ""
			},
		},
		{
			name: "no bus: unix:path=/nonexistent", wantCode: CodeKeychainNoSessionBus, wantInMsg: "/nonexistent does not exist",
			prepare: func(t *testing.T, h *helperRun) string {
				h.env = append(h.env, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent")
				return ""
			},
		},
		{
			name: "no bus: stale socket nobody listens on", wantCode: CodeKeychainNoSessionBus, wantInMsg: "connection refused",
			prepare: func(t *testing.T, h *helperRun) string {
				sock := filepath.Join(h.runtime, "stale-bus")
				l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
				if err != nil {
					return "cannot create a unix socket: " + err.Error()
				}
				l.SetUnlinkOnClose(false)
				l.Close()
				h.env = append(h.env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+sock)
				return ""
			},
		},
		{
			name: "bus without Secret Service", gated: true, wantCode: CodeKeychainNoSecretService, wantInMsg: "org.freedesktop.secrets was not provided",
			prepare: func(t *testing.T, h *helperRun) string {
				cfg := filepath.Join(h.home, "session.conf")
				if err := os.WriteFile(cfg, []byte(fmt.Sprintf(minimalSessionConfig, h.runtime)), 0o600); err != nil {
					t.Fatal(err)
				}
				h.argv = []string{"dbus-run-session", "--config-file=" + cfg, "--"}
				return ""
			},
		},
		{
			name: "keyring never unlocked", gated: true, wantCode: CodeKeychainLocked, wantInMsg: "failed to unlock correct collection",
			prepare: func(t *testing.T, h *helperRun) string {
				h.argv = []string{"dbus-run-session", "--"}
				return ""
			},
		},
		{
			name: "login keyring exists but locked", gated: true, wantCode: CodeKeychainLocked, wantInMsg: "failed to unlock correct collection",
			prepare: func(t *testing.T, h *helperRun) string {
				// First session: create and unlock a login keyring in this HOME and store an item.
				self, err := os.Executable()
				if err != nil {
					t.Fatal(err)
				}
				seed := exec.Command("dbus-run-session", "--", "sh", "-ec",
					`printf %s "$KEYRING_PASS" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$0" -test.run='^TestHelperProcess$' -test.count=1`, self)
				seed.Env = append(append([]string{}, h.env...), helperEnv+"=seed", "KEYRING_PASS=kmsdesk-test-only")
				if r := runHelper(t, seed); r.SetCode != "" {
					t.Fatalf("seeding the login keyring: %s: %s", r.SetCode, r.SetMessage)
				}
				// Second session: the keyring file exists but nobody unlocks it.
				h.argv = []string{"dbus-run-session", "--"}
				return ""
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gated {
				requireRealKeychainTests(t)
				for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
					if _, err := exec.LookPath(bin); err != nil {
						t.Fatalf("%s=1 but %s is missing: %v", keychainTestEnv, bin, err)
					}
				}
			}
			if _, err := exec.LookPath("pgrep"); err != nil {
				t.Fatalf("pgrep (procps) is required to check for leftover daemons: %v", err)
			}
			h := &helperRun{home: t.TempDir(), runtime: t.TempDir(), marker: randomName(t, "m")}
			if err := os.Chmod(h.runtime, 0o700); err != nil {
				t.Fatal(err)
			}
			h.env = baseEnv(h)
			if skip := tc.prepare(t, h); skip != "" {
				t.Skip(skip)
			}
			before := len(busDaemons(t, ""))
			r := runHelper(t, h.command(t, "probe"))
			for _, got := range []struct{ op, code, msg string }{{"Get", r.GetCode, r.GetMessage}, {"Set", r.SetCode, r.SetMessage}} {
				if got.code != tc.wantCode {
					t.Errorf("%s: code %q (%s), want %q", got.op, got.code, got.msg, tc.wantCode)
				}
				if !strings.Contains(got.msg, tc.wantInMsg) {
					t.Errorf("%s: message %q lacks %q", got.op, got.msg, tc.wantInMsg)
				}
			}
			if HintFor(tc.wantCode) == "" {
				t.Errorf("no hint documented for %s", tc.wantCode)
			}
			// Nothing the helper caused may outlive it. A daemon may take a
			// moment to notice its bus is gone: wait for its exit, not longer.
			if left := waitDaemonsGone(t, h.marker, 5*time.Second); len(left) != 0 {
				t.Fatalf("daemons left running after the helper exited: %v (%d bus/keyring daemons before)", left, before)
			}
		})
	}
}

// TestKeychainLeakDetectorSeesDaemons proves the leftover-daemon check in
// TestKeychainFailureClasses is not vacuous: a bus daemon started with a
// marker in its environment is found, and is gone once stopped.
func TestKeychainLeakDetectorSeesDaemons(t *testing.T) {
	requireRealKeychainTests(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "session.conf")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(minimalSessionConfig, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	marker := randomName(t, "m")
	cmd := exec.Command("dbus-daemon", "--config-file="+cfg, "--nofork", "--print-address")
	cmd.Env = append(os.Environ(), "KMSDESK_HELPER_MARKER="+marker)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	found := busDaemons(t, marker)
	if len(found) != 1 || found[0] != cmd.Process.Pid {
		t.Fatalf("busDaemons(marker) = %v, want [%d]", found, cmd.Process.Pid)
	}
	// waitDaemonsGone reports a daemon that does not exit in time ...
	if left := waitDaemonsGone(t, marker, 50*time.Millisecond); len(left) != 1 || left[0] != cmd.Process.Pid {
		t.Fatalf("waitDaemonsGone with the daemon running = %v, want [%d]", left, cmd.Process.Pid)
	}
	// ... and returns once it exits (here before it is reaped).
	_ = cmd.Process.Kill()
	if left := waitDaemonsGone(t, marker, time.Minute); len(left) != 0 {
		t.Fatalf("killed daemon still listed: %v", left)
	}
	_ = cmd.Wait()
	stopped = true
	if left := busDaemons(t, marker); len(left) != 0 {
		t.Fatalf("stopped daemon still listed: %v", left)
	}
}
