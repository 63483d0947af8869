package localkms

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"testing"
)

// TestSigningVector checks the verifier's canonical request and signature against
// the test vector of kms-api.md §1.2 (checked there against Node's Sign.sign3).
func TestSigningVector(t *testing.T) {
	body := []byte(`{"KeyId":"k1","Plaintext":"aGVsbG8="}`)
	in := signInput{
		method:      "POST",
		header:      http.Header{"Content-Type": {"application/json"}},
		payloadHash: sha256Hex(body),
		timestamp:   "1700000000",
		date:        "2023-11-14",
		service:     "kms",
		signed:      []string{"content-type", "host"},
	}
	if got, want := in.payloadHash, "da52ff95f1755d74ece4cc9ef680b0d099c402c579e2ddc41a3ea69e059f6f1c"; got != want {
		t.Fatalf("payload hash = %s, want %s", got, want)
	}
	cr := in.canonicalRequest("kms.tencentcloudapi.com")
	wantCR := "POST\n/\n\ncontent-type:application/json\nhost:kms.tencentcloudapi.com\n\ncontent-type;host\nda52ff95f1755d74ece4cc9ef680b0d099c402c579e2ddc41a3ea69e059f6f1c"
	if string(cr) != wantCR {
		t.Fatalf("canonical request =\n%q\nwant\n%q", cr, wantCR)
	}
	sum := sha256.Sum256(cr)
	if got, want := hex.EncodeToString(sum[:]), "1f0321ffcffed3961e74b3b820705ae469bfeee053af81eb517aa8c7b7589eca"; got != want {
		t.Fatalf("canonical request hash = %s, want %s", got, want)
	}
	k := deriveSigningKey("SECRETKEYEXAMPLE", "2023-11-14", "kms")
	if got, want := string(in.signature(k, "kms.tencentcloudapi.com")), "8168f989190a5665c1bef0b4a9b37dc079b61e738cf462d7c1f27599b04831a7"; got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
	// The independent test signer must agree, so hand-crafted requests are valid.
	if got := tc3Sign("SECRETKEYEXAMPLE", "kms", "2023-11-14", in.stringToSign("kms.tencentcloudapi.com")); got != "8168f989190a5665c1bef0b4a9b37dc079b61e738cf462d7c1f27599b04831a7" {
		t.Fatalf("test signer = %s", got)
	}
}

var authRE = regexp.MustCompile(`^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

const sig64 = "8168f989190a5665c1bef0b4a9b37dc079b61e738cf462d7c1f27599b04831a7"

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		want authHeader
	}{
		{"go sdk", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64, true,
			authHeader{"AKIDx", "2023-11-14", "kms", "content-type;host", sig64}},
		{"node ip service", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/127/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=" + sig64, true,
			authHeader{"AKIDx", "2023-11-14", "127", "content-type;host;x-tc-action", sig64}},
		{"empty", "", false, authHeader{}},
		{"skip", "SKIP", false, authHeader{}},
		{"other algorithm", "TC3-HMAC-SHA1 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64, false, authHeader{}},
		{"short signature", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=abc", false, authHeader{}},
		{"uppercase signature", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=8168F989190a5665c1bef0b4a9b37dc079b61e738cf462d7c1f27599b04831a7", false, authHeader{}},
		{"bad date", "TC3-HMAC-SHA256 Credential=AKIDx/2023-1-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64, false, authHeader{}},
		{"no comma space", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request,SignedHeaders=content-type;host,Signature=" + sig64, false, authHeader{}},
		{"trailing", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64 + " ", false, authHeader{}},
		{"uppercase header names", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=Content-Type;host, Signature=" + sig64, false, authHeader{}},
		{"empty service", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14//tc3_request, SignedHeaders=content-type;host, Signature=" + sig64, false, authHeader{}},
		{"extra scope part", "TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/x/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64, false, authHeader{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseAuthorization(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("parseAuthorization = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
			if reOK := authRE.MatchString(tc.in); reOK != ok {
				t.Fatalf("regexp says %v, parser says %v", reOK, ok)
			}
		})
	}
}

// FuzzParseAuthorization checks that the hand-written parser accepts exactly what
// the documented regular expression accepts, with the same groups.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64)
	f.Add("TC3-HMAC-SHA256 Credential=a/b/2023-11-14/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + sig64)
	f.Add("TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/k/m/s/tc3_request, SignedHeaders=;, Signature=" + sig64)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseAuthorization(s)
		m := authRE.FindStringSubmatch(s)
		if (m != nil) != ok {
			t.Fatalf("regexp match %v, parser %v for %q", m != nil, ok, s)
		}
		if ok {
			want := authHeader{m[1], m[2], m[3], m[4], m[5]}
			if got != want {
				t.Fatalf("parser %+v, regexp %+v", got, want)
			}
		}
	})
}

func TestHostWithoutPort(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"127.0.0.1:9000", "127.0.0.1", true},
		{"kms.tencentcloudapi.com", "kms.tencentcloudapi.com", false},
		{"[::1]:9000", "[::1]", true},
		{"[::1]", "[::1]", false},
		{"host:notaport", "host:notaport", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := hostWithoutPort(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("hostWithoutPort(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
