package kms_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// TestRealCloud runs the same checks as the local-KMS tests against Tencent Cloud KMS.
// It runs only with real credentials:
//
//	KMSDESK_CLOUD_TEST=1 TENCENTCLOUD_SECRET_ID=… TENCENTCLOUD_SECRET_KEY=… \
//	  [TENCENTCLOUD_REGION=ap-guangzhou] [KMSDESK_CLOUD_KEY_ID=<an enabled symmetric key>] \
//	  go test -run TestRealCloud -v ./backend/kms/
//
// It creates no keys (keys cost money and cannot be deleted at once); give an existing
// key in KMSDESK_CLOUD_KEY_ID for the encrypt/decrypt checks.
func TestRealCloud(t *testing.T) {
	if os.Getenv("KMSDESK_CLOUD_TEST") != "1" {
		t.Skip("real-cloud tier: set KMSDESK_CLOUD_TEST=1 and TENCENTCLOUD_SECRET_ID/_SECRET_KEY")
	}
	id, key := os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
	if id == "" || key == "" {
		t.Fatal("KMSDESK_CLOUD_TEST=1 needs TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY")
	}
	region := os.Getenv("TENCENTCLOUD_REGION")
	if region == "" {
		region = "ap-guangzhou"
	}
	c, err := kms.New(kms.Config{Region: region, Language: "en-US",
		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: id, SecretKey: key, Token: os.Getenv("TENCENTCLOUD_SESSION_TOKEN")})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	st, err := c.ServiceStatus(ctx)
	if err != nil || !st.Enabled {
		t.Fatalf("GetServiceStatus: %+v %v", st, err)
	}
	if _, err := c.ListKeys(ctx, kms.ListOptions{Limit: 5}); err != nil {
		t.Fatalf("ListKeyDetail: %v", err)
	}
	if r, err := c.Regions(ctx); err != nil || len(r) == 0 {
		t.Fatalf("GetRegions: %v %v", r, err)
	}
	if _, _, err := c.Decrypt(ctx, "AAAA-k-BBBB-k-CCCC", ""); !errcode.Has(err, "InvalidParameterValue") && !errcode.Has(err, "InvalidParameter") {
		t.Errorf("tampered blob: %v", err)
	}
	keyID := os.Getenv("KMSDESK_CLOUD_KEY_ID")
	if keyID == "" {
		t.Log("KMSDESK_CLOUD_KEY_ID not set: encrypt/decrypt checks skipped")
		return
	}
	pt := []byte("this plaintext for test")
	blob, used, err := c.Encrypt(ctx, keyID, pt, `{"app":"kmsdesk"}`)
	if err != nil || used != keyID {
		t.Fatalf("Encrypt: %v", err)
	}
	got, kid, err := c.Decrypt(ctx, blob, `{"app":"kmsdesk"}`)
	if err != nil || kid != keyID || !bytes.Equal(got, pt) {
		t.Fatalf("Decrypt: %v", err)
	}
	if _, _, err := c.Decrypt(ctx, blob, `{"app":"other"}`); err == nil {
		t.Error("a wrong encryption context was accepted")
	}
	dk, dblob, _, err := c.GenerateDataKey(ctx, keyID, "")
	if err != nil || len(dk) != kms.DataKeySize {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	if back, _, err := c.Decrypt(ctx, dblob, ""); err != nil || !bytes.Equal(back, dk) {
		t.Fatalf("unwrap data key: %v", err)
	}
}
