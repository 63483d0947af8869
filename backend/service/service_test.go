package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// fakeShell records events and answers dialogs with preset paths.
type fakeShell struct {
	mu       sync.Mutex
	events   []string
	payloads []any
	open     string
	save     string
	openMany []string
	dir      string
	clip     string
}

func (f *fakeShell) emit(name string, payload any) {
	f.mu.Lock()
	f.events = append(f.events, name)
	f.payloads = append(f.payloads, payload)
	f.mu.Unlock()
}
func (f *fakeShell) OpenFiles(string) ([]string, error)      { return f.openMany, nil }
func (f *fakeShell) OpenFile(string) (string, error)         { return f.open, nil }
func (f *fakeShell) OpenDirectory(string) (string, error)    { return f.dir, nil }
func (f *fakeShell) SaveFile(string, string) (string, error) { return f.save, nil }
func (f *fakeShell) ShowFolder(string) error                 { return nil }
func (f *fakeShell) SetClipboard(s string) error             { f.mu.Lock(); f.clip = s; f.mu.Unlock(); return nil }
func (f *fakeShell) Clipboard() (string, error)              { f.mu.Lock(); defer f.mu.Unlock(); return f.clip, nil }

// newBackend returns services on a fresh in-process local KMS: the active profile is
// the built-in "local" one.
func newBackend(t *testing.T) (*Backend, *fakeShell, *localkms.Server) {
	t.Helper()
	sh := &fakeShell{}
	b, srv := newBackendWith(t, sh, Emitter(sh.emit))
	return b, sh, srv
}

// newBackendWith is newBackend with the dialogs and desktop of sh and these events.
func newBackendWith(t *testing.T, sh Dialogs, events Events) (*Backend, *localkms.Server) {
	t.Helper()
	srv := localkmstest.Start(t).Server
	config := t.TempDir()
	desktop, _ := sh.(Desktop)
	b := New(Deps{
		Context: context.Background(), Gate: OpenGate(), Log: slog.New(slog.DiscardHandler),
		Dirs: Dirs{Config: config}, Local: testLocal{srv}, Events: events, Dialogs: sh, Desktop: desktop,
		Info: AppInfo{Name: "KMS Desk", Version: "1.2.3", ConfigDir: config}, Started: time.Now(),
	})
	t.Cleanup(func() { b.Host.Shutdown(10 * time.Second) })
	return b, srv
}

func TestCreateValidatesAliasBeforeSending(t *testing.T) {
	b, _, _ := newBackend(t)
	for _, alias := range []string{"", "-x", "kms-mine", "KMS-Mine", "has space", strings.Repeat("a", 61), "<b>x</b>"} {
		_, err := b.Keys.Create(CreateKeyInput{Alias: alias})
		if ErrorCode(err) != "InvalidParameterValue.InvalidAlias" {
			t.Errorf("alias %q: %v", alias, err)
		}
	}
	page, err := b.Keys.List(ListOptions{})
	if err != nil || page.Total != 0 {
		t.Fatalf("no key may have been created: %+v %v", page, err)
	}
	if _, err := b.Keys.Create(CreateKeyInput{Alias: "ok", Description: strings.Repeat("d", MaxDescription+1)}); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("long description: %v", err)
	}
}

func TestKeysFlow(t *testing.T) {
	b, _, _ := newBackend(t)
	k, err := b.Keys.Create(CreateKeyInput{Alias: " payroll ", Description: "<script>alert(1)</script>"})
	if err != nil {
		t.Fatal(err)
	}
	if k.Alias != "payroll" || k.Description != "<script>alert(1)</script>" {
		t.Fatalf("created %+v", k)
	}
	page, err := b.Keys.List(ListOptions{Search: "pay"})
	if err != nil || page.Total != 1 || page.Keys[0].KeyID != k.KeyID {
		t.Fatalf("list: %+v %v", page, err)
	}
	if err := b.Keys.SetEnabled([]string{k.KeyID}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Keys.ScheduleDeletion(k.KeyID, 7, "payrol"); ErrorCode(err) != CodeConfirmMismatch {
		t.Fatalf("a wrong confirmation must refuse: %v", err)
	}
	if k2, _ := b.Keys.Describe(k.KeyID); k2.KeyState != kms.StateDisabled {
		t.Fatalf("state changed despite refused confirmation: %s", k2.KeyState)
	}
	if _, err := b.Keys.ScheduleDeletion(k.KeyID, 31, "payroll"); ErrorCode(err) != "InvalidParameter.InvalidPendingWindowInDays" {
		t.Fatalf("31 days: %v", err)
	}
	k3, err := b.Keys.ScheduleDeletion(k.KeyID, 7, "payroll")
	if err != nil || k3.KeyState != kms.StatePendingDelete || k3.DeletionDate == 0 {
		t.Fatalf("scheduled: %+v %v", k3, err)
	}
	k4, err := b.Keys.CancelDeletion(k.KeyID)
	if err != nil || k4.KeyState != kms.StateDisabled {
		t.Fatalf("cancelled: %+v %v", k4, err)
	}
	if _, err := b.Keys.SetRotation(k.KeyID, true, 400); ErrorCode(err) != "InvalidParameterValue" {
		t.Fatalf("rotation 400 days: %v", err)
	}
	if err := b.Keys.SetEnabled(nil, true); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("empty selection: %v", err)
	}
}

