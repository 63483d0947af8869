//go:build !windows

package main

import (
	"os/exec"
	"syscall"
	"testing"
)

// interruptible prepares cmd so that interrupt can reach it.
func interruptible(*exec.Cmd) {}

// interrupt does what Ctrl+C in the terminal does: SIGINT.
func interrupt(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		cmd.Process.Kill()
		t.Fatalf("interrupt: %v", err)
	}
}
