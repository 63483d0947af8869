package jobs

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kmsapi "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// seedClient is the official SDK client set up as in the seed's KmsInit (POST instead
// of GET, the SDK default; the local KMS serves both), on the in-process local KMS.
func seedClient(t *testing.T, e *env) *kmsapi.Client {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = e.lk.Host()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.ReqTimeout = 30
	cpf.SignMethod = "TC3-HMAC-SHA256"
	cpf.Language = "en-US"
	c, err := kmsapi.NewClient(common.NewCredential(e.lk.SecretID, e.lk.SecretKey), e.lk.Region, cpf)
	must(t, err)
	c.WithHttpTransport(e.lk.Transport)
	return c
}

func TestDirectModeSeedInterop(t *testing.T) {
	e := newEnv(t)
	c := seedClient(t, e)
	dir := t.TempDir()
	secret := []byte("this plaintext for test")

	// The seed's EncryptData: Plaintext = base64 of the bytes, the CiphertextBlob
	// written alone to test_encry.dat.
	req := kmsapi.NewEncryptRequest()
	req.KeyId = common.StringPtr(e.keyID)
	req.Plaintext = common.StringPtr(base64.StdEncoding.EncodeToString(secret))
	resp, err := c.Encrypt(req)
	must(t, err)
	seedFile := filepath.Join(dir, "test_encry.dat")
	must(t, os.WriteFile(seedFile, []byte(*resp.Response.CiphertextBlob), 0o644))

	if cl := Classify(seedFile, ""); cl.Action != "decrypt" || cl.Kind != "blob" {
		t.Fatalf("the seed's file is classified %+v", cl)
	}
	out := filepath.Join(dir, "restored")
	_, res := e.decrypt(DecryptSpec{Paths: []string{seedFile}, OutputDir: out})
	r := expect(t, res, seedFile, StatusDone, "")
	if string(readFile(t, r.Output)) != string(secret) || filepath.Base(r.Output) != "test_encry.dat.decrypted" {
		t.Fatalf("restored %s: %q", r.Output, readFile(t, r.Output))
	}

	// Our direct encryption, then the seed's DecryptData on the file's text.
	src := filepath.Join(dir, "db-password.txt")
	writeFile(t, src, []byte("hunter2\n"), 0o600, time.Time{})
	e.count.reset()
	_, res = e.encrypt(EncryptSpec{Paths: []string{src}, Direct: true})
	r = expect(t, res, src, StatusDone, "")
	if r.Output != src+ExtBlob || e.count.calls("Encrypt") != 1 || e.count.total() != 1 {
		t.Fatalf("output %s, %d KMS calls", r.Output, e.count.total())
	}
	text := readFile(t, r.Output)
	if strings.ContainsAny(string(text), " \n\r\t") || !IsBlob(text) {
		t.Fatalf("a blob file must hold only the CiphertextBlob: %q", text)
	}
	dreq := kmsapi.NewDecryptRequest()
	dreq.CiphertextBlob = common.StringPtr(string(text)) // open('test_encry.dat').read()
	dresp, err := c.Decrypt(dreq)
	must(t, err)
	got, err := base64.StdEncoding.DecodeString(*dresp.Response.Plaintext)
	must(t, err)
	if string(got) != "hunter2\n" || *dresp.Response.KeyId != e.keyID {
		t.Fatalf("the seed's decrypt gave %q with key %s", got, *dresp.Response.KeyId)
	}
	// And ours restores it under the blob's name minus .kmsblob.
	must(t, os.Remove(src))
	_, res = e.decrypt(DecryptSpec{Paths: []string{r.Output}})
	if rr := expect(t, res, r.Output, StatusDone, ""); rr.Output != src || string(readFile(t, src)) != "hunter2\n" {
		t.Fatalf("%+v", rr)
	}
}

func TestDirectModeSizesAndContext(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	sizes := map[string]int{"empty": 0, "small": 100, "limit": 4096, "over": 4097, "big": 100000}
	var in []string
	for n, s := range sizes {
		p := filepath.Join(dir, n)
		writeFile(t, p, content(n, s), 0o644, time.Time{})
		in = append(in, p)
	}
	ec := `{"purpose":"config"}`
	out := filepath.Join(dir, "out")
	_, res := e.encrypt(EncryptSpec{Paths: in, OutputDir: out, Direct: true, EncryptionContext: ec})
	for n, s := range sizes {
		r := expect(t, res, filepath.Join(dir, n), StatusDone, "")
		wantExt := ExtBlob
		if s > 4096 || s == 0 { // the Encrypt API refuses an empty Plaintext
			wantExt = ExtEnvelope
		}
		if filepath.Ext(r.Output) != wantExt {
			t.Fatalf("%s (%d bytes) → %s", n, s, r.Output)
		}
	}
	if e.count.calls("Encrypt") != 2 || e.count.calls("GenerateDataKey") != 1 {
		t.Fatalf("%d Encrypt, %d GenerateDataKey", e.count.calls("Encrypt"), e.count.calls("GenerateDataKey"))
	}
	// A blob made with an encryption context needs it to decrypt.
	blob := filepath.Join(out, "small"+ExtBlob)
	_, dres := e.decrypt(DecryptSpec{Paths: []string{blob}, OutputDir: t.TempDir()})
	expect(t, dres, blob, StatusFailed, "InvalidParameterValue.InvalidCiphertext")
	dec := filepath.Join(dir, "dec")
	_, dres = e.decrypt(DecryptSpec{Paths: []string{out}, OutputDir: dec, RequireContext: map[string]string{"purpose": "config"}})
	for n := range sizes {
		sameBytes(t, filepath.Join(dir, n), filepath.Join(dec, "out", n))
	}
	_ = dres

	// Verify and remove-originals work for blobs too.
	sum, _ := e.verify(VerifySpec{Paths: []string{blob}, RequireContext: map[string]string{"purpose": "config"}})
	if sum.Done != 1 {
		t.Fatalf("verify %+v", sum)
	}
	p := filepath.Join(dir, "small")
	_, res = e.encrypt(EncryptSpec{Paths: []string{p}, Direct: true, RemoveOriginals: true, Overwrite: PolicyRename})
	expect(t, res, p, StatusDone, "")
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("the original was not removed")
	}
}

func TestBlobDetection(t *testing.T) {
	for _, tc := range []struct {
		s    string
		blob bool
	}{
		{"GPJUzaWKow==-k-XqqalxTyNKIC1rITRePFGQ==-k-GqsAAeAtZA==", true},
		{"  GPJUzaWKow==-k-XqqalxTyNKIC1rITRePFGQ==-k-GqsAAeAtZA==\n", true},
		{base64.StdEncoding.EncodeToString(make([]byte, 48)), true},
		{base64.StdEncoding.EncodeToString(make([]byte, 12)), false}, // too short to be a ciphertext
		{"GPJUzaWKow==-k-XqqalxTyNKIC1rITRePFGQ==", false},
		{"a-k-b-k-c", false},
		{"hello world", false},
		{"GPJU zaWK-k-XqqalxTyNKIC1rITRePFGQ==-k-GqsAAeAtZA==", false},
		{"", false},
		{strings.Repeat("A", MaxBlobFile+4), false},
	} {
		if got := IsBlob([]byte(tc.s)); got != tc.blob {
			t.Errorf("IsBlob(%.40q) = %v", tc.s, got)
		}
	}
}
