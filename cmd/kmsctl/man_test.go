package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestManPages: `kmsctl __man DIR` writes a section-1 page for kmsctl and every command
// (what the .deb and .rpm install into /usr/share/man/man1), the same bytes each time; it
// is not listed among the commands.
func TestManPages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := runKmsctl(t, context.Background(), "__man", dir); err != nil {
		t.Fatal(err)
	}
	var walk func(c *cobra.Command)
	want := map[string]bool{}
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		want[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := newRootCmd()
	root.InitDefaultCompletionCmd() // cobra adds `completion` when a command runs
	walk(root)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("unexpected page %s", e.Name())
		}
		delete(want, e.Name())
	}
	if len(want) > 0 || len(entries) < 30 {
		t.Fatalf("%d pages; missing %v", len(entries), want)
	}
	page, err := os.ReadFile(filepath.Join(dir, "kmsctl-encrypt.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`.TH "KMSCTL" "1"`, "kmsctl-encrypt - Encrypt files", `\fB--overwrite\fP`, ".SH SEE ALSO"} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("kmsctl-encrypt.1 lacks %q", s)
		}
	}
	again := t.TempDir()
	if _, _, err := runKmsctl(t, context.Background(), "__man", again); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(filepath.Join(again, "kmsctl-encrypt.1")); !bytes.Equal(page, second) {
		t.Fatal("two runs wrote different pages")
	}
	help, _, err := runKmsctl(t, context.Background(), "--help")
	if err != nil || strings.Contains(help, "__man") {
		t.Fatalf("--help lists the hidden command (or failed: %v)", err)
	}
}
