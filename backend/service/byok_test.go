package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// nationalBackend is newBackend on a local KMS whose default region is a
// national-standard (国密) one.
func nationalBackend(t *testing.T) (*Backend, *fakeShell) {
	t.Helper()
	sh := &fakeShell{}
	srv := localkmstest.Start(t, localkmstest.Configure(func(o *localkms.Options) {
		o.NationalStandardRegions = []string{localkms.DefaultRegion}
	})).Server
	config := t.TempDir()
	b := New(Deps{
		Context: context.Background(), Gate: OpenGate(), Log: slog.New(slog.DiscardHandler),
		Dirs: Dirs{Config: config}, Local: testLocal{srv}, Events: Emitter(sh.emit), Dialogs: sh, Desktop: sh,
		Info: AppInfo{Name: "KMS Desk", Version: "1.2.3", ConfigDir: config}, Started: time.Now(),
	})
	t.Cleanup(func() { b.Host.Shutdown(10 * time.Second) })
	return b, sh
}

// materialFile writes content to a new file and returns its path.
func materialFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRotateNow(t *testing.T) {
	b, _, _ := newBackend(t)
	k, err := b.Keys.Create(CreateKeyInput{Alias: "rotating"})
	if err != nil {
		t.Fatal(err)
	}
	if k.RotateDays != 365 || k.LastRotateTime != 0 {
		t.Fatalf("new key %+v", k)
	}
	if _, err := b.Keys.RotateNow(k.KeyID); ErrorCode(err) != "UnsupportedOperation.RotateNotSupported" {
		t.Fatalf("rotation off: %v", err)
	}
	k, err = b.Keys.SetRotation(k.KeyID, true, 30)
	if err != nil || !k.RotationEnabled || k.RotateDays != 30 {
		t.Fatalf("SetRotation 30 days: %+v %v", k, err)
	}
	enc, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: "before the rotation"})
	if err != nil {
		t.Fatal(err)
	}
	k, err = b.Keys.RotateNow(k.KeyID)
	if err != nil || k.LastRotateTime == 0 || k.NextRotateTime != k.LastRotateTime+30*86400 {
		t.Fatalf("RotateNow: %+v %v", k, err)
	}
	if dec, err := b.Text.Decrypt(TextDecryptInput{Blob: enc.Blob}); err != nil || dec.Text != "before the rotation" {
		t.Fatalf("old data after rotation: %+v %v", dec, err)
	}
	if _, err := b.Keys.RotateNow(k.KeyID); ErrorCode(err) != "RequestLimitExceeded.RotateRateLimited" {
		t.Fatalf("second rotation the same day: %v", err)
	}
}

