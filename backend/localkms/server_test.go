package localkms

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
	"github.com/zalando/go-keyring"
)

func errorCode(err error) string {
	var ec interface{ ErrorCode() string }
	if errors.As(err, &ec) {
		return ec.ErrorCode()
	}
	return ""
}

func TestOpenOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		code string
	}{
		{"no data dir", Options{}, CodeInvalidOptions},
		{"bad uin", Options{Uin: "abc"}, CodeInvalidOptions},
		{"zero uin", Options{Uin: "0"}, CodeInvalidOptions},
		{"bad app id", Options{AppID: "x"}, CodeInvalidOptions},
		{"region not in regions", Options{Region: "ap-guangzhou", Regions: []string{"ap-beijing"}}, CodeInvalidOptions},
		{"empty region name", Options{Regions: []string{""}}, CodeInvalidOptions},
		{"bad master key mode", Options{MasterKey: MasterKeyMode(9)}, CodeInvalidOptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "no data dir" {
				tc.opts.DataDir = t.TempDir()
			}
			_, err := Open(tc.opts)
			if errorCode(err) != tc.code {
				t.Fatalf("Open error %v (code %q), want %q", err, errorCode(err), tc.code)
			}
		})
	}
}

func TestDataDirLayout(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "localkms")
	srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	must(t, err)
	// Closed before the temp folder is removed even when the test fails: Windows does
	// not delete open files.
	t.Cleanup(func() { srv.Close() })
	cred, err := srv.CreateCredential("layout")
	must(t, err)
	for path, mode := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, masterKeyFileName): 0o600, filepath.Join(dir, dbFileName): 0o600} {
		fi, err := os.Stat(path)
		must(t, err)
		if runtime.GOOS != "windows" && fi.Mode().Perm() != mode { // Windows has no POSIX modes
			t.Fatalf("%s mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	// A second server on the same dir is refused while the first holds it.
	_, err = Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	if errorCode(err) != CodeDataDirInUse {
		t.Fatalf("second Open: %v", err)
	}
	must(t, srv.Close())
	// Nothing secret is stored in clear: the SecretKey and key material are sealed.
	db, err := os.ReadFile(filepath.Join(dir, dbFileName))
	must(t, err)
	if bytes.Contains(db, []byte(cred.SecretKey)) {
		t.Fatal("SecretKey stored in clear")
	}
	if bytes.Contains(db, []byte(`"material"`)) || bytes.Contains(db, []byte("layout")) {
		t.Fatal("records stored in clear")
	}
	// A different master key is detected.
	must(t, os.WriteFile(filepath.Join(dir, masterKeyFileName), []byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), 0o600))
	_, err = Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	if errorCode(err) != CodeCorrupt {
		t.Fatalf("Open with the wrong master key: %v", err)
	}
	must(t, os.Remove(filepath.Join(dir, masterKeyFileName)))
	_, err = Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	if errorCode(err) != CodeMasterKey {
		t.Fatalf("Open without the master key: %v", err)
	}
}

// fakeKeychain is an in-memory keychain (go-keyring's mock, behind our seam).
type fakeKeychain struct{}

func (fakeKeychain) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (fakeKeychain) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}

