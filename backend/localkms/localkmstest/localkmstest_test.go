package localkmstest_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// client returns an official SDK client for lk, wired the way the package
// documentation says.
func client(t *testing.T, lk *localkmstest.KMS, region string) *kms.Client {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = lk.Host()
	c, err := kms.NewClient(common.NewCredential(lk.SecretID, lk.SecretKey), region, cpf)
	if err != nil {
		t.Fatal(err)
	}
	if lk.Transport != nil {
		c.WithHttpTransport(lk.Transport)
	}
	return c
}

// roundTrip encrypts and decrypts through c under the key keyID.
func roundTrip(t *testing.T, c *kms.Client, keyID string) {
	t.Helper()
	enc := kms.NewEncryptRequest()
	enc.KeyId, enc.Plaintext = common.StringPtr(keyID), common.StringPtr("aGVsbG8=")
	er, err := c.Encrypt(enc)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	dec := kms.NewDecryptRequest()
	dec.CiphertextBlob = er.Response.CiphertextBlob
	dr, err := c.Decrypt(dec)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if *dr.Response.Plaintext != "aGVsbG8=" || *dr.Response.KeyId != keyID {
		t.Fatalf("Decrypt = %s", dr.ToJsonString())
	}
}

func TestInProcess(t *testing.T) {
	t.Parallel()
	lk := localkmstest.Start(t, localkmstest.Keys("files", "orders"))
	if lk.URL != localkmstest.InProcessURL || lk.Transport == nil || lk.Region != localkms.DefaultRegion {
		t.Fatalf("in-process KMS %+v", lk)
	}
	if id, key, err := lk.Server.EmbeddedCredential(); err != nil || id != lk.SecretID || key != lk.SecretKey {
		t.Fatalf("SecretID/SecretKey are not the embedded credential (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(lk.Dir, "localkms.db")); err != nil {
		t.Fatalf("no database in Dir: %v", err)
	}
	c := client(t, lk, lk.Region)
	files, orders := lk.KeyID("files"), lk.KeyID("orders")
	if files == orders {
		t.Fatal("two aliases, one key")
	}
	roundTrip(t, c, files)
	resp, err := c.ListKeys(kms.NewListKeysRequest())
	if err != nil || *resp.Response.TotalCount != 2 {
		t.Fatalf("ListKeys = %v, %v; want the two seeded keys", resp, err)
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("files"))
	if lk.Transport != nil || !strings.HasPrefix(lk.URL, "http://127.0.0.1:") || lk.Host() != strings.TrimPrefix(lk.URL, "http://") {
		t.Fatalf("loopback KMS %+v", lk)
	}
	roundTrip(t, client(t, lk, lk.Region), lk.KeyID("files"))
}

func TestSeedAndConfigure(t *testing.T) {
	t.Parallel()
	clock := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	lk := localkmstest.Start(t,
		localkmstest.Configure(func(o *localkms.Options) {
			o.Regions = []string{"ap-beijing", "ap-shanghai"}
			o.Now = func() time.Time { return clock }
		}),
		localkmstest.Keys("first"),
		localkmstest.Seed("keys:\n  - alias: signer\n    region: ap-shanghai\n    usage: ASYMMETRIC_SIGN_VERIFY_ECC\n    state: Disabled\n"),
	)
	if lk.Region != "ap-beijing" {
		t.Fatalf("Region = %q, want the first of Regions", lk.Region)
	}
	req := kms.NewDescribeKeyRequest()
	req.KeyId = common.StringPtr(lk.KeyID("first"))
	resp, err := client(t, lk, "ap-beijing").DescribeKey(req)
	if err != nil || int64(*resp.Response.KeyMetadata.CreateTime) != clock.Unix() {
		t.Fatalf("DescribeKey = %v, %v; want a key created at the configured clock", resp, err)
	}
	id, ok := lk.Server.LookupAlias("ap-shanghai", "signer")
	if !ok {
		t.Fatal("the seeded key of ap-shanghai is missing")
	}
	req = kms.NewDescribeKeyRequest()
	req.KeyId = common.StringPtr(id)
	resp, err = client(t, lk, "ap-shanghai").DescribeKey(req)
	if err != nil || *resp.Response.KeyMetadata.KeyState != "Disabled" || *resp.Response.KeyMetadata.KeyUsage != "ASYMMETRIC_SIGN_VERIFY_ECC" {
		t.Fatalf("DescribeKey = %v, %v; want the seeded key", resp, err)
	}
}

// TestReopenDataDir starts a second server on the data dir of a first one
// closed early, as restart tests do.
func TestReopenDataDir(t *testing.T) {
	t.Parallel()
	first := localkmstest.Start(t, localkmstest.Keys("kept"))
	id := first.KeyID("kept")
	if err := first.Server.Close(); err != nil {
		t.Fatal(err)
	}
	second := localkmstest.Start(t, localkmstest.Configure(func(o *localkms.Options) { o.DataDir = first.Dir }))
	if second.Dir != first.Dir || second.KeyID("kept") != id {
		t.Fatal("the key did not survive the reopen")
	}
}

// TestCleanupCloses checks that the server and the loopback listener are closed
// when the test that started them ends.
func TestCleanupCloses(t *testing.T) {
	t.Parallel()
	var lk *localkmstest.KMS
	t.Run("start", func(t *testing.T) {
		lk = localkmstest.Start(t, localkmstest.Loopback())
	})
	var le *localkms.Error
	if _, err := lk.Server.CreateCredential("late"); !errors.As(err, &le) || le.ErrorCode() != localkms.CodeClosed {
		t.Fatalf("server still open after the test: %v", err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if resp, err := hc.Get(lk.URL); err == nil {
		resp.Body.Close()
		t.Fatal("loopback listener still serving after the test")
	}
}

// fatalTB records the message of Fatalf and ends the goroutine, as testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestKeyIDOfUnknownAliasFails(t *testing.T) {
	t.Parallel()
	tb := &fatalTB{TB: t}
	lk := localkmstest.Start(tb, localkmstest.Keys("known"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		lk.KeyID("unknown")
		t.Error("KeyID returned for an unknown alias")
	}()
	<-done
	if !strings.Contains(tb.msg, `"unknown"`) {
		t.Fatalf("Fatalf message %q does not name the alias", tb.msg)
	}
}
