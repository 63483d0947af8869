package localkms_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"

	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// recorder is an http.RoundTripper that remembers the Authorization header of
// every request it sends on a fresh connection.
type recorder struct {
	mu    sync.Mutex
	authz []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.authz = append(r.authz, req.Header.Get("Authorization"))
	r.mu.Unlock()
	return (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
}

// TestSDKRequestsOfOneSecondShareASignature pins down why replay refusal cannot
// be "a signature is used once": the Go SDK signs only content-type and host,
// so DisableKey and DescribeKey of one key in one second (what kmsctl's "keys
// disable" sends) carry the same Authorization header, here even on separate
// connections from separate clients. Both must be served.
func TestSDKRequestsOfOneSecondShareASignature(t *testing.T) {
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("k"))
	id := lk.KeyID("k")
	client := func(rec *recorder) *kms.Client {
		cpf := profile.NewClientProfile()
		cpf.HttpProfile.Scheme = "HTTP"
		cpf.HttpProfile.Endpoint = lk.Host()
		c, err := kms.NewClient(common.NewCredential(lk.SecretID, lk.SecretKey), lk.Region, cpf)
		if err != nil {
			t.Fatal(err)
		}
		c.WithHttpTransport(rec)
		return c
	}
	// The two calls may straddle a second boundary; then their signatures differ
	// and the pair is tried again (at most a few times).
	for attempt := 0; ; attempt++ {
		rec := &recorder{}
		en := kms.NewEnableKeyRequest()
		en.KeyId = &id
		if _, err := client(rec).EnableKey(en); err != nil {
			t.Fatalf("EnableKey: %v", err)
		}
		d := kms.NewDescribeKeyRequest()
		d.KeyId = &id
		resp, err := client(rec).DescribeKey(d)
		if err != nil {
			t.Fatalf("DescribeKey after EnableKey (attempt %d): %v", attempt, err)
		}
		if *resp.Response.KeyMetadata.KeyState != "Enabled" {
			t.Fatalf("state %s", *resp.Response.KeyMetadata.KeyState)
		}
		if rec.authz[0] == rec.authz[1] {
			return
		}
		if attempt == 4 {
			t.Fatalf("the SDK signed EnableKey and DescribeKey differently five times:\n%s\n%s", rec.authz[0], rec.authz[1])
		}
	}
}
