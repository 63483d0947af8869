package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// hostile is text a KMS endpoint or a file could hold: it clears the screen,
// retitles the window, reverses what follows, and rewrites the line.
const hostile = "x\x1b[2J\x1b]0;pwn\x07\u202eevil\u009b31m\rKeyId:\x00\xff"

// assertTerminalSafe fails if out holds anything a terminal interprets but line
// feeds and tabs: C0 controls, DEL, C1 controls, bidirectional formatting or
// invalid UTF-8.
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s: invalid UTF-8 in %q", what, out)
	}
	for i, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("%s: raw %U at byte %d of %q", what, r, i, out)
		}
	}
}

func TestEscapeControls(t *testing.T) {
	for _, tc := range []struct {
		in, oneLine, lines string
	}{
		{"plain text, 中文, émigré", "plain text, 中文, émigré", "plain text, 中文, émigré"},
		{"a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"bell\x07 del\x7f nul\x00", `bell\x07 del\x7f nul\x00`, `bell\x07 del\x7f nul\x00`},
		{"c1 \u009b31m \u0085", `c1 \u009b31m \u0085`, `c1 \u009b31m \u0085`},
		{"bidi \u202egnp.exe \u2066x\u2069 \u200f", `bidi \u202egnp.exe \u2066x\u2069 \u200f`, `bidi \u202egnp.exe \u2066x\u2069 \u200f`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, `bad \xff\xfe utf8`},
		{"lines\r\nand\ttabs\nend\rover", `lines\r\nand\ttabs\nend\rover`, "lines\r\nand\ttabs\nend\\rover"},
		{"sep\u2028x", `sep\u2028x`, `sep\u2028x`},
	} {
		if got := escapeControls(tc.in, false); got != tc.oneLine {
			t.Errorf("escapeControls(%q, false) = %q, want %q", tc.in, got, tc.oneLine)
		}
		if got := escapeControls(tc.in, true); got != tc.lines {
			t.Errorf("escapeControls(%q, true) = %q, want %q", tc.in, got, tc.lines)
		}
	}
}

// hostileKMS is a KMS endpoint that answers with hostile text in every string.
func hostileKMS(t *testing.T) string {
	t.Helper()
	meta := map[string]any{
		"KeyId": "6f2b8a1e-0000-4000-8000-000000000001", "Alias": "alias" + hostile, "Description": hostile,
		"KeyState": "Enabled" + hostile, "KeyUsage": "ENCRYPT_DECRYPT" + hostile, "Origin": "TENCENT_KMS" + hostile,
		"CreateTime": 1700000000, "KeyRotationEnabled": false,
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var resp map[string]any
		switch r.Header.Get("X-TC-Action") {
		case "DescribeKey":
			resp = map[string]any{"KeyMetadata": meta}
		case "ListKeyDetail":
			resp = map[string]any{"TotalCount": 1, "KeyMetadatas": []any{meta}}
		case "Encrypt":
			resp = map[string]any{"KeyId": meta["KeyId"], "CiphertextBlob": "blob" + hostile}
		default:
			resp = map[string]any{"Error": map[string]any{"Code": "ResourceUnavailable.CmkDisabled", "Message": "refused" + hostile}}
		}
		resp["RequestId"] = "00000000-0000-4000-8000-000000000000"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"Response": resp})
	}))
	t.Cleanup(hs.Close)
	t.Setenv("TENCENTCLOUD_SECRET_ID", "AKIDhostilehostilehostilehostile0000")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "hostile")
	t.Setenv("TENCENTCLOUD_SESSION_TOKEN", "")
	t.Setenv("KMSDESK_HOME", t.TempDir())
	return hs.URL
}