func TestTextRoundTripAndErrors(t *testing.T) {
	b, _, _ := newBackend(t)
	k, err := b.Keys.Create(CreateKeyInput{Alias: "text"})
	if err != nil {
		t.Fatal(err)
	}
	ctxRows := []ContextPair{{Key: "team", Value: "finance"}, {Key: "app", Value: "kmsdesk"}}
	enc, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: "你好, KMS", Context: ctxRows})
	if err != nil || enc.KeyID != k.KeyID || enc.Bytes != len("你好, KMS") {
		t.Fatalf("encrypt: %+v %v", enc, err)
	}
	// The context rows may come back in another order: it is canonical JSON.
	dec, err := b.Text.Decrypt(TextDecryptInput{Blob: "  " + enc.Blob + "\n", Context: []ContextPair{ctxRows[1], ctxRows[0]}})
	if err != nil || !dec.IsText || dec.Text != "你好, KMS" || dec.KeyID != k.KeyID {
		t.Fatalf("decrypt: %+v %v", dec, err)
	}
	if _, err := b.Text.Decrypt(TextDecryptInput{Blob: enc.Blob}); ErrorCode(err) != "InvalidParameterValue.InvalidCiphertext" {
		t.Fatalf("missing context: %v", err)
	}

	bin := []byte{0, 1, 2, 0xff}
	enc2, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: base64.StdEncoding.EncodeToString(bin), IsBase64: true})
	if err != nil {
		t.Fatal(err)
	}
	dec2, err := b.Text.Decrypt(TextDecryptInput{Blob: enc2.Blob})
	if err != nil || dec2.IsText || dec2.Base64 != base64.StdEncoding.EncodeToString(bin) {
		t.Fatalf("binary: %+v %v", dec2, err)
	}

	for _, tc := range []struct {
		in   TextEncryptInput
		code string
	}{
		{TextEncryptInput{KeyID: k.KeyID, Text: strings.Repeat("x", kms.MaxPlaintext+1)}, CodeTextTooLarge},
		{TextEncryptInput{KeyID: k.KeyID, Text: "%%%", IsBase64: true}, CodeInvalidBase64},
		{TextEncryptInput{KeyID: k.KeyID, Text: "x", Context: []ContextPair{{Key: "a"}, {Key: "a"}}}, CodeInvalidContext},
		{TextEncryptInput{KeyID: k.KeyID, Text: "x", Context: []ContextPair{{Key: " "}}}, CodeInvalidContext},
		{TextEncryptInput{Text: "x"}, CodeInvalidInput},
	} {
		if _, err := b.Text.Encrypt(tc.in); ErrorCode(err) != tc.code {
			t.Errorf("%+v: got %v, want %s", tc.in.Context, err, tc.code)
		}
	}
	if _, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: strings.Repeat("x", kms.MaxPlaintext)}); err != nil {
		t.Fatalf("exactly 4096 bytes must be accepted: %v", err)
	}

	if err := b.Keys.SetEnabled([]string{k.KeyID}, false); err != nil {
		t.Fatal(err)
	}
	_, err = b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: "x"})
	if ErrorCode(err) != "ResourceUnavailable.CmkDisabled" {
		t.Fatalf("disabled key: %v", err)
	}
	ui := FormatError(err).(UIError)
	if ui.Code != "ResourceUnavailable.CmkDisabled" || ui.Message == "" {
		t.Fatalf("formatted %+v", ui)
	}
}

