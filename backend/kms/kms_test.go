package kms_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// newLocal starts a local KMS and returns a client for it, over the in-process transport
// (inProcess) or over loopback HTTP.
func newLocal(t *testing.T, inProcess bool) (*kms.Client, *localkms.Server) {
	t.Helper()
	var opts []localkmstest.Option
	if !inProcess {
		opts = append(opts, localkmstest.Loopback())
	}
	lk := localkmstest.Start(t, opts...)
	c, err := kms.New(kms.Config{Region: lk.Region, Language: "en-US", Endpoint: lk.URL, Transport: lk.Transport,
		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey})})
	if err != nil {
		t.Fatal(err)
	}
	return c, lk.Server
}

func TestKeyLifecycleAndCrypto(t *testing.T) {
	for _, inProcess := range []bool{true, false} {
		name := map[bool]string{true: "in-process", false: "loopback"}[inProcess]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c, _ := newLocal(t, inProcess)

			key, err := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "orders", Description: "test key", Tags: map[string]string{"env": "dev"}})
			if err != nil {
				t.Fatal(err)
			}
			if key.KeyID == "" || key.Alias != "orders" || key.KeyState != kms.StateEnabled || key.KeyUsage != kms.UsageEncryptDecrypt || key.CreateTime == 0 {
				t.Fatalf("unexpected key %+v", key)
			}
			if _, err := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "orders"}); errcode.Code(err) != "InvalidParameterValue.AliasAlreadyExists" {
				t.Fatalf("duplicate alias: got %v", err)
			}
			asym, err := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "signer", Usage: kms.UsageAsymSignVerifyECC})
			if err != nil {
				t.Fatal(err)
			}

			// ListKeys with "" usage means every usage here (the API's empty means ENCRYPT_DECRYPT).
			page, err := c.ListKeys(ctx, kms.ListOptions{})
			if err != nil || page.Total != 2 || len(page.Keys) != 2 {
				t.Fatalf("list all: %+v %v", page, err)
			}
			page, err = c.ListKeys(ctx, kms.ListOptions{Usage: kms.UsageEncryptDecrypt, Search: "ord"})
			if err != nil || page.Total != 1 || page.Keys[0].KeyID != key.KeyID {
				t.Fatalf("filtered list: %+v %v", page, err)
			}
			page, err = c.ListKeys(ctx, kms.ListOptions{Tags: map[string][]string{"env": {"dev"}}})
			if err != nil || page.Total != 1 {
				t.Fatalf("tag filter: %+v %v", page, err)
			}

			pt := []byte("this plaintext for test")
			blob, used, err := c.Encrypt(ctx, key.KeyID, pt, `{"purpose":"test"}`)
			if err != nil || used != key.KeyID || blob == "" {
				t.Fatalf("encrypt: %q %q %v", blob, used, err)
			}
			got, kid, err := c.Decrypt(ctx, blob, `{"purpose":"test"}`)
			if err != nil || !bytes.Equal(got, pt) || kid != key.KeyID {
				t.Fatalf("decrypt: %q %q %v", got, kid, err)
			}
			if _, _, err := c.Decrypt(ctx, blob, `{"purpose":"other"}`); errcode.Code(err) != "InvalidParameterValue.InvalidCiphertext" {
				t.Fatalf("wrong context: %v", err)
			}
			if _, _, err := c.Encrypt(ctx, key.KeyID, make([]byte, kms.MaxPlaintext+1), ""); errcode.Code(err) != "InvalidParameterValue.InvalidPlaintext" {
				t.Fatalf("oversized plaintext: %v", err)
			}

			dk, dblob, dkid, err := c.GenerateDataKey(ctx, key.KeyID, "")
			if err != nil || len(dk) != kms.DataKeySize || dkid != key.KeyID {
				t.Fatalf("data key: %d %v", len(dk), err)
			}
			back, _, err := c.Decrypt(ctx, dblob, "")
			if err != nil || !bytes.Equal(back, dk) {
				t.Fatalf("unwrap data key: %v", err)
			}

			// State changes surface the service's codes.
			if err := c.DisableKeys(ctx, key.KeyID); err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Encrypt(ctx, key.KeyID, pt, "")
			if !errcode.Has(err, "ResourceUnavailable.CmkDisabled") {
				t.Fatalf("disabled key encrypt: %v", err)
			}
			if e := errcode.As(err); e == nil || e.Op != "kms Encrypt" || e.RequestID == "" {
				t.Fatalf("the service's error lacks its action or request id: %#v", e)
			}
			if _, err := c.ScheduleDeletion(ctx, key.KeyID, 3); errcode.Code(err) != "InvalidParameter.InvalidPendingWindowInDays" {
				t.Fatalf("window 3 days: %v", err)
			}
			date, err := c.ScheduleDeletion(ctx, key.KeyID, 7)
			if err != nil || date <= time.Now().Unix() {
				t.Fatalf("schedule deletion: %d %v", date, err)
			}
			if err := c.CancelDeletion(ctx, key.KeyID); err != nil {
				t.Fatal(err)
			}
			if k, _ := c.DescribeKey(ctx, key.KeyID); k.KeyState != kms.StateDisabled {
				t.Fatalf("after cancel: %s", k.KeyState)
			}
			if err := c.EnableKeys(ctx, key.KeyID); err != nil {
				t.Fatal(err)
			}
			if err := c.SetRotation(ctx, key.KeyID, true, 30); err != nil {
				t.Fatal(err)
			}
			if k, _ := c.DescribeKey(ctx, key.KeyID); !k.RotationEnabled {
				t.Fatal("rotation not enabled")
			}
			if err := c.UpdateAlias(ctx, key.KeyID, "orders-v2"); err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateDescription(ctx, key.KeyID, "new"); err != nil {
				t.Fatal(err)
			}
			if err := c.SetArchived(ctx, key.KeyID, true); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Encrypt(ctx, key.KeyID, pt, ""); errcode.Code(err) != "ResourceUnavailable.CmkArchived" {
				t.Fatalf("archived encrypt: %v", err)
			}
			if got, _, err := c.Decrypt(ctx, blob, `{"purpose":"test"}`); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("archived keys still decrypt: %v", err)
			}
			if err := c.SetArchived(ctx, key.KeyID, false); err != nil {
				t.Fatal(err)
			}
			k, err := c.DescribeKey(ctx, key.KeyID)
			if err != nil || k.Alias != "orders-v2" || k.Description != "new" || k.KeyState != kms.StateEnabled {
				t.Fatalf("after updates: %+v %v", k, err)
			}

			// Asymmetric: public key, sign and verify.
			pk, err := c.GetPublicKey(ctx, asym.KeyID)
			if err != nil || !strings.HasPrefix(pk.PEM, "-----BEGIN PUBLIC KEY-----") || pk.DER == "" {
				t.Fatalf("public key: %+v %v", pk, err)
			}
			sig, err := c.Sign(ctx, asym.KeyID, "ECC_P256_R1", []byte("approve"), kms.MessageRaw)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := c.Verify(ctx, asym.KeyID, "ECC_P256_R1", []byte("approve"), sig, kms.MessageRaw); err != nil || !ok {
				t.Fatalf("verify: %v %v", ok, err)
			}
			if ok, err := c.Verify(ctx, asym.KeyID, "ECC_P256_R1", []byte("tampered"), sig, kms.MessageRaw); err != nil || ok {
				t.Fatalf("verify of a changed message: %v %v", ok, err)
			}

			if err := c.DisableKeys(ctx, key.KeyID, asym.KeyID); err != nil {
				t.Fatalf("batch disable: %v", err)
			}
			if err := c.EnableKeys(ctx, key.KeyID, asym.KeyID); err != nil {
				t.Fatalf("batch enable: %v", err)
			}
			regions, err := c.Regions(ctx)
			if err != nil || len(regions) == 0 {
				t.Fatalf("regions: %v %v", regions, err)
			}
			st, err := c.ServiceStatus(ctx)
			if err != nil || !st.Enabled {
				t.Fatalf("status: %+v %v", st, err)
			}
			algs, err := c.ListAlgorithms(ctx)
			if err != nil || len(algs.Symmetric) == 0 || len(algs.AsymSign) == 0 {
				t.Fatalf("algorithms: %+v %v", algs, err)
			}
			rnd, err := c.GenerateRandom(ctx, 32)
			if err != nil || len(rnd) != 32 {
				t.Fatalf("random: %v", err)
			}
		})
	}
}

