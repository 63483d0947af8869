package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunExplainsAMissingDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 3 || !strings.Contains(errOut.String(), "no graphical display") {
		t.Fatalf("code %d, stderr %q", code, errOut.String())
	}
}