// TestMasterKeyKeychain runs sequentially: it swaps the package's keychain seam.
func TestMasterKeyKeychain(t *testing.T) {
	keyring.MockInit()
	oldKC, oldAvail := keychain, keychainAvailable
	t.Cleanup(func() { keychain, keychainAvailable = oldKC, oldAvail })
	keychain = fakeKeychain{}
	available := true
	keychainAvailable = func() bool { return available }

	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	dir := t.TempDir()
	srv, err := Open(Options{DataDir: dir, Logger: logger}) // auto: keychain available
	must(t, err)
	cred, err := srv.CreateCredential("kc")
	must(t, err)
	must(t, srv.Close())
	if !strings.Contains(logBuf.String(), "master key in the OS keychain") {
		t.Fatalf("startup line does not name the keychain: %s", logBuf.String())
	}
	if _, err := os.Stat(filepath.Join(dir, masterKeyFileName)); !os.IsNotExist(err) {
		t.Fatal("a master key file was written in keychain mode")
	}
	if _, err := keyring.Get(keychainService, keychainUser(dir)); err != nil {
		t.Fatalf("no keychain item: %v", err)
	}
	srv, err = Open(Options{DataDir: dir, MasterKey: MasterKeyKeychain})
	must(t, err)
	if c, _ := srv.lookupCredential(cred.SecretID); c == nil || c.SecretKey != cred.SecretKey {
		t.Fatal("credential lost across keychain reopen")
	}
	must(t, srv.Close())
	if _, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile}); errorCode(err) != CodeMasterKey {
		t.Fatalf("file mode on a keychain data dir: %v", err)
	}

	available = false
	if _, err := Open(Options{DataDir: dir}); errorCode(err) != CodeKeychainUnavailable {
		t.Fatalf("keychain data dir without a keychain: %v", err)
	}
	if _, err := Open(Options{DataDir: t.TempDir(), MasterKey: MasterKeyKeychain}); errorCode(err) != CodeKeychainUnavailable {
		t.Fatalf("explicit keychain mode without a keychain: %v", err)
	}
	logBuf.Reset()
	fileDir := t.TempDir()
	srv, err = Open(Options{DataDir: fileDir, Logger: logger}) // auto falls back to a file
	must(t, err)
	must(t, srv.Close())
	if _, err := os.Stat(filepath.Join(fileDir, masterKeyFileName)); err != nil {
		t.Fatalf("auto without keychain wrote no master key file: %v", err)
	}
	if !strings.Contains(logBuf.String(), "master key in a 0600 file") {
		t.Fatalf("startup line does not name the file: %s", logBuf.String())
	}

	// A keychain that looks available but fails makes auto fall back to a file.
	available = true
	keyring.MockInitWithError(errors.New("locked"))
	failDir := t.TempDir()
	srv, err = Open(Options{DataDir: failDir})
	must(t, err)
	must(t, srv.Close())
	if _, err := os.Stat(filepath.Join(failDir, masterKeyFileName)); err != nil {
		t.Fatal("auto did not fall back to a file when the keychain failed")
	}
}

func TestKeychainAvailableNeedsBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session-bus check applies to Linux")
	}
	for _, addr := range []string{"", "unix:path=/nonexistent/bus", "unix:path=" + t.TempDir()} {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
		if defaultKeychainAvailable() {
			t.Fatalf("keychain reported available with DBUS_SESSION_BUS_ADDRESS=%q", addr)
		}
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:abstract=/tmp/dbus-x")
	if !defaultKeychainAvailable() {
		t.Fatal("abstract socket address not accepted")
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "inproc")
	c2, err := e.srv.CreateCredential("")
	must(t, err)
	if c2.Name != "default" || !strings.HasPrefix(c2.SecretID, "AKID") || len(c2.SecretID) != 36 || len(c2.SecretKey) != 32 {
		t.Fatalf("credential %+v", c2)
	}
	if _, err := e.srv.CreateCredential("bad\nname"); errorCode(err) != CodeInvalidArgument {
		t.Fatalf("control character accepted: %v", err)
	}
	if _, err := e.srv.CreateCredential(strings.Repeat("n", 65)); errorCode(err) != CodeInvalidArgument {
		t.Fatalf("long name accepted: %v", err)
	}
	eid, ekey, err := e.srv.EmbeddedCredential()
	must(t, err)
	eid2, ekey2, err := e.srv.EmbeddedCredential()
	must(t, err)
	if eid != eid2 || ekey != ekey2 {
		t.Fatal("EmbeddedCredential is not stable")
	}
	_, err = e.kmsWith(common.NewCredential(eid, ekey), "ap-guangzhou").GetRegions(kms.NewGetRegionsRequest())
	must(t, err)
	_, err = e.kmsWith(common.NewCredential(c2.SecretID, c2.SecretKey), "ap-guangzhou").GetRegions(kms.NewGetRegionsRequest())
	must(t, err)
	list, err := e.srv.ListCredentials()
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("ListCredentials %+v", list)
	}
	embedded := 0
	for _, ci := range list {
		if ci.Embedded {
			embedded++
			if ci.SecretID != eid {
				t.Fatal("wrong embedded credential listed")
			}
		}
		if strings.Contains(fmt.Sprintf("%+v", ci), ekey) || strings.Contains(fmt.Sprintf("%+v", ci), c2.SecretKey) {
			t.Fatal("ListCredentials leaks a SecretKey")
		}
	}
	if embedded != 1 {
		t.Fatalf("%d embedded credentials", embedded)
	}
	must(t, e.srv.Close())
	if _, err := e.srv.CreateCredential("x"); errorCode(err) != CodeClosed {
		t.Fatalf("CreateCredential after Close: %v", err)
	}
	resp := e.do(rawReq{action: "GetRegions", body: "{}"})
	resp.wantCode(t, codeInternalError)
}

