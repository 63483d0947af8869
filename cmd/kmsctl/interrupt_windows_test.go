//go:build windows

package main

import (
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// interruptible starts cmd in its own process group, the unit console control events
// are sent to (so the test binary itself is not interrupted).
func interruptible(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// interrupt does what Ctrl+C in the console does. Windows cannot send Ctrl+C to another
// process group; Ctrl+Break reaches it, and Go delivers both as os.Interrupt. Wine 8
// does not deliver console control events to another process (GenerateConsoleCtrlEvent
// fails with "Invalid handle" or "Invalid access"): there the test is skipped.
func interrupt(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid))
	if err == nil {
		return
	}
	cmd.Process.Kill()
	cmd.Wait()
	if underWine() {
		t.Skipf("GenerateConsoleCtrlEvent: %v: Wine 8 does not deliver console control events to another process", err)
	}
	t.Fatalf("interrupt: %v", err)
}

// underWine reports whether this process runs under Wine (its ntdll exports wine_get_version).
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
