package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// cliEnv starts a local KMS over loopback and points kmsctl at it through
// --endpoint and the SDK's environment variables; KMSDESK_HOME is a temp dir.
func cliEnv(t *testing.T) (endpoint string, srv *localkms.Server) {
	t.Helper()
	lk := localkmstest.Start(t, localkmstest.Loopback())
	t.Setenv("TENCENTCLOUD_SECRET_ID", lk.SecretID)
	t.Setenv("TENCENTCLOUD_SECRET_KEY", lk.SecretKey)
	t.Setenv("TENCENTCLOUD_SESSION_TOKEN", "")
	t.Setenv("KMSDESK_HOME", t.TempDir())
	return lk.URL, lk.Server
}

// kmsctl runs one command line in-process.
func kmsctl(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestKeysAndTextCommands(t *testing.T) {
	ep, _ := cliEnv(t)
	out, _, err := kmsctl(t, "", "--endpoint", ep, "--json", "keys", "create", "cli-key", "--description", "from kmsctl", "--tag", "env=test")
	if err != nil {
		t.Fatal(err)
	}
	var k service.Key
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.Alias != "cli-key" || k.KeyState != "Enabled" {
		t.Fatalf("create: %q %v", out, err)
	}
	out, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "list")
	if err != nil || !strings.Contains(out, k.KeyID) || !strings.Contains(out, "cli-key") {
		t.Fatalf("list: %q %v", out, err)
	}
	// Text round trip, by alias, with an encryption context, through stdin.
	blob, _, err := kmsctl(t, "secret payroll data", "--endpoint", ep, "text", "encrypt", "--key", "cli-key", "--context", "team=hr")
	if err != nil || !strings.Contains(blob, "-k-") {
		t.Fatalf("encrypt: %q %v", blob, err)
	}
	plain, _, err := kmsctl(t, blob, "--endpoint", ep, "text", "decrypt", "--context", "team=hr")
	if err != nil || plain != "secret payroll data" {
		t.Fatalf("decrypt: %q %v", plain, err)
	}
	_, _, err = kmsctl(t, blob, "--endpoint", ep, "text", "decrypt")
	if service.ErrorCode(err) != "InvalidParameterValue.InvalidCiphertext" || !strings.Contains(describeErr(err), "encryption context") {
		t.Fatalf("missing context: %v / %s", err, describeErr(err))
	}
	// State changes by alias.
	if out, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "disable", "cli-key"); err != nil || !strings.Contains(out, "Disabled") {
		t.Fatalf("disable: %q %v", out, err)
	}
	_, _, err = kmsctl(t, "x", "--endpoint", ep, "text", "encrypt", "--key", k.KeyID)
	if service.ErrorCode(err) != "ResourceUnavailable.CmkDisabled" || !strings.Contains(describeErr(err), "kmsctl keys enable") {
		t.Fatalf("disabled: %v", err)
	}
	_, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "schedule-delete", "cli-key", "--days", "7", "--confirm", "wrong")
	if err == nil {
		t.Fatal("schedule-delete with a wrong confirmation must fail")
	}
	if out, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "schedule-delete", "cli-key", "--days", "7", "--confirm", "cli-key"); err != nil || !strings.Contains(out, "PendingDelete") {
		t.Fatalf("schedule-delete: %q %v", out, err)
	}
	if out, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "cancel-delete", "cli-key"); err != nil || !strings.Contains(out, "Disabled") {
		t.Fatalf("cancel-delete: %q %v", out, err)
	}
	if _, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "describe", "no-such-alias"); service.ErrorCode(err) != "ResourceUnavailable.CmkNotFound" {
		t.Fatalf("unknown alias: %v", err)
	}
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	ep, _ := cliEnv(t)
	for _, args := range [][]string{
		{"--endpoint", ep, "text", "encrypt", "x"},                                  // no --key
		{"--endpoint", ep, "text", "encrypt", "--key", "k", "--context", "novalue"}, // bad context
		{"--endpoint", ep, "keys", "list", "--state", "weird"},
	} {
		_, _, err := kmsctl(t, "", args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v", args, err)
		}
	}
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	_, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "list")
	if exitCode(err) != 2 || !strings.Contains(describeErr(err), "TENCENTCLOUD_SECRET_ID") {
		t.Fatalf("endpoint without credentials: %v", err)
	}
}

func TestTextTooLargeFromStdin(t *testing.T) {
	ep, _ := cliEnv(t)
	kmsctl(t, "", "--endpoint", ep, "keys", "create", "big")
	_, _, err := kmsctl(t, strings.Repeat("x", service.MaxText+1), "--endpoint", ep, "text", "encrypt", "--key", "big")
	if !strings.Contains(describeErr(err), "Text.TooLarge") {
		t.Fatalf("got %v", err)
	}
}