func TestAuthErrorsKeepTheServiceCode(t *testing.T) {
	_, srv := newLocal(t, true)
	ctx := context.Background()
	bad, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: "http://kms.localkms.internal", Transport: srv.Transport(),
		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: "AKIDnotknownnotknownnotknown1234", SecretKey: "x"})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.ListKeys(ctx, kms.ListOptions{})
	if errcode.Code(err) != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("got %v", err)
	}
	ke := errcode.As(err)
	if ke == nil || ke.RequestID == "" || ke.Op != "kms ListKeyDetail" {
		t.Fatalf("error lacks request id or action: %+v", ke)
	}
}

func TestNoCredentialsAndCredentialSourceErrors(t *testing.T) {
	c, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: "http://127.0.0.1:1", Credentials: kms.StaticCredentials(kms.Credentials{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); errcode.Code(err) != kms.CodeNoCredentials {
		t.Fatalf("got %v", err)
	}
	boom := errors.New("keychain locked")
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Credentials: func(context.Context) (kms.Credentials, error) { return kms.Credentials{}, boom }})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); !errors.Is(err, boom) {
		t.Fatalf("the credential source's error must pass through: %v", err)
	}
}

func TestNetworkErrorsAreClassified(t *testing.T) {
	creds := kms.StaticCredentials(kms.Credentials{SecretID: "AKIDx", SecretKey: "k"})
	// A port nothing listens on.
	c, _ := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: "http://127.0.0.1:1", Credentials: creds, MaxRetries: -1})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); errcode.Code(err) != kms.CodeNetwork {
		t.Fatalf("refused: %v", err)
	}
	// A server that is not a KMS.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>proxy login</html>")) }))
	defer hs.Close()
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: creds})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); errcode.Code(err) != kms.CodeBadResponse {
		t.Fatalf("not a KMS: %v", err)
	}
	// A server with an untrusted certificate.
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: ts.URL, Credentials: creds})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); errcode.Code(err) != kms.CodeTLS {
		t.Fatalf("untrusted TLS: %v", err)
	}
	// A cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListKeys(ctx, kms.ListOptions{}); errcode.Code(err) != kms.CodeCancelled {
		t.Fatalf("cancelled: %v", err)
	}
	// A timeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(3 * time.Second) }))
	defer slow.Close()
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: slow.URL, Credentials: creds, Timeout: time.Second})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); errcode.Code(err) != kms.CodeTimeout {
		t.Fatalf("timeout: %v", err)
	}
}