func TestImportMaterialFlow(t *testing.T) {
	b, sh, _ := newBackend(t)
	if _, err := b.Keys.Create(CreateKeyInput{Alias: "ext-sign", External: true, Usage: kms.UsageAsymSignVerifyECC}); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("external signing key: %v", err)
	}
	k, err := b.Keys.Create(CreateKeyInput{Alias: "byok", External: true})
	if err != nil || k.Origin != kms.OriginExternal || k.KeyState != kms.StatePendingImport {
		t.Fatalf("external key %+v %v", k, err)
	}
	material := bytes.Repeat([]byte{0xa5, 0x3c}, 16)
	hexFile := materialFile(t, "key.hex", []byte(hex.EncodeToString(material)+"\n"))

	// PickMaterial checks the file in Go and tells the UI only what is wrong.
	sh.open = hexFile
	mf, err := b.Keys.PickMaterial(k.KeyID)
	if err != nil || mf.Path != hexFile || mf.Name != "key.hex" || mf.Bits != 256 || mf.WantBits != 256 || mf.Problem != "" {
		t.Fatalf("pick a good file: %+v %v", mf, err)
	}
	for name, tc := range map[string]struct {
		content []byte
		problem string
	}{
		"16 bytes":   {bytes.Repeat([]byte{1}, 16), CodeMaterialSize},
		"20 bytes":   {bytes.Repeat([]byte{1}, 20), CodeBadMaterial},
		"large file": {make([]byte, 5000), CodeBadMaterial},
		"empty":      {nil, CodeBadMaterial},
	} {
		sh.open = materialFile(t, "m", tc.content)
		if mf, err := b.Keys.PickMaterial(k.KeyID); err != nil || mf.Problem != tc.problem {
			t.Errorf("%s: %+v %v, want problem %s", name, mf, err, tc.problem)
		}
	}
	sh.open = ""
	if mf, err := b.Keys.PickMaterial(k.KeyID); err != nil || mf.Path != "" {
		t.Fatalf("cancelled dialog: %+v %v", mf, err)
	}

	for _, tc := range []struct {
		name string
		in   ImportMaterialInput
		code string
	}{
		{"past expiry", ImportMaterialInput{KeyID: k.KeyID, Path: hexFile, ValidTo: time.Now().Add(-time.Hour).Unix()}, CodeInvalidInput},
		{"unknown wrapping", ImportMaterialInput{KeyID: k.KeyID, Path: hexFile, Wrapping: "RSA_RAW"}, CodeInvalidInput},
		{"no file", ImportMaterialInput{KeyID: k.KeyID}, CodeInvalidInput},
		{"missing file", ImportMaterialInput{KeyID: k.KeyID, Path: filepath.Join(t.TempDir(), "gone")}, CodeFileIO},
		{"a folder", ImportMaterialInput{KeyID: k.KeyID, Path: t.TempDir()}, CodeBadMaterial},
		{"128-bit into an AES region", ImportMaterialInput{KeyID: k.KeyID, Path: materialFile(t, "short", make([]byte, 16))}, CodeMaterialSize},
		{"SM2 outside a national-standard region", ImportMaterialInput{KeyID: k.KeyID, Path: hexFile, Wrapping: WrappingSM2}, "InvalidParameter"},
	} {
		_, err := b.Keys.ImportMaterial(tc.in)
		if ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		if err != nil && strings.Contains(strings.ToLower(err.Error()), hex.EncodeToString(material)[:16]) {
			t.Errorf("%s: the error shows the material: %v", tc.name, err)
		}
	}

	expiry := time.Now().Add(72 * time.Hour).Unix()
	k, err = b.Keys.ImportMaterial(ImportMaterialInput{KeyID: k.KeyID, Path: hexFile, ValidTo: expiry, Wrapping: WrappingOAEPSHA1})
	if err != nil || k.KeyState != kms.StateEnabled || k.ValidTo != expiry {
		t.Fatalf("import: %+v %v", k, err)
	}
	enc, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: "with my own key"})
	if err != nil {
		t.Fatal(err)
	}
	k, err = b.Keys.DeleteMaterial(k.KeyID)
	if err != nil || k.KeyState != kms.StatePendingImport {
		t.Fatalf("delete material: %+v %v", k, err)
	}
	if _, err := b.Text.Decrypt(TextDecryptInput{Blob: enc.Blob}); err == nil {
		t.Fatal("decrypted without material")
	}
	// The same material as raw bytes and as base64 text is the same key.
	raw := materialFile(t, "key.bin", material)
	b64 := materialFile(t, "key.b64", []byte(base64.StdEncoding.EncodeToString(material)))
	for _, p := range []string{raw, b64} {
		if k, err = b.Keys.ImportMaterial(ImportMaterialInput{KeyID: k.KeyID, Path: p}); err != nil {
			t.Fatalf("re-import %s: %v", filepath.Base(p), err)
		}
	}
	if dec, err := b.Text.Decrypt(TextDecryptInput{Blob: enc.Blob}); err != nil || dec.Text != "with my own key" {
		t.Fatalf("after re-import: %+v %v", dec, err)
	}
	other := materialFile(t, "other.bin", bytes.Repeat([]byte{7}, 32))
	if _, err := b.Keys.ImportMaterial(ImportMaterialInput{KeyID: k.KeyID, Path: other}); ErrorCode(err) != "InvalidParameterValue.MaterialNotMatch" {
		t.Fatalf("other material: %v", err)
	}
	normal, _ := b.Keys.Create(CreateKeyInput{Alias: "normal"})
	if _, err := b.Keys.DeleteMaterial(normal.KeyID); ErrorCode(err) != "UnsupportedOperation.NotExternalCmk" {
		t.Fatalf("delete material of a KMS key: %v", err)
	}
}

// TestNationalStandardMaterial: in a national-standard region keys take 128-bit (SM4)
// material, which may be wrapped with SM2.
func TestNationalStandardMaterial(t *testing.T) {
	b, sh := nationalBackend(t)
	a, err := b.Keys.Algorithms()
	if err != nil || !a.NationalStandard || a.Symmetric[0].Algorithm != "SM4" {
		t.Fatalf("Algorithms %+v %v", a, err)
	}
	k, err := b.Keys.Create(CreateKeyInput{Alias: "sm4-byok", External: true})
	if err != nil {
		t.Fatal(err)
	}
	sh.open = materialFile(t, "aes.bin", bytes.Repeat([]byte{3}, 32))
	if mf, err := b.Keys.PickMaterial(k.KeyID); err != nil || mf.Bits != 256 || mf.WantBits != 128 || mf.Problem != CodeMaterialSize {
		t.Fatalf("256-bit file in an SM4 region: %+v %v", mf, err)
	}
	if _, err := b.Keys.ImportMaterial(ImportMaterialInput{KeyID: k.KeyID, Path: sh.open}); ErrorCode(err) != CodeMaterialSize {
		t.Fatalf("256-bit import: %v", err)
	}
	sm4 := materialFile(t, "sm4.bin", bytes.Repeat([]byte{4}, 16))
	k, err = b.Keys.ImportMaterial(ImportMaterialInput{KeyID: k.KeyID, Path: sm4, Wrapping: WrappingSM2})
	if err != nil || k.KeyState != kms.StateEnabled || k.ComplianceType != 4 {
		t.Fatalf("SM2-wrapped SM4 material: %+v %v", k, err)
	}
	enc, err := b.Text.Encrypt(TextEncryptInput{KeyID: k.KeyID, Text: "国密"})
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := b.Text.Decrypt(TextDecryptInput{Blob: enc.Blob}); err != nil || dec.Text != "国密" {
		t.Fatalf("round trip: %+v %v", dec, err)
	}
}