// TestHumanOutputIsEscaped: what an endpoint answers reaches the terminal
// escaped, in tables, key details, blobs and error messages; --json keeps the
// exact text.
func TestHumanOutputIsEscaped(t *testing.T) {
	ep := hostileKMS(t)
	const id = "6f2b8a1e-0000-4000-8000-000000000001"
	for _, args := range [][]string{
		{"keys", "describe", id},
		{"keys", "list"},
		{"keys", "describe", "by-alias"},
	} {
		out, errOut, err := kmsctl(t, "", append([]string{"--endpoint", ep}, args...)...)
		if err != nil && !strings.Contains(err.Error(), "no key") {
			t.Fatalf("%v: %v", args, err)
		}
		assertTerminalSafe(t, strings.Join(args, " "), out+errOut)
	}
	out, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "describe", id)
	if err != nil || !strings.Contains(out, `x\x1b[2J\x1b]0;pwn\x07\u202eevil\u009b31m\rKeyId:\x00`) {
		t.Fatalf("describe: %q %v", out, err)
	}
	out, errOut, err := kmsctl(t, "plain", "--endpoint", ep, "text", "encrypt", "--key", id)
	if err != nil {
		t.Fatal(err)
	}
	assertTerminalSafe(t, "text encrypt", out+errOut)

	// Errors: the message the endpoint sent, as main prints it.
	_, _, err = kmsctl(t, "", "--endpoint", ep, "keys", "disable", id)
	if err == nil {
		t.Fatal("disable: no error")
	}
	var buf bytes.Buffer
	printErr(&buf, "file"+hostile, err)
	assertTerminalSafe(t, "printErr", buf.String())
	buf.Reset()
	reportError(&buf, &exitError{code: 1, msg: "profile" + hostile})
	assertTerminalSafe(t, "exit message", buf.String())

	// --json stays exact.
	out, _, err = kmsctl(t, "", "--endpoint", ep, "--json", "keys", "describe", id)
	var k service.Key
	if err != nil || json.Unmarshal([]byte(out), &k) != nil || k.Description != strings.ToValidUTF8(hostile, "\uFFFD") {
		t.Fatalf("--json: %q %v", out, err)
	}
}

// stubWrapper is an envelope.KeyWrapper without a KMS, enough to write a
// header.
type stubWrapper struct{}

func (stubWrapper) GenerateDataKey(context.Context, string, string) ([]byte, string, string, error) {
	k := make([]byte, envelope.DataKeySize)
	rand.Read(k)
	return k, "wrapped-k-key", "6f2b8a1e-0000-4000-8000-000000000001", nil
}

func (stubWrapper) WrapKey(context.Context, string, []byte, string) (string, string, error) {
	return "wrapped-k-key", "6f2b8a1e-0000-4000-8000-000000000001", nil
}

func (stubWrapper) UnwrapKey(context.Context, envelope.Slot, string) ([]byte, string, error) {
	return nil, "", os.ErrInvalid
}

// TestInspectIsEscaped inspects a .kmsenc file whose header holds what the
// format allows but a terminal interprets: C1 controls and bidi overrides in
// the creator, a carriage return between JSON tokens of the encryption context.
func TestInspectIsEscaped(t *testing.T) {
	t.Setenv("KMSDESK_HOME", t.TempDir())
	ctx := context.Background()
	dk, err := envelope.NewDataKey(ctx, stubWrapper{}, envelope.KeyRef{Region: "ap-guangzhou", KeyID: "k"}, nil, "{\r\"team\":\"\u009b2J\u202eevil\"}")
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Destroy()
	var file bytes.Buffer
	if _, err := envelope.Encrypt(ctx, &file, strings.NewReader("secret"), dk, envelope.EncryptOptions{Creator: "kmsdesk\u009b31m\u202e"}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "report\u202efdp.kmsenc")
	if err := os.WriteFile(name, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := kmsctl(t, "", "inspect", name)
	if err != nil {
		t.Fatalf("inspect: %v %s", err, errOut)
	}
	assertTerminalSafe(t, "inspect", out+errOut)
	if !strings.Contains(out, `{\r"team":"\u009b2J\u202eevil"}`) || !strings.Contains(out, `kmsdesk\u009b31m\u202e`) {
		t.Fatalf("inspect output: %q", out)
	}
}

// TestTextEncryptArgumentWarns: the argument form still works, with a warning
// that the text is visible to other processes; stdin gives none.
func TestTextEncryptArgumentWarns(t *testing.T) {
	ep, _ := cliEnv(t)
	if _, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "create", "argk"); err != nil {
		t.Fatal(err)
	}
	blob, errOut, err := kmsctl(t, "", "--endpoint", ep, "text", "encrypt", "--key", "argk", "in the process list")
	if err != nil || !strings.Contains(blob, "-k-") || !strings.Contains(errOut, "warning") || !strings.Contains(errOut, "stdin") {
		t.Fatalf("argument form: %q %q %v", blob, errOut, err)
	}
	plain, _, err := kmsctl(t, blob, "--endpoint", ep, "text", "decrypt")
	if err != nil || plain != "in the process list" {
		t.Fatalf("decrypt: %q %v", plain, err)
	}
	if _, errOut, err = kmsctl(t, "from stdin", "--endpoint", ep, "text", "encrypt", "--key", "argk"); err != nil || errOut != "" {
		t.Fatalf("stdin form: %q %v", errOut, err)
	}
}