func TestEnvCredentials(t *testing.T) {
	t.Setenv("TENCENTCLOUD_SECRET_ID", "AKIDenvironmentcredential0000000000")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "environment-secret")
	for _, accept := range []bool{false, true} {
		t.Run(fmt.Sprint(accept), func(t *testing.T) {
			e := newEnv(t, "inproc", func(o *Options) { o.AcceptEnvCredentials = accept })
			_, err := e.kmsWith(common.NewCredential("AKIDenvironmentcredential0000000000", "environment-secret"), "ap-guangzhou").GetRegions(kms.NewGetRegionsRequest())
			if accept {
				must(t, err)
			} else {
				wantCode(t, err, codeSecretIDNotFound)
			}
			list, _ := e.srv.ListCredentials()
			for _, c := range list {
				if c.SecretID == "AKIDenvironmentcredential0000000000" {
					t.Fatal("environment credential listed (or stored)")
				}
			}
		})
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "inproc")
	seed := `
keys:
  - alias: demo-key
    description: Demo
    tags: {env: dev, team: desk}
    rotation: true
  - alias: archived-key
    state: Archived
  - alias: sh-key
    region: ap-shanghai
    state: Disabled
  - alias: signer
    usage: ASYMMETRIC_SIGN_VERIFY_SM2
`
	must(t, e.srv.Seed(strings.NewReader(seed)))
	req := kms.NewListKeyDetailRequest()
	req.KeyUsage = sp("ALL")
	resp, err := e.kms().ListKeyDetail(req)
	must(t, err)
	byAlias := map[string]*kms.KeyMetadata{}
	for _, m := range resp.Response.KeyMetadatas {
		byAlias[*m.Alias] = m
	}
	if len(byAlias) != 3 {
		t.Fatalf("guangzhou keys %v", byAlias)
	}
	demo := byAlias["demo-key"]
	if *demo.Description != "Demo" || !*demo.KeyRotationEnabled || *demo.KeyState != "Enabled" || *demo.KeyUsage != "ENCRYPT_DECRYPT" {
		t.Fatalf("demo-key %+v", demo)
	}
	if *byAlias["archived-key"].KeyState != "Archived" || *byAlias["signer"].KeyUsage != usageSM2Sign {
		t.Fatalf("seeded keys %+v", byAlias)
	}
	tf := kms.NewListKeyDetailRequest()
	tf.TagFilters = []*kms.TagFilter{{TagKey: sp("team"), TagValue: []*string{sp("desk")}}}
	tresp, err := e.kms().ListKeyDetail(tf)
	must(t, err)
	if *tresp.Response.TotalCount != 1 {
		t.Fatal("seeded tags not applied")
	}
	sh := kms.NewListKeyDetailRequest()
	sh.KeyState = up(2)
	shr, err := e.kmsRegion("ap-shanghai").ListKeyDetail(sh)
	must(t, err)
	if *shr.Response.TotalCount != 1 || *shr.Response.KeyMetadatas[0].Alias != "sh-key" {
		t.Fatalf("ap-shanghai %s", shr.ToJsonString())
	}

	// Idempotent by alias: seeding again creates nothing and changes nothing.
	e.setState(*demo.KeyId, "disable")
	must(t, e.srv.Seed(strings.NewReader(seed)))
	resp2, err := e.kms().ListKeyDetail(req)
	must(t, err)
	if *resp2.Response.TotalCount != 3 || *e.describe(*demo.KeyId).KeyState != "Disabled" {
		t.Fatalf("second seed changed state: %s", resp2.ToJsonString())
	}

	bad := []struct {
		name, yaml string
	}{
		{"unknown field", "keys:\n  - alias: x\n    colour: red\n"},
		{"bad alias", "keys:\n  - alias: 'bad alias'\n"},
		{"bad state", "keys:\n  - alias: x\n    state: PendingDelete\n"},
		{"bad usage", "keys:\n  - alias: x\n    usage: SIGN\n"},
		{"bad region", "keys:\n  - alias: x\n    region: mars-1\n"},
		{"duplicate alias", "keys:\n  - alias: x\n  - alias: x\n"},
		{"rotation on asymmetric", "keys:\n  - alias: x\n    usage: ASYMMETRIC_SIGN_VERIFY_ECC\n    rotation: true\n"},
		{"bad rotate days", "keys:\n  - alias: x\n    rotation: true\n    rotate_days: 3\n"},
		{"not yaml", "keys: [\n"},
		{"valid then invalid", "keys:\n  - alias: first-ok\n  - alias: 'bad alias'\n"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.srv.Seed(strings.NewReader(tc.yaml)); errorCode(err) != CodeInvalidSeed {
				t.Fatalf("Seed error %v", err)
			}
		})
	}
	resp3, err := e.kms().ListKeyDetail(req)
	must(t, err)
	if *resp3.Response.TotalCount != 3 {
		t.Fatal("an invalid seed created keys")
	}
}

