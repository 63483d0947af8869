package kms_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// clientFor returns a client of lk in region ("" = its default region).
func clientFor(t *testing.T, lk *localkmstest.KMS, region string) *kms.Client {
	t.Helper()
	if region == "" {
		region = lk.Region
	}
	c, err := kms.New(kms.Config{Region: region, Language: "en-US", Endpoint: lk.URL, Transport: lk.Transport,
		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey})})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeClock is a settable service clock for the local KMS.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(c.t.Load(), 0) }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d / time.Second)) }

func TestRotateKey(t *testing.T) {
	clock := &fakeClock{}
	clock.t.Store(time.Now().Unix())
	lk := localkmstest.Start(t, localkmstest.Configure(func(o *localkms.Options) { o.Now = clock.now }))
	c := clientFor(t, lk, "")
	ctx := context.Background()
	key, err := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "rotating"})
	if err != nil {
		t.Fatal(err)
	}
	if key.RotateDays != 365 || key.LastRotateTime != 0 {
		t.Fatalf("new key: %+v", key)
	}
	if _, err := c.RotateKey(ctx, key.KeyID); errcode.Code(err) != "UnsupportedOperation.RotateNotSupported" {
		t.Fatalf("rotating a key without automatic rotation: %v", err)
	}
	if err := c.SetRotation(ctx, key.KeyID, true, 30); err != nil {
		t.Fatal(err)
	}
	blob, _, err := c.Encrypt(ctx, key.KeyID, []byte("before"), "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	task, err := c.RotateKey(ctx, key.KeyID)
	if err != nil || task == "" {
		t.Fatalf("RotateKey: %q %v", task, err)
	}
	got, err := c.DescribeKey(ctx, key.KeyID)
	if err != nil || got.RotateDays != 30 || got.LastRotateTime != clock.now().Unix() || got.NextRotateTime != clock.now().Unix()+30*86400 {
		t.Fatalf("after RotateKey: %+v %v", got, err)
	}
	if pt, _, err := c.Decrypt(ctx, blob, ""); err != nil || string(pt) != "before" {
		t.Fatalf("data of the old version: %q %v", pt, err)
	}
	// Once a day (TestRotateRateLimitedIsNotRetried: answered at once, not retried).
	if _, err := c.RotateKey(ctx, key.KeyID); errcode.Code(err) != kms.CodeRotateRateLimited {
		t.Fatalf("second rotation: %v", err)
	}
}

func TestRotateRateLimitedIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Response":{"Error":{"Code":"RequestLimitExceeded.RotateRateLimited","Message":"once a day"},"RequestId":"r1"}}`))
	}))
	defer hs.Close()
	c, _ := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: hs.URL, Credentials: kms.StaticCredentials(kms.Credentials{SecretID: "AKIDx", SecretKey: "k"})})
	if _, err := c.RotateKey(context.Background(), "00000000-0000-4000-8000-000000000000"); errcode.Code(err) != kms.CodeRotateRateLimited || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}