func TestSignFileWithECDSA384(t *testing.T) {
	b, sh, _ := newBackend(t)
	k, err := b.Keys.Create(CreateKeyInput{Alias: "p384", Usage: kms.UsageAsymSignVerifyECDSA384})
	if err != nil {
		t.Fatal(err)
	}
	sh.open = materialFile(t, "contract.pdf", []byte(strings.Repeat("contract text ", 1000)))
	res, err := b.Keys.Sign(SignInput{KeyID: k.KeyID, Algorithm: signECDSA384, File: "?"})
	if err != nil || res.MessageType != kms.MessageDigest || len(res.Digest) != 96 || res.Signature == "" {
		t.Fatalf("sign a file: %+v %v", res, err)
	}
	v, err := b.Keys.Verify(SignInput{KeyID: k.KeyID, Algorithm: signECDSA384, File: res.File, Signature: res.Signature})
	if err != nil || !v.Valid {
		t.Fatalf("verify: %+v %v", v, err)
	}
	text, err := b.Keys.Sign(SignInput{KeyID: k.KeyID, Algorithm: signECDSA384, Message: "short text"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := b.Keys.Verify(SignInput{KeyID: k.KeyID, Algorithm: signECDSA384, Message: "short text!", Signature: text.Signature}); err != nil || v.Valid {
		t.Fatalf("another text verified: %+v %v", v, err)
	}
}

func TestParseMaterial(t *testing.T) {
	key16 := bytes.Repeat([]byte{0x10, 0xfe}, 8)
	key32 := bytes.Repeat([]byte{0x01, 0x80, 0xff, 0x7f}, 8)
	for name, tc := range map[string]struct {
		in   []byte
		want []byte
	}{
		"raw 16":             {key16, key16},
		"raw 32":             {key32, key32},
		"hex 32 digits":      {[]byte(hex.EncodeToString(key16)), key16},
		"hex 64 upper + LF":  {[]byte(strings.ToUpper(hex.EncodeToString(key32)) + "\n"), key32},
		"base64 with CRLF":   {[]byte(base64.StdEncoding.EncodeToString(key32) + "\r\n"), key32},
		"base64 of 16":       {[]byte("  " + base64.StdEncoding.EncodeToString(key16)), key16},
		"raw 32 with spaces": {append(bytes.Repeat([]byte{' '}, 16), bytes.Repeat([]byte{0x99}, 16)...), append(bytes.Repeat([]byte{' '}, 16), bytes.Repeat([]byte{0x99}, 16)...)},
		"hex of 24 bytes":    {[]byte(hex.EncodeToString(make([]byte, 24))), nil},
		"base64 of 24 bytes": {[]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 24))), nil},
		"33 bytes":           {make([]byte, 33), nil},
		"a 16-letter word":   {[]byte("abcdefghijklmnop"), nil},
		"empty":              {nil, nil},
	} {
		got, err := parseMaterial(tc.in)
		if tc.want == nil {
			if ErrorCode(err) != CodeBadMaterial {
				t.Errorf("%s: %x %v, want %s", name, got, err, CodeBadMaterial)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %x %v, want %x", name, got, err, tc.want)
		}
	}
}

func FuzzParseMaterial(f *testing.F) {
	for _, seed := range []string{
		"", "0123456789abcdef0123456789abcdef", strings.Repeat("A", 44), strings.Repeat("\x00", 16),
		strings.Repeat("\xff", 32), "AAAAAAAAAAAAAAAAAAAAAA==\n", strings.Repeat("g", 64), " \t\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		got, err := parseMaterial(data)
		if !bytes.Equal(in, data) {
			t.Fatal("parseMaterial changed its input")
		}
		if err != nil {
			// The message never shows the file's content.
			if ErrorCode(err) != CodeBadMaterial || len(data) >= 8 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(got) != 16 && len(got) != 32 {
			t.Fatalf("%d bytes of material", len(got))
		}
		if !isText(data) && !bytes.Equal(got, data) {
			t.Fatalf("raw material %x read as %x", data, got)
		}
		if isText(data) && bytes.Equal(got, data) {
			t.Fatalf("text %q taken as raw material", data)
		}
	})
}
