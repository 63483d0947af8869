package service

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// fakeShell records events and answers dialogs with preset paths.
type fakeShell struct {
	mu       sync.Mutex
	events   []string
	open     string
	save     string
	openMany []string
	dir      string
	clip     string
}

func (f *fakeShell) Emit(name string, _ any) {
	f.mu.Lock()
	f.events = append(f.events, name)
	f.mu.Unlock()
}
func (f *fakeShell) OpenFiles(string) ([]string, error)      { return f.openMany, nil }
func (f *fakeShell) OpenFile(string) (string, error)         { return f.open, nil }
func (f *fakeShell) OpenDirectory(string) (string, error)    { return f.dir, nil }
func (f *fakeShell) SaveFile(string, string) (string, error) { return f.save, nil }
func (f *fakeShell) ShowFolder(string) error                 { return nil }
func (f *fakeShell) SetClipboard(s string) error             { f.mu.Lock(); f.clip = s; f.mu.Unlock(); return nil }
func (f *fakeShell) Clipboard() (string, error)              { f.mu.Lock(); defer f.mu.Unlock(); return f.clip, nil }

// newBackend returns services on a fresh in-process local KMS.
func newBackend(t *testing.T) (*Backend, *fakeShell, *localkms.Server) {
	t.Helper()
	srv, err := localkms.Open(localkms.Options{DataDir: t.TempDir(), MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	resolve := func(context.Context) (Connection, error) {
		return Connection{Profile: "local", Kind: KindLocal, Region: "ap-guangzhou", Language: "en-US"}, nil
	}
	sh := &fakeShell{}
	b := New(Deps{
		Context: context.Background(), Gate: OpenGate(), Log: slog.New(slog.DiscardHandler),
		Connector: NewConnector(resolve, srv), Events: sh, Dialogs: sh, Desktop: sh,
		Info: AppInfo{Name: "KMS Desk", Version: "test", ConfigDir: t.TempDir()}, Started: time.Now(),
	})
	return b, sh, srv
}

func TestCreateValidatesAliasBeforeSending(t *testing.T) {
	b, _, _ := newBackend(t)
	for _, alias := range []string{"", "-x", "kms-mine", "KMS-Mine", "has space", strings.Repeat("a", 61), "<b>x</b>"} {
		_, err := b.Keys.Create(kms.CreateKeyInput{Alias: alias})
		if ErrorCode(err) != "InvalidParameterValue.InvalidAlias" {
			t.Errorf("alias %q: %v", alias, err)
		}
	}
	page, err := b.Keys.List(kms.ListOptions{})
	if err != nil || page.Total != 0 {
		t.Fatalf("no key may have been created: %+v %v", page, err)
	}
	if _, err := b.Keys.Create(kms.CreateKeyInput{Alias: "ok", Description: strings.Repeat("d", MaxDescription+1)}); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("long description: %v", err)
	}
}

func TestKeysFlow(t *testing.T) {
	b, _, _ := newBackend(t)
	k, err := b.Keys.Create(kms.CreateKeyInput{Alias: " payroll ", Description: "<script>alert(1)</script>"})
	if err != nil {
		t.Fatal(err)
	}
	if k.Alias != "payroll" || k.Description != "<script>alert(1)</script>" {
		t.Fatalf("created %+v", k)
	}
	page, err := b.Keys.List(kms.ListOptions{Search: "pay"})
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
	if _, err := b.Keys.SetRotation(k.KeyID, true, 400); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("rotation 400 days: %v", err)
	}
	if err := b.Keys.SetEnabled(nil, true); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("empty selection: %v", err)
	}
}

func TestTextRoundTripAndErrors(t *testing.T) {
	b, _, _ := newBackend(t)
	k, err := b.Keys.Create(kms.CreateKeyInput{Alias: "text"})
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
	k, _ := b.Keys.Create(kms.CreateKeyInput{Alias: "files"})
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
	b.Text.clipClear = 50 * time.Millisecond
	if err := b.Text.CopySecret("plain"); err != nil {
		t.Fatal(err)
	}
	if c, _ := sh.Clipboard(); c != "plain" {
		t.Fatalf("clipboard %q", c)
	}
	time.Sleep(200 * time.Millisecond)
	if c, _ := sh.Clipboard(); c != "" {
		t.Fatalf("clipboard not cleared: %q", c)
	}
	// Something else copied meanwhile is left alone.
	b.Text.CopySecret("plain")
	sh.SetClipboard("user's own")
	time.Sleep(200 * time.Millisecond)
	if c, _ := sh.Clipboard(); c != "user's own" {
		t.Fatalf("clobbered the user's clipboard: %q", c)
	}
}

func TestGateAndShutdown(t *testing.T) {
	gate := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	s := &KeyService{base: base{ctx: ctx, gate: gate, log: slog.New(slog.DiscardHandler)}}
	done := make(chan error, 1)
	go func() { _, _, err := s.begin(); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("begin returned before the gate opened: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; ErrorCode(err) != CodeShuttingDown {
		t.Fatalf("got %v", err)
	}
	s.ctx = context.Background()
	close(gate)
	if _, c, err := s.begin(); err != nil {
		t.Fatal(err)
	} else {
		c()
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
	if err := b.App.UpdateWindow(Window{Width: 1000, Height: 700, X: 5, Y: 6}); err != nil {
		t.Fatal(err)
	}
	got, _ := b.App.Preferences()
	if got.Language != "zh-CN" || got.Theme != "dark" || got.LastKeyID != "k1" || got.Window.Width != 1000 {
		t.Fatalf("round trip: %+v", got)
	}
	st, _ := os.Stat(filepath.Join(b.App.info.ConfigDir, "settings.json"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("settings.json mode %v", st.Mode().Perm())
	}
	bad, _ := b.App.SavePreferences(Preferences{Language: "fr", Theme: "neon", Overwrite: "maybe"})
	if bad.Language != "auto" || bad.Theme != "auto" || bad.Overwrite != "rename" {
		t.Fatalf("invalid values must be normalised: %+v", bad)
	}

	// Files offered before the UI loaded are queued for it …
	b.App.OfferLaunchFiles([]string{"/a", "/b"})
	if files := b.App.TakeLaunchFiles(); len(files) != 2 || files[0] != "/a" {
		t.Fatalf("files %v", files)
	}
	if files := b.App.TakeLaunchFiles(); len(files) != 0 {
		t.Fatalf("files must be taken once: %v", files)
	}
	// … later ones only go out as events (a reload of the page must not add them again).
	b.App.OfferLaunchFiles([]string{"/c"})
	if files := b.App.TakeLaunchFiles(); len(files) != 0 {
		t.Fatalf("files offered after the UI attached were queued: %v", files)
	}
	if len(sh.events) != 2 || sh.events[0] != "app:open-files" || sh.events[1] != "app:open-files" {
		t.Fatalf("events %v", sh.events)
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