func TestImportMaterial(t *testing.T) {
	lk := localkmstest.Start(t)
	c := clientFor(t, lk, "")
	ctx := context.Background()
	material := bytes.Repeat([]byte{0x42}, kms.MaterialSizeAES256)
	for _, alg := range []string{kms.WrapRSAOAEPSHA256, kms.WrapRSAOAEPSHA1, ""} {
		t.Run("wrap "+alg, func(t *testing.T) {
			key, err := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "byok-" + map[string]string{"": "default", kms.WrapRSAOAEPSHA1: "sha1", kms.WrapRSAOAEPSHA256: "sha256"}[alg], External: true})
			if err != nil {
				t.Fatal(err)
			}
			if key.Origin != kms.OriginExternal || key.KeyState != kms.StatePendingImport {
				t.Fatalf("new external key %+v", key)
			}
			validTo := time.Now().Add(48 * time.Hour).Unix()
			if err := c.ImportMaterial(ctx, key.KeyID, material, kms.ImportOptions{Wrapping: alg, ValidTo: validTo}); err != nil {
				t.Fatal(err)
			}
			got, _ := c.DescribeKey(ctx, key.KeyID)
			if got.KeyState != kms.StateEnabled || got.ValidTo != validTo {
				t.Fatalf("after import %+v", got)
			}
			blob, _, err := c.Encrypt(ctx, key.KeyID, []byte("byok"), "")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.DeleteImportedMaterial(ctx, key.KeyID); err != nil {
				t.Fatal(err)
			}
			if got, _ := c.DescribeKey(ctx, key.KeyID); got.KeyState != kms.StatePendingImport {
				t.Fatalf("after delete %+v", got)
			}
			if _, _, err := c.Decrypt(ctx, blob, ""); err == nil {
				t.Fatal("decrypted without material")
			}
			other := bytes.Repeat([]byte{0x43}, kms.MaterialSizeAES256)
			if err := c.ImportMaterial(ctx, key.KeyID, other, kms.ImportOptions{Wrapping: alg}); errcode.Code(err) != "InvalidParameterValue.MaterialNotMatch" {
				t.Fatalf("other material: %v", err)
			}
			if err := c.ImportMaterial(ctx, key.KeyID, material, kms.ImportOptions{Wrapping: alg}); err != nil {
				t.Fatal(err)
			}
			if pt, _, err := c.Decrypt(ctx, blob, ""); err != nil || string(pt) != "byok" {
				t.Fatalf("after re-import: %q %v", pt, err)
			}
		})
	}
	t.Run("wrong size", func(t *testing.T) {
		key, _ := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "byok-size", External: true})
		err := c.ImportMaterial(ctx, key.KeyID, make([]byte, kms.MaterialSizeSM4), kms.ImportOptions{})
		if errcode.Code(err) != "InvalidParameter.DecryptMaterialError" {
			t.Fatalf("16 bytes into an AES region: %v", err)
		}
	})
	t.Run("not external", func(t *testing.T) {
		key, _ := c.CreateKey(ctx, kms.CreateKeyInput{Alias: "byok-normal"})
		if err := c.ImportMaterial(ctx, key.KeyID, material, kms.ImportOptions{}); errcode.Code(err) != "UnsupportedOperation.NotExternalCmk" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("expiry out of range", func(t *testing.T) {
		if err := c.ImportMaterial(ctx, "00000000-0000-4000-8000-000000000000", material, kms.ImportOptions{ValidTo: kms.MaxValidTo + 1}); errcode.Code(err) != kms.CodeInvalidInput {
			t.Fatalf("%v", err)
		}
	})
}

// TestNationalStandardRegion: ListAlgorithms tells a national-standard region, whose
// keys take 128-bit material, wrapped with RSA or SM2.
func TestNationalStandardRegion(t *testing.T) {
	lk := localkmstest.Start(t, localkmstest.Configure(func(o *localkms.Options) { o.NationalStandardRegions = []string{"ap-shanghai"} }))
	ctx := context.Background()
	sh, gz := clientFor(t, lk, "ap-shanghai"), clientFor(t, lk, "ap-guangzhou")
	if a, err := sh.ListAlgorithms(ctx); err != nil || !a.NationalStandard() {
		t.Fatalf("ap-shanghai: %+v %v", a, err)
	}
	if a, err := gz.ListAlgorithms(ctx); err != nil || a.NationalStandard() {
		t.Fatalf("ap-guangzhou: %+v %v", a, err)
	}
	material := bytes.Repeat([]byte{9}, kms.MaterialSizeSM4)
	for _, alg := range []string{kms.WrapSM2, kms.WrapRSAOAEPSHA256} {
		key, err := sh.CreateKey(ctx, kms.CreateKeyInput{Alias: "sm4-byok-" + alg[:3], External: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := sh.ImportMaterial(ctx, key.KeyID, material, kms.ImportOptions{Wrapping: alg}); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if got, _ := sh.DescribeKey(ctx, key.KeyID); got.KeyState != kms.StateEnabled || got.ComplianceType != 4 {
			t.Fatalf("%s: %+v", alg, got)
		}
	}
	key, _ := gz.CreateKey(ctx, kms.CreateKeyInput{Alias: "aes-byok", External: true})
	if err := gz.ImportMaterial(ctx, key.KeyID, make([]byte, 32), kms.ImportOptions{Wrapping: kms.WrapSM2}); errcode.Code(err) != "InvalidParameter" {
		t.Fatalf("SM2 wrapping in a standard region: %v", err)
	}
}

func TestWrapKeyMaterial(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	sk, _ := sm2.GenerateKey(rand.Reader)
	sm2DER, _ := smx509.MarshalPKIXPublicKey(&sk.PublicKey)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256DER, _ := x509.MarshalPKIXPublicKey(&ek.PublicKey)
	material := bytes.Repeat([]byte{1}, 16)

	out, err := kms.WrapKeyMaterial(sm2DER, kms.WrapSM2, material)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := sm2.Decrypt(sk, out); err != nil || !bytes.Equal(back, material) {
		t.Fatalf("SM2 unwrap: %v", err)
	}
	out, err = kms.WrapKeyMaterial(rsaDER, kms.WrapRSAOAEPSHA1, material)
	if err != nil || len(out) != 256 {
		t.Fatalf("RSA wrap: %d bytes, %v", len(out), err)
	}
	for name, tc := range map[string]struct {
		der  []byte
		alg  string
		code string
	}{
		"SM2 with an RSA key":    {rsaDER, kms.WrapSM2, kms.CodeBadResponse},
		"SM2 with a P-256 key":   {p256DER, kms.WrapSM2, kms.CodeBadResponse},
		"RSA with an SM2 key":    {sm2DER, kms.WrapRSAOAEPSHA256, kms.CodeBadResponse},
		"RSA-1024":               {smallDER, kms.WrapRSAOAEPSHA256, kms.CodeBadResponse},
		"not a key":              {[]byte("junk"), kms.WrapRSAOAEPSHA256, kms.CodeBadResponse},
		"PKCS#1 v1.5 not chosen": {rsaDER, "RSAES_PKCS1_V1_5", kms.CodeInvalidInput},
	} {
		if _, err := kms.WrapKeyMaterial(tc.der, tc.alg, material); errcode.Code(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
}
