package localkms

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestBodies sends bodies of every size class over loopback: chunked
// ones (length unknown in advance) small, large and over the limit, and more
// large ones in a row than the budget of large bodies holds at once, which
// works only if each returns its share.
func TestRequestBodies(t *testing.T) {
	e := newEnv(t, "http")
	chunked := func(r *http.Request) { r.ContentLength = -1 }
	padded := func(n int) string { return `{"Limit":1` + strings.Repeat(" ", n-len(`{"Limit":1}`)) + `}` }
	for _, tc := range []struct {
		name string
		req  rawReq
		code string
	}{
		{"chunked, small", rawReq{action: "ListKeys", body: padded(100), tamper: chunked}, ""},
		{"chunked, just small", rawReq{action: "ListKeys", body: padded(smallBodyLimit), tamper: chunked}, ""},
		{"chunked, large", rawReq{action: "ListKeys", body: padded(smallBodyLimit + 1), tamper: chunked}, ""},
		{"chunked, at the limit", rawReq{action: "ListKeys", body: padded(maxRequestBody), tamper: chunked}, ""},
		{"chunked, over the limit", rawReq{action: "ListKeys", body: padded(maxRequestBody + 1), tamper: chunked}, codeRequestSizeLimitExceeded},
		{"at the limit", rawReq{action: "ListKeys", body: padded(maxRequestBody)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(tc.req).wantCode(t, tc.code)
		})
	}
	n := largeBodyBudget/maxRequestBody + 4
	for i := range n {
		if r := e.do(rawReq{action: "ListKeys", body: padded(maxRequestBody - i)}); r.code != "" {
			t.Fatalf("large request %d of %d: %s (%s)", i+1, n, r.code, r.message)
		}
	}
}
