package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its controlling and terminal ends.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	// Raw output: no "\n" → "\r\n" translation, so the bytes read are the bytes written.
	setTermios(t, tty, func(tio *unix.Termios) { tio.Oflag &^= unix.OPOST })
	return ptmx, tty
}

// setTermios changes the settings of a terminal.
func setTermios(t *testing.T, tty *os.File, change func(*unix.Termios)) {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	change(tio)
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
}

// TestTextDecryptToTerminal decrypts a plaintext holding escape sequences onto
// a real terminal: it is shown escaped, with a warning, unless --raw; piped
// output keeps the exact bytes.
func TestTextDecryptToTerminal(t *testing.T) {
	ep, _ := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "tty"); err != nil {
		t.Fatal(err)
	}
	const secret = "line one\nclear\x1b[2J title\x1b]0;pwn\x07 \u202eevil"
	blob, _, err := kmsctl(t, secret, "--endpoint", ep, "text", "encrypt", "--key", "tty")
	if err != nil {
		t.Fatal(err)
	}
	decryptTo := func(args ...string) (string, string) {
		ptmx, tty := openPTY(t)
		var errOut bytes.Buffer
		cmd := newRootCmd()
		cmd.SetArgs(append([]string{"--endpoint", ep, "text", "decrypt"}, args...))
		cmd.SetIn(strings.NewReader(blob))
		cmd.SetOut(tty)
		cmd.SetErr(&errOut)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		shown, err := io.ReadAll(ptmx)
		if err != nil && !strings.Contains(err.Error(), "input/output error") { // EIO once the terminal end is closed
			t.Fatal(err)
		}
		return string(shown), errOut.String()
	}
	shown, warning := decryptTo()
	if shown != "line one\nclear\\x1b[2J title\\x1b]0;pwn\\x07 \\u202eevil" || !strings.Contains(warning, "--raw") {
		t.Fatalf("terminal: %q, warning %q", shown, warning)
	}
	if shown, warning = decryptTo("--raw"); shown != secret || warning != "" {
		t.Fatalf("--raw: %q, warning %q", shown, warning)
	}
	if piped, _, err := kmsctl(t, blob, "--endpoint", ep, "text", "decrypt"); err != nil || piped != secret {
		t.Fatalf("piped: %q %v", piped, err)
	}
}
