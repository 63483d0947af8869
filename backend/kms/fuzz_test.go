package kms_test

import (
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// FuzzParseEndpoint: any accepted endpoint gives HTTP or HTTPS and a host the SDK can
// put in a URL (no path, no user info), and parsing its canonical form gives the same.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"", "kms.tencentcloudapi.com", "http://127.0.0.1:9000", "https://kms.internal:8443/", "ftp://x", "http://u:p@h", "[::1]:9000", "http://[::1]:9000", "  kms.ap-guangzhou.tencentcloudapi.com "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		scheme, host, err := kms.ParseEndpoint(in)
		if err != nil {
			if kms.Code(err) != kms.CodeInvalidConfig {
				t.Fatalf("%q: uncoded error %v", in, err)
			}
			return
		}
		if scheme != "HTTP" && scheme != "HTTPS" || host == "" || strings.ContainsAny(host, "/@?#") {
			t.Fatalf("%q → %s %q", in, scheme, host)
		}
		s2, h2, err := kms.ParseEndpoint(strings.ToLower(scheme) + "://" + host)
		if err != nil || s2 != scheme || h2 != host {
			t.Fatalf("%q → %s %q, canonical form → %s %q %v", in, scheme, host, s2, h2, err)
		}
	})
}
