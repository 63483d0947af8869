package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// TestProfileCommandsKeychain drives `kmsctl profile` against the real OS keychain:
// scripts/test-keychain.sh runs it inside a private D-Bus session with an unlocked
// gnome-keyring (KMSDESK_KEYCHAIN_TEST=1). A profile added from the environment is then
// usable with --profile alone, its secret lives only in the keychain, and removing the
// profile removes the keychain item.
func TestProfileCommandsKeychain(t *testing.T) {
	if os.Getenv("KMSDESK_KEYCHAIN_TEST") != "1" {
		t.Skip("needs a real keychain: run scripts/test-keychain.sh")
	}
	lk := localkmstest.Start(t, localkmstest.Loopback())
	cred, err := lk.Server.CreateCredential("kmsctl-profile-test")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("KMSDESK_HOME", home)
	t.Setenv("TENCENTCLOUD_SECRET_ID", cred.SecretID)
	t.Setenv("TENCENTCLOUD_SECRET_KEY", cred.SecretKey)

	out, errOut, err := kmsctl(t, "", "profile", "add", "lk", "--kind", "tencent", "--region", "ap-guangzhou", "--endpoint", lk.URL)
	if err != nil || strings.Contains(errOut, "warning") || !strings.Contains(out, "keychain") {
		t.Fatalf("add: %q %q %v", out, errOut, err)
	}
	// From here on no credentials come from the environment.
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "")
	if out, _, err = kmsctl(t, "", "profile", "list"); err != nil || !strings.Contains(out, "lk") || strings.Contains(out, cred.SecretID) {
		t.Fatalf("list: %q %v", out, err)
	}
	if out, _, err = kmsctl(t, "", "--profile", "lk", "keys", "create", "via-profile"); err != nil || !strings.Contains(out, "via-profile") {
		t.Fatalf("keys create with --profile: %q %v", out, err)
	}
	if out, _, err = kmsctl(t, "", "profile", "test", "lk"); err != nil || !strings.Contains(out, "ok: lk") || !strings.Contains(out, "1 keys") {
		t.Fatalf("test: %q %v", out, err)
	}
	if _, err := exec.LookPath("secret-tool"); err == nil {
		got, err := exec.Command("secret-tool", "lookup", "service", "kmsdesk", "username", "lk").Output()
		if err != nil || !bytes.Contains(got, []byte(cred.SecretKey)) {
			t.Fatalf("the keychain item is missing: %v", err)
		}
	}
	// No file KMS Desk wrote holds the SecretKey.
	filepath.Walk(home, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(cred.SecretKey)) {
				t.Errorf("%s holds the SecretKey", p)
			}
		}
		return nil
	})
	if _, _, err = kmsctl(t, "", "profile", "remove", "lk"); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("secret-tool"); err == nil {
		if got, _ := exec.Command("secret-tool", "lookup", "service", "kmsdesk", "username", "lk").Output(); len(got) != 0 {
			t.Fatal("the keychain item outlived the profile")
		}
	}
	if _, _, err = kmsctl(t, "", "--profile", "lk", "keys", "list"); err == nil {
		t.Fatal("a removed profile still works")
	}
}