func TestRequestLimitExceededIsRetried(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) <= 2 {
			w.Write([]byte(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r1"}}`))
			return
		}
		w.Write([]byte(`{"Response":{"Regions":["ap-guangzhou"],"RequestId":"r2"}}`))
	}))
	defer hs.Close()
	c, _ := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: kms.StaticCredentials(kms.Credentials{SecretID: "AKIDx", SecretKey: "k"})})
	r, err := c.Regions(context.Background())
	if err != nil || len(r) != 1 || calls.Load() != 3 {
		t.Fatalf("regions %v err %v after %d calls", r, err, calls.Load())
	}
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, MaxRetries: -1, Credentials: kms.StaticCredentials(kms.Credentials{SecretID: "AKIDx", SecretKey: "k"})})
	calls.Store(0)
	if _, err := c.Regions(context.Background()); errcode.Code(err) != "RequestLimitExceeded" {
		t.Fatalf("without retries: %v", err)
	}
}

// TestEndpoints: a client reaches the endpoint it was given, a path prefix included (an
// API gateway in front of KMS), and refuses one that backend/endpoint refuses.
func TestEndpoints(t *testing.T) {
	lk := localkmstest.Start(t)
	var paths []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/gw")
		lk.Server.ServeHTTP(w, r)
	}))
	t.Cleanup(gw.Close)
	creds := kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey})
	c, err := kms.New(kms.Config{Region: lk.Region, Endpoint: gw.URL + "/gw", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); err != nil || len(paths) != 1 || paths[0] != "/gw" {
		t.Fatalf("through the gateway: %v, paths %v", err, paths)
	}
	for _, bad := range []string{"ftp://x", "http://u:p@x", "http://", "http://kms.tencentcloudapi.com"} {
		_, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: bad, Credentials: creds})
		if errcode.Code(err) != kms.CodeInvalidConfig || strings.Contains(err.Error(), "u:p") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestExpiredTokenIsCredentialsExpired: the service refuses a timed-out session token
// with AuthFailure.TokenFailure; signed with temporary credentials at or near their
// known expiry, that is Credentials.Expired (new credentials needed), and otherwise the
// service's code stays (a wrong or revoked token, or an unknown expiry).
func TestExpiredTokenIsCredentialsExpired(t *testing.T) {
	clock := time.Now()
	lk := localkmstest.Start(t, localkmstest.Configure(func(o *localkms.Options) {
		o.Now = func() time.Time { return clock }
	}))
	tc, err := lk.Server.IssueTemporaryCredential(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clientWith := func(expiry time.Time) *kms.Client {
		c, err := kms.New(kms.Config{Region: lk.Region, Language: "en-US", Endpoint: lk.URL, Transport: lk.Transport,
			Credentials: kms.StaticCredentials(kms.Credentials{SecretID: tc.SecretID, SecretKey: tc.SecretKey, Token: tc.Token, Expiry: expiry})})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	if _, err := clientWith(tc.Expiry).ListKeys(ctx, kms.ListOptions{}); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clock = clock.Add(time.Hour) // the server's clock: the token has now expired

	for _, c := range []struct {
		name   string
		expiry time.Time
		want   string
	}{
		{"past its expiry", time.Now().Add(-time.Minute), kms.CodeCredentialsExpired},
		{"expiring within the clock slack", time.Now().Add(2 * time.Minute), kms.CodeCredentialsExpired},
		{"an hour left", time.Now().Add(time.Hour), "AuthFailure.TokenFailure"},
		{"unknown expiry", time.Time{}, "AuthFailure.TokenFailure"},
	} {
		_, err := clientWith(c.expiry).ListKeys(ctx, kms.ListOptions{})
		e := errcode.As(err)
		if e == nil || e.Code != c.want || e.RequestID == "" || e.Op != "kms ListKeyDetail" {
			t.Fatalf("%s: got %+v, want code %s with the request id", c.name, e, c.want)
		}
		if c.want == kms.CodeCredentialsExpired && !strings.Contains(e.Message, "Token verification failed") {
			t.Fatalf("%s: the message %q lacks the service's", c.name, e.Message)
		}
	}
}