func TestBlobFilesAreTheSeedFormat(t *testing.T) {
	b, sh, _ := newBackend(t)
	k, _ := b.Keys.Create(CreateKeyInput{Alias: "files"})
	enc, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: "this plaintext for test"})
	if err != nil {
		t.Fatal(err)
	}
	sh.save = filepath.Join(t.TempDir(), "test_encry.dat")
	path, err := b.Text.SaveBlob(enc.Blob)
	if err != nil || path != sh.save {
		t.Fatalf("save: %q %v", path, err)
	}
	raw, _ := os.ReadFile(path)
	if string(raw) != enc.Blob {
		t.Fatalf("the file must hold exactly the CiphertextBlob, as the seed's sample writes it: %q", raw)
	}
	if _, err := os.Stat(path + ".partial"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a .partial file was left behind")
	}
	sh.open = path
	got, err := b.Text.OpenBlob()
	if err != nil || got.Blob != enc.Blob {
		t.Fatalf("open: %+v %v", got, err)
	}
	sh.open = ""
	if got, err := b.Text.OpenBlob(); err != nil || got.Path != "" {
		t.Fatalf("cancelled dialog: %+v %v", got, err)
	}
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, MaxBlob+1), 0o600)
	sh.open = big
	if _, err := b.Text.OpenBlob(); ErrorCode(err) != CodeFileTooLarge {
		t.Fatalf("oversized blob file: %v", err)
	}
}

func TestCopySecretClearsTheClipboard(t *testing.T) {
	b, sh, _ := newBackend(t)
	var clear func()
	b.Text.afterFunc = func(d time.Duration, f func()) func() bool {
		if d != ClipboardClearAfter {
			t.Errorf("cleared after %v", d)
		}
		clear = f
		return func() bool { return true }
	}
	if err := b.Text.CopySecret("plain"); err != nil {
		t.Fatal(err)
	}
	if c, _ := sh.Clipboard(); c != "plain" {
		t.Fatalf("clipboard %q", c)
	}
	clear()
	if c, _ := sh.Clipboard(); c != "" {
		t.Fatalf("clipboard not cleared: %q", c)
	}
	// Something else copied meanwhile is left alone.
	if err := b.Text.CopySecret("plain"); err != nil {
		t.Fatal(err)
	}
	sh.SetClipboard("user's own")
	clear()
	if c, _ := sh.Clipboard(); c != "user's own" {
		t.Fatalf("clobbered the user's clipboard: %q", c)
	}
	// Quitting clears a secret still on the clipboard, before its timer.
	if err := b.Text.CopySecret("secret"); err != nil {
		t.Fatal(err)
	}
	if err := b.Host.Shutdown(time.Second); err != nil {
		t.Fatal(err)
	}
	if c, _ := sh.Clipboard(); c != "" {
		t.Fatalf("the secret outlived the app: %q", c)
	}
}

func TestGateAndShutdown(t *testing.T) {
	gate := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	b := &base{ctx: ctx, gate: gate, log: slog.New(slog.DiscardHandler)}
	ran := false
	result := make(chan error, 1)
	go func() {
		_, err := call(b, "Op", func(context.Context) (int, error) { ran = true; return 1, nil })
		result <- err
	}()
	// The only way out of a closed gate is the end of the app: the call never runs.
	cancel()
	if err := <-result; ErrorCode(err) != CodeShuttingDown || ran {
		t.Fatalf("got %v (ran %v)", err, ran)
	}
	b.ctx = context.Background()
	close(gate)
	v, err := call(b, "Op", func(ctx context.Context) (int, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("a call has no deadline")
		}
		return 7, nil
	})
	if v != 7 || err != nil {
		t.Fatalf("after startup: %d %v", v, err)
	}
}