// TestRequestLog checks one log line per request with action, code, latency and
// request id, and that neither secrets nor plaintext reach the log.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	e := newEnv(t, "inproc", func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	buf.Reset()
	plaintext := []byte("top secret plaintext")
	id := e.createKey("logged")
	blob := e.mustEncrypt(id, plaintext, "")
	_, _, err := e.decrypt(blob, "")
	must(t, err)
	_, err = e.encrypt("00000000-0000-4000-8000-000000000000", plaintext, "")
	wantCode(t, err, codeCmkNotFound)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want 4:\n%s", len(lines), buf.String())
	}
	wantActions := []string{"CreateKey", "Encrypt", "Decrypt", "Encrypt"}
	wantCodes := []string{"OK", "OK", "OK", codeCmkNotFound}
	for i, l := range lines {
		var m map[string]any
		must(t, json.Unmarshal([]byte(l), &m))
		if m["action"] != wantActions[i] || m["code"] != wantCodes[i] || !validKeyID(fmt.Sprint(m["request_id"])) || m["latency"] == nil || m["region"] != "ap-guangzhou" {
			t.Fatalf("log line %d: %s", i, l)
		}
	}
	all := buf.String()
	for _, secret := range []string{e.cred.SecretKey, string(plaintext), b64(plaintext)} {
		if strings.Contains(all, secret) {
			t.Fatalf("log contains a secret or plaintext: %q", secret)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// TestConcurrentUse hammers one server from many goroutines mixing crypto and
// state changes (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "inproc")
	ids := []string{e.createKey("conc-0"), e.createKey("conc-1")}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := e.kms()
			for i := range 30 {
				id := ids[(w+i)%2]
				switch (w + i) % 5 {
				case 0:
					r := kms.NewCreateKeyRequest()
					r.Alias = sp(fmt.Sprintf("conc-%d-%d", w, i))
					if _, err := c.CreateKey(r); err != nil {
						errs <- err
					}
				case 1:
					if err := e.srv.RotateKeyNow(id); err != nil {
						errs <- err
					}
				case 2:
					r := kms.NewUpdateKeyDescriptionRequest()
					r.KeyId, r.Description = sp(id), sp(fmt.Sprint(w, i))
					if _, err := c.UpdateKeyDescription(r); err != nil {
						errs <- err
					}
				default:
					plain := []byte(fmt.Sprint("msg", w, i))
					r := kms.NewEncryptRequest()
					r.KeyId, r.Plaintext = sp(id), sp(b64(plain))
					resp, err := c.Encrypt(r)
					if err != nil {
						errs <- err
						continue
					}
					d := kms.NewDecryptRequest()
					d.CiphertextBlob = resp.Response.CiphertextBlob
					dr, err := c.Decrypt(d)
					if err != nil {
						errs <- err
						continue
					}
					if got, _ := base64.StdEncoding.DecodeString(*dr.Response.Plaintext); !bytes.Equal(got, plain) {
						errs <- fmt.Errorf("plaintext mismatch")
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLookupAlias checks the Go API that finds a KeyId by alias: per region, the
// default region for "", and not once the key is purged.
func TestLookupAlias(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "inproc")
	id := e.createKey("look-me-up")
	for _, region := range []string{"", "ap-guangzhou"} {
		if got, ok := e.srv.LookupAlias(region, "look-me-up"); !ok || got != id {
			t.Fatalf("LookupAlias(%q) = %q, %v; want %s", region, got, ok, id)
		}
	}
	if got, ok := e.srv.LookupAlias("ap-shanghai", "look-me-up"); ok {
		t.Fatalf("found %s in another region", got)
	}
	if got, ok := e.srv.LookupAlias("", "no-such-alias"); ok {
		t.Fatalf("found %s for an unknown alias", got)
	}
	e.setState(id, "disable", "schedule")
	if _, ok := e.srv.LookupAlias("", "look-me-up"); !ok {
		t.Fatal("a key pending deletion is still a key")
	}
	e.clock.Advance(8 * 24 * time.Hour)
	if got, ok := e.srv.LookupAlias("", "look-me-up"); ok {
		t.Fatalf("found %s past its deletion date", got)
	}
}
