package endpoint_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSDKSendsToThePathAndSignsTheRoot holds the promise of SDKScheme and SDKEndpoint:
// with them in the SDK's HttpProfile, a request goes to scheme://host[:port]/path, its
// Host header is host[:port], and its TC3 signature covers the canonical URI "/" (what
// the service behind a gateway verifies).
func TestSDKSendsToThePathAndSignsTheRoot(t *testing.T) {
	const secretID, secretKey = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	for _, tt := range []struct{ in, url, host string }{
		{"https://gw.example.com:8443/api/kms/", "https://gw.example.com:8443/api/kms", "gw.example.com:8443"},
		{"http://[::1]:9000/kms", "http://[::1]:9000/kms", "[::1]:9000"},
		{"kms.tencentcloudapi.com", "https://kms.tencentcloudapi.com/", "kms.tencentcloudapi.com"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			e := endpoint.MustParse(tt.in)
			var seen *http.Request
			var body []byte
			tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				seen = r
				body, _ = io.ReadAll(r.Body)
				resp := `{"Response":{"Error":{"Code":"AuthFailure","Message":"test"},"RequestId":"r1"}}`
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader([]byte(resp))), Request: r}, nil
			})
			cpf := profile.NewClientProfile()
			cpf.HttpProfile.Scheme = e.SDKScheme()
			cpf.HttpProfile.Endpoint = e.SDKEndpoint()
			client, err := sts.NewClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", cpf)
			if err != nil {
				t.Fatal(err)
			}
			client.WithHttpTransport(tr)
			req := sts.NewAssumeRoleRequest()
			req.RoleArn, req.RoleSessionName = common.StringPtr("qcs::cam::uin/1:roleName/r"), common.StringPtr("s")
			if _, err := client.AssumeRoleWithContext(context.Background(), req); err == nil {
				t.Fatal("the canned error response was not reported")
			}
			if seen == nil {
				t.Fatal("transport not used")
			}
			if seen.URL.String() != tt.url || seen.Host != tt.host {
				t.Fatalf("request to %s (Host %s), want %s (Host %s)", seen.URL, seen.Host, tt.url, tt.host)
			}
			if want := tc3Signature(t, seen, body, secretKey, "/"); !strings.HasSuffix(seen.Header.Get("Authorization"), "Signature="+want) {
				t.Fatalf("signature does not cover the canonical URI \"/\": %s", seen.Header.Get("Authorization"))
			}
		})
	}
}

// tc3Signature computes the TC3-HMAC-SHA256 signature of a POST request with the
// signed headers content-type and host, for the given canonical URI.
func tc3Signature(t *testing.T, r *http.Request, body []byte, secretKey, canonicalURI string) string {
	t.Helper()
	auth := r.Header.Get("Authorization")
	if !strings.Contains(auth, "SignedHeaders=content-type;host,") {
		t.Fatalf("unexpected signed headers: %s", auth)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	canonical := strings.Join([]string{r.Method, canonicalURI, "",
		"content-type:" + r.Header.Get("Content-Type") + "\nhost:" + r.Host + "\n", "content-type;host", sum(string(body))}, "\n")
	ts := r.Header.Get("X-TC-Timestamp")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("X-TC-Timestamp %q: %v", ts, err)
	}
	date := time.Unix(unix, 0).UTC().Format("2006-01-02")
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + date + "/sts/tc3_request\n" + sum(canonical)
	key := mac(mac(mac([]byte("TC3"+secretKey), date), "sts"), "tc3_request")
	return hex.EncodeToString(mac(key, toSign))
}
