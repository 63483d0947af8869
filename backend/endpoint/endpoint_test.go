package endpoint_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
)

func TestParse(t *testing.T) {
	type want struct {
		str, url, sdkScheme, sdkEndpoint, host, port, path string
		loopback, plainRemote, tencent                     bool
	}
	tests := []struct {
		in   string
		want want
	}{
		{"kms.tencentcloudapi.com", want{"kms.tencentcloudapi.com", "https://kms.tencentcloudapi.com", "HTTPS", "kms.tencentcloudapi.com", "kms.tencentcloudapi.com", "", "", false, false, true}},
		{"  KMS.ap-guangzhou.TencentCloudAPI.com ", want{"kms.ap-guangzhou.tencentcloudapi.com", "https://kms.ap-guangzhou.tencentcloudapi.com", "HTTPS", "kms.ap-guangzhou.tencentcloudapi.com", "kms.ap-guangzhou.tencentcloudapi.com", "", "", false, false, true}},
		{"HTTPS://kms.tencentcloudapi.com/", want{"kms.tencentcloudapi.com", "https://kms.tencentcloudapi.com", "HTTPS", "kms.tencentcloudapi.com", "kms.tencentcloudapi.com", "", "", false, false, true}},
		{"kms.corp.example:8443", want{"kms.corp.example:8443", "https://kms.corp.example:8443", "HTTPS", "kms.corp.example:8443", "kms.corp.example", "8443", "", false, false, false}},
		{"https://gw.example.com/kms/", want{"https://gw.example.com/kms", "https://gw.example.com/kms", "HTTPS", "gw.example.com/kms", "gw.example.com", "", "/kms", false, false, false}},
		{"gw.example.com:8443/api/kms", want{"https://gw.example.com:8443/api/kms", "https://gw.example.com:8443/api/kms", "HTTPS", "gw.example.com:8443/api/kms", "gw.example.com", "8443", "/api/kms", false, false, false}},
		{"http://127.0.0.1:9000", want{"http://127.0.0.1:9000", "http://127.0.0.1:9000", "HTTP", "127.0.0.1:9000", "127.0.0.1", "9000", "", true, false, false}},
		{"http://localhost:9000", want{"http://localhost:9000", "http://localhost:9000", "HTTP", "localhost:9000", "localhost", "9000", "", true, false, false}},
		{"http://[::1]:9000", want{"http://[::1]:9000", "http://[::1]:9000", "HTTP", "[::1]:9000", "::1", "9000", "", true, false, false}},
		{"[0:0::1]:9000", want{"[::1]:9000", "https://[::1]:9000", "HTTPS", "[::1]:9000", "::1", "9000", "", true, false, false}},
		{"http://[::ffff:127.0.0.1]/x", want{"http://[::ffff:127.0.0.1]/x", "http://[::ffff:127.0.0.1]/x", "HTTP", "[::ffff:127.0.0.1]/x", "::ffff:127.0.0.1", "", "/x", true, false, false}},
		{"https://[2001:DB8::1]", want{"[2001:db8::1]", "https://[2001:db8::1]", "HTTPS", "[2001:db8::1]", "2001:db8::1", "", "", false, false, false}},
		{"http://kms.corp.example:8080/kms", want{"http://kms.corp.example:8080/kms", "http://kms.corp.example:8080/kms", "HTTP", "kms.corp.example:8080/kms", "kms.corp.example", "8080", "/kms", false, true, false}},
		{"http://10.0.0.5", want{"http://10.0.0.5", "http://10.0.0.5", "HTTP", "10.0.0.5", "10.0.0.5", "", "", false, true, false}},
		{"HTTP://LOCALHOST:1/A%20B", want{"http://localhost:1/A%20B", "http://localhost:1/A%20B", "HTTP", "localhost:1/A%20B", "localhost", "1", "/A%20B", true, false, false}},
		{"https://h/a b", want{"https://h/a%20b", "https://h/a%20b", "HTTPS", "h/a%20b", "h", "", "/a%20b", false, false, false}},
		{"kms_internal.corp", want{"kms_internal.corp", "https://kms_internal.corp", "HTTPS", "kms_internal.corp", "kms_internal.corp", "", "", false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := endpoint.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := want{e.String(), e.URL(), e.SDKScheme(), e.SDKEndpoint(), e.Host(), e.Port(), e.Path(), e.IsLoopback(), e.IsPlainHTTPRemote(), e.IsTencentCloud()}
			if got != tt.want {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			again, err := endpoint.Parse(e.String())
			if err != nil || again != e {
				t.Fatalf("String %q parses to %+v, %v; want %+v", e.String(), again, err, e)
			}
			if e.IsZero() || e.Scheme() != strings.ToLower(tt.want.sdkScheme) {
				t.Fatalf("IsZero %v, Scheme %q", e.IsZero(), e.Scheme())
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "is empty"},
		{"   ", "is empty"},
		{"http://kms.tencentcloudapi.com", "must use https"},
		{"http://kms.ap-beijing.tencentcloudapi.com:80", "must use https"},
		{"http://KMS.TencentCloudAPI.com./x", "must use https"},
		{"http://tencentcloudapi.com", "must use https"},
		{"ftp://kms.example", "must use https or http"},
		{"https://user:S3cretPw@kms.example", "user info"},
		{"user:S3cretPw@kms.example", "user info"},
		{"https://S3cretPw@kms.example/kms", "user info"},
		{"https://user:S3cretPw@kms.example:x", "user info"},
		{"https://h/p@th", "user info"},
		{"user:S3cretPw@x@https://h", "user info"},
		{"https://kms.example/?x=1", "query or a fragment"},
		{"https://kms.example/#frag", "query or a fragment"},
		{"https://h/?", "query or a fragment"},
		{"https://kms.example:0", "invalid port"},
		{"https://kms.example:70000", "invalid port"},
		{"https://kms.example:0443", "invalid port"},
		{"https://kms.example:", "invalid port"},
		{"https://", "has no host"},
		{"https:kms.example", "not a host"},
		{"https:///kms", "has no host"},
		{"kms .example", "not a host"},
		{"kms!.example", "invalid host name"},
		{"-kms.example", "invalid host name"},
		{"kms..example", "invalid host name"},
		{"kms.例子.com", "invalid host name"},
		{strings.Repeat("a", 64) + ".example", "invalid host name"},
		{"http://::1", "not a host"},
		{"http://[::1", "not a host"},
		{"http://[fe80::1%25eth0]:9000", "invalid IPv6 address"},
		{"http://[127.0.0.1]", "not a host"},
		{"http://[::ffff:1.2.3.4%25x]", "invalid IPv6 address"},
		{"http://[::1]x", "not a host"},
		{"https://h\\@evil", "user info"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := endpoint.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, e)
			}
			var pe *endpoint.Error
			if !errors.As(err, &pe) || pe.Op != "parse endpoint" {
				t.Fatalf("error %v is not an *endpoint.Error from parse", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q lacks %q", err, tt.reason)
			}
			if strings.Contains(err.Error(), "S3cretPw") {
				t.Fatalf("error %q shows the password", err)
			}
			if !e.IsZero() {
				t.Fatalf("failed Parse returned %+v", e)
			}
		})
	}
}

func TestMustParse(t *testing.T) {
	if got := endpoint.MustParse("http://127.0.0.1:9000").String(); got != "http://127.0.0.1:9000" {
		t.Fatalf("MustParse = %q", got)
	}
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || strings.Contains(err.Error(), "pw") {
			t.Fatalf("MustParse panicked with %v, want a redacted error", r)
		}
	}()
	endpoint.MustParse("https://u:pw@h")
	t.Fatal("MustParse accepted user info")
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"kms.example":                   "kms.example",
		"https://u:p@h/x":               "https://***@h/x",
		"u:p@h":                         "***@h",
		"https://u:p/ss@h":              "https://***@h",
		"https://u:p@x@h":               "https://***@h",
		"u:p@h/x://y":                   "***@h/x://y",
		"user:pw@https://u:p@h":         "***@h",
		"https://gw.example.com/kms@v2": "https://***@v2",
		"":                              "",
	} {
		if got := endpoint.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestZeroEndpoint(t *testing.T) {
	var e endpoint.Endpoint
	if !e.IsZero() || e.String() != "" || e.URL() != "" || e.IsLoopback() || e.IsTencentCloud() || e.IsPlainHTTPRemote() {
		t.Fatalf("zero Endpoint = %+v", e)
	}
}
