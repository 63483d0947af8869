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

	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// newLocal starts a local KMS and returns a client for it, over the in-process transport
// (inProcess) or over loopback HTTP.
func newLocal(t *testing.T, inProcess bool) (*kms.Client, *localkms.Server) {
	t.Helper()
	srv, err := localkms.Open(localkms.Options{DataDir: t.TempDir(), MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	id, key, err := srv.EmbeddedCredential()
	if err != nil {
		t.Fatal(err)
	}
	cfg := kms.Config{Region: "ap-guangzhou", Language: "en-US", Credentials: kms.StaticCredentials(kms.Credentials{SecretID: id, SecretKey: key})}
	if inProcess {
		cfg.Endpoint = "http://kms.localkms.internal"
		cfg.Transport = srv.Transport()
	} else {
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		cfg.Endpoint = hs.URL
	}
	c, err := kms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
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
			if _, err := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "orders"}); kms.Code(err) != "InvalidParameterValue.AliasAlreadyExists" {
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
			if _, _, err := c.Decrypt(ctx, blob, `{"purpose":"other"}`); kms.Code(err) != "InvalidParameterValue.InvalidCiphertext" {
				t.Fatalf("wrong context: %v", err)
			}
			if _, _, err := c.Encrypt(ctx, key.KeyID, make([]byte, kms.MaxPlaintext+1), ""); kms.Code(err) != "InvalidParameterValue.InvalidPlaintext" {
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
			if _, _, err := c.Encrypt(ctx, key.KeyID, pt, ""); !kms.IsCode(err, "ResourceUnavailable.CmkDisabled") {
				t.Fatalf("disabled key encrypt: %v", err)
			}
			var ke *kms.Error
			if !errors.As(err, &ke) && ke != nil {
				t.Fatal("not a *kms.Error")
			}
			if _, err := c.ScheduleDeletion(ctx, key.KeyID, 3); kms.Code(err) != "InvalidParameter.InvalidPendingWindowInDays" {
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
			if _, _, err := c.Encrypt(ctx, key.KeyID, pt, ""); kms.Code(err) != "ResourceUnavailable.CmkArchived" {
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
	if kms.Code(err) != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("got %v", err)
	}
	var ke *kms.Error
	if !errors.As(err, &ke) || ke.RequestID == "" || ke.Action != "ListKeyDetail" {
		t.Fatalf("error lacks request id or action: %+v", ke)
	}
}

func TestNoCredentialsAndCredentialSourceErrors(t *testing.T) {
	c, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: "http://127.0.0.1:1", Credentials: kms.StaticCredentials(kms.Credentials{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); kms.Code(err) != kms.CodeNoCredentials {
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
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); kms.Code(err) != kms.CodeNetwork {
		t.Fatalf("refused: %v", err)
	}
	// A server that is not a KMS.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>proxy login</html>")) }))
	defer hs.Close()
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: creds})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); kms.Code(err) != kms.CodeBadResponse {
		t.Fatalf("not a KMS: %v", err)
	}
	// A server with an untrusted certificate.
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: ts.URL, Credentials: creds})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); kms.Code(err) != kms.CodeTLS {
		t.Fatalf("untrusted TLS: %v", err)
	}
	// A cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListKeys(ctx, kms.ListOptions{}); kms.Code(err) != kms.CodeCancelled {
		t.Fatalf("cancelled: %v", err)
	}
	// A timeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(3 * time.Second) }))
	defer slow.Close()
	c, _ = kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: slow.URL, Credentials: creds, Timeout: time.Second})
	if _, err := c.ListKeys(context.Background(), kms.ListOptions{}); kms.Code(err) != kms.CodeTimeout {
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
	if _, err := c.Regions(context.Background()); kms.Code(err) != "RequestLimitExceeded" {
		t.Fatalf("without retries: %v", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, scheme, host string }{
		{"", "HTTPS", kms.DefaultEndpoint},
		{"kms.ap-guangzhou.tencentcloudapi.com", "HTTPS", "kms.ap-guangzhou.tencentcloudapi.com"},
		{"http://127.0.0.1:9000", "HTTP", "127.0.0.1:9000"},
		{"https://kms.internal:8443/", "HTTPS", "kms.internal:8443"},
	} {
		s, h, err := kms.ParseEndpoint(tc.in)
		if err != nil || s != tc.scheme || h != tc.host {
			t.Errorf("%q → %s %s %v", tc.in, s, h, err)
		}
	}
	for _, bad := range []string{"ftp://x", "http://x/path", "http://u:p@x", "http://"} {
		if _, _, err := kms.ParseEndpoint(bad); kms.Code(err) != kms.CodeInvalidConfig {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