func TestPreferencesAndLaunchFiles(t *testing.T) {
	b, sh, _ := newBackend(t)
	p, err := b.App.Preferences()
	if err != nil || p.Language != "auto" || p.Theme != "auto" || p.Overwrite != "rename" {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	p.Language, p.Theme, p.LastKeyID = "zh-CN", "dark", "k1"
	if _, err := b.App.SavePreferences(p); err != nil {
		t.Fatal(err)
	}
	if err := b.Host.SaveWindow(Window{Width: 1000, Height: 700, X: 5, Y: 6}); err != nil {
		t.Fatal(err)
	}
	got, _ := b.App.Preferences()
	if got.Language != "zh-CN" || got.Theme != "dark" || got.LastKeyID != "k1" || got.Window.Width != 1000 {
		t.Fatalf("round trip: %+v", got)
	}
	st, _ := os.Stat(filepath.Join(b.App.info.ConfigDir, "settings.json"))
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 { // Windows has no POSIX modes
		t.Fatalf("settings.json mode %v", st.Mode().Perm())
	}
	if got.Window.Width != 1000 || b.Host.Preferences().Window.X != 5 {
		t.Fatalf("the window geometry was lost: %+v", got)
	}
	// Saving preferences from the UI keeps the window geometry.
	got.Window = Window{}
	if saved, _ := b.App.SavePreferences(got); saved.Window.Width != 1000 {
		t.Fatalf("SavePreferences dropped the window: %+v", saved)
	}
	bad, _ := b.App.SavePreferences(Preferences{Language: "fr", Theme: "neon", Overwrite: "maybe"})
	if bad.Language != "auto" || bad.Theme != "auto" || bad.Overwrite != "rename" {
		t.Fatalf("invalid values must be normalised: %+v", bad)
	}

	// Files offered before the UI listens are queued for it, classified …
	dir := t.TempDir()
	a, c := filepath.Join(dir, "a.txt"), filepath.Join(dir, "c.txt")
	os.WriteFile(a, []byte("a"), 0o600)
	os.WriteFile(c, []byte("c"), 0o600)
	b.Host.OfferFiles([]string{a, filepath.Join(dir, "missing")}, IntentEncrypt)
	if len(sh.events) != 0 {
		t.Fatalf("events before the UI listens: %v", sh.events)
	}
	b.App.Listening()
	// … and everything later goes out at once.
	b.Host.OfferFiles([]string{c}, IntentNone)
	b.Host.OfferFiles(nil, IntentNone)
	if len(sh.events) != 2 || sh.events[0] != EventOpenFiles || sh.events[1] != EventOpenFiles {
		t.Fatalf("events %v", sh.events)
	}
	first := sh.payloads[0].(OpenFiles)
	if first.Intent != IntentEncrypt || len(first.Items) != 2 || first.Items[0].Path != a || first.Items[0].Action != ActionEncrypt ||
		first.Items[1].ErrorCode != "File.NotFound" {
		t.Fatalf("first batch %+v", first)
	}
	if second := sh.payloads[1].(OpenFiles); len(second.Items) != 1 || second.Items[0].Name != "c.txt" {
		t.Fatalf("second batch %+v", second)
	}
	if !b.Host.CloseRequested() {
		t.Fatal("closing with no job running must not ask")
	}
}

func TestEncryptionContextIsCanonical(t *testing.T) {
	a, _ := EncryptionContext([]ContextPair{{"b", "2"}, {"a", "1"}})
	b, _ := EncryptionContext([]ContextPair{{"a", "1"}, {"b", "2"}})
	if a != b || a != `{"a":"1","b":"2"}` {
		t.Fatalf("%s vs %s", a, b)
	}
	if s, err := EncryptionContext(nil); s != "" || err != nil {
		t.Fatalf("empty: %q %v", s, err)
	}
	if _, err := EncryptionContext([]ContextPair{{"k", strings.Repeat("v", 1100)}}); ErrorCode(err) != CodeInvalidContext {
		t.Fatalf("oversized: %v", err)
	}
}

func TestUIReadyLogsTheStartupOnceAndEveryViewDrawn(t *testing.T) {
	var buf bytes.Buffer
	started := time.Now().Add(-300 * time.Millisecond)
	s := &AppService{base: base{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}, started: started}
	ms := func(d time.Duration) float64 { return float64(started.Add(d).UnixMicro()) / 1000 }
	s.UIReady(UIReady{View: "keys", Rows: 4, Marks: []UIMark{{Name: "page requested", AtMs: ms(120 * time.Millisecond)}, {Name: "keys painted", AtMs: ms(290 * time.Millisecond)}}})
	s.UIReady(UIReady{View: "files", Rows: 2, Marks: []UIMark{{Name: "late", AtMs: ms(time.Second)}}})
	out := buf.String()
	for _, want := range []string{
		`msg="view drawn" view=keys rows=4`,
		`msg="ui ready" view=keys rows=4 sinceStartMs=3`,
		`msg=startup phase="ui: page requested" sinceStartMs=120`,
		`msg=startup phase="ui: keys painted" sinceStartMs=290`,
		`msg="view drawn" view=files rows=2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log has no %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `msg="ui ready"`); n != 1 || strings.Contains(out, "late") {
		t.Errorf("the startup is logged once, with its own marks only (%d times):\n%s", n, out)
	}
}

func TestCallLogsItsGateWaitAtDebugLevel(t *testing.T) {
	var buf bytes.Buffer
	gate := make(chan struct{})
	b := &base{ctx: context.Background(), gate: gate, log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	opened := time.Now()
	time.AfterFunc(40*time.Millisecond, func() { close(gate) })
	if _, err := call(b, "List", func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	waited := time.Since(opened)
	m := regexp.MustCompile(`msg=call op=List gateWaitMs=(\d+) ms=(\d+)`).FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatalf("no debug line for the call:\n%s", buf.String())
	}
	// The gate opens 40 ms after `opened`; a timer may fire up to a tick early on
	// coarse clocks (Windows under Wine logged 39), so 30 ms is the floor: far
	// from the 0 a call that did not wait would log.
	if w, _ := strconv.Atoi(m[1]); w < 30 || time.Duration(w)*time.Millisecond > waited {
		t.Errorf("gateWaitMs=%d, want 30 ms to %v", w, waited)
	}
}
