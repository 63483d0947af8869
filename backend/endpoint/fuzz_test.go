package endpoint_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
)

// The seed corpus is in testdata/fuzz/FuzzParse. Run with
//   go test -run '^$' -fuzz FuzzParse -fuzztime 30s ./backend/endpoint/

// FuzzParse: Parse never panics; an accepted endpoint is in canonical form (its String
// parses back to the same endpoint, and so do its URL and SDK form), never carries user
// info and is never plain HTTP to Tencent Cloud; an error never shows user info.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"kms.tencentcloudapi.com", "https://gw.example.com/kms", "http://[::1]:9000/x",
		"https://u:p@h", "u:p@h:1/x", "http://KMS.tencentcloudapi.com.", "[::ffff:127.0.0.1]:1"} {
		f.Add(s)
	}
	const pw = "Pw0rdMark"
	f.Fuzz(func(t *testing.T, s string) {
		e, err := endpoint.Parse(s)
		if err != nil {
			var pe *endpoint.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error of type %T: %v", s, err, err)
			}
			if !e.IsZero() {
				t.Fatalf("Parse(%q) failed but returned %+v", s, e)
			}
		} else {
			checkAccepted(t, s, e)
		}
		// User info around the input never survives, in a result or in an error.
		for _, withUser := range []string{"user:" + pw + "@" + s, "https://user:" + pw + "@" + s, "http://" + pw + "@" + s, "https://" + s + ":" + pw + "@h"} {
			e, err := endpoint.Parse(withUser)
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Fatalf("Parse(%q) error shows the password: %v", withUser, err)
			}
			if err == nil && (strings.Contains(e.URL(), pw) || strings.Contains(e.URL(), "@")) {
				t.Fatalf("Parse(%q) kept user info: %q", withUser, e.URL())
			}
		}
	})
}

func checkAccepted(t *testing.T, in string, e endpoint.Endpoint) {
	t.Helper()
	for _, form := range []string{e.String(), e.URL(), strings.ToLower(e.SDKScheme()) + "://" + e.SDKEndpoint()} {
		again, err := endpoint.Parse(form)
		if err != nil || again != e {
			t.Fatalf("Parse(%q) = %+v, but %q parses to %+v, %v", in, e, form, again, err)
		}
	}
	u, err := url.Parse(e.URL())
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		t.Fatalf("Parse(%q) = %q: not a plain URL (%v)", in, e.URL(), err)
	}
	if strings.Contains(e.URL(), "@") || strings.Contains(e.SDKEndpoint(), "@") {
		t.Fatalf("Parse(%q) kept user info: %+v", in, e)
	}
	if e.SDKScheme() != "HTTPS" && e.SDKScheme() != "HTTP" {
		t.Fatalf("Parse(%q): SDK scheme %q", in, e.SDKScheme())
	}
	if e.SDKScheme() == "HTTP" && e.IsTencentCloud() {
		t.Fatalf("Parse(%q) accepted plain HTTP to Tencent Cloud", in)
	}
	if e.IsPlainHTTPRemote() && (e.Scheme() != "http" || e.IsLoopback()) {
		t.Fatalf("Parse(%q): IsPlainHTTPRemote for %q", in, e.URL())
	}
}
