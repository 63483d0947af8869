package credentials_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// clock is a fake clock shared by the local KMS and the credential store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestSTSAgainstLocalKMS obtains temporary credentials with sts:AssumeRole from the
// local KMS (through the official sts SDK), uses them for KMS calls (the server
// enforces X-TC-Token), and checks they are refreshed before they expire.
func TestSTSAgainstLocalKMS(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv, err := localkms.Open(localkms.Options{DataDir: t.TempDir(), MasterKey: localkms.MasterKeyFile, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	longTerm, err := srv.CreateCredential("sts-test")
	if err != nil {
		t.Fatal(err)
	}

	store, err := credentials.Open(credentials.Options{ConfigDir: t.TempDir(), Keychain: credentials.NewMemoryKeychain(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(credentials.Profile{Name: "lk", Settings: credentials.Settings{Kind: credentials.KindTencent, Region: "ap-guangzhou", Endpoint: hs.URL}},
		&credentials.Secret{SecretID: longTerm.SecretID, SecretKey: longTerm.SecretKey}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := store.AssumeRole(ctx, "lk", "qcs::cam::uin/100000000001:roleName/kmsdesk-test", "", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.Temporary == nil || !p.Temporary.HasCredentials || p.Temporary.SecondsLeft < 14*60 {
		t.Fatalf("temporary info %+v", p.Temporary)
	}
	first, err := store.Credentials(ctx, "lk")
	if err != nil || first.Token == "" || first.SecretID == longTerm.SecretID {
		t.Fatalf("temporary credentials: %v %v", first, err)
	}

	client, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: func(ctx context.Context) (kms.Credentials, error) {
		c, err := store.Credentials(ctx, "lk")
		return kms.Credentials{SecretID: c.SecretID, SecretKey: c.SecretKey, Token: c.Token}, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListKeys(ctx, kms.ListOptions{}); err != nil {
		t.Fatalf("KMS call with temporary credentials: %v", err)
	}

	// The server enforces the token: the temporary SecretId without it is refused.
	noToken, _ := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: kms.StaticCredentials(kms.Credentials{SecretID: first.SecretID, SecretKey: first.SecretKey})})
	if _, err := noToken.ListKeys(ctx, kms.ListOptions{}); errcode.Code(err) != "AuthFailure.TokenFailure" {
		t.Fatalf("without the token: %v", err)
	}

	// 11 minutes later fewer than 5 are left: the next use refreshes.
	clk.add(11 * time.Minute)
	second, err := store.Credentials(ctx, "lk")
	if err != nil || second.Token == "" || second.Token == first.Token || !second.Expiry.After(first.Expiry) {
		t.Fatalf("not refreshed: %v → %v, %v", first.Expiry, second.Expiry, err)
	}
	if _, err := client.ListKeys(ctx, kms.ListOptions{}); err != nil {
		t.Fatalf("KMS call after refresh: %v", err)
	}

	// The old credentials expire on the server.
	clk.add(5 * time.Minute)
	old, _ := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: kms.StaticCredentials(kms.Credentials{SecretID: first.SecretID, SecretKey: first.SecretKey, Token: first.Token})})
	if _, err := old.ListKeys(ctx, kms.ListOptions{}); !errcode.Has(err, "AuthFailure") {
		t.Fatalf("expired credentials accepted: %v", err)
	}

	// Temporary credentials entered by hand (no role) are not refreshed: past their
	// expiry the store says so instead of sending them.
	tmp, err := srv.IssueTemporaryCredential(10 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(credentials.Profile{Name: "manual", Settings: credentials.Settings{Kind: credentials.KindTencent, Region: "ap-guangzhou", Endpoint: hs.URL}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetTemporary("manual", kms.Credentials{SecretID: tmp.SecretID, SecretKey: tmp.SecretKey, Token: tmp.Token, Expiry: tmp.Expiry}); err != nil {
		t.Fatal(err)
	}
	if c, err := store.Credentials(ctx, "manual"); err != nil || c.Token != tmp.Token {
		t.Fatalf("manual credentials: %v", err)
	}
	clk.add(11 * time.Minute)
	if _, err := store.Credentials(ctx, "manual"); errcode.Code(err) != credentials.CodeCredentialsExpired {
		t.Fatalf("expired manual credentials: %v", err)
	}
}
