package netproxy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/netproxy"
	"github.com/kmsdesk/kmsdesk/backend/netproxy/netproxytest"
)

// parsed is ParseURL's answer as one string: the canonical URL, "error: <message>",
// or "not canonical" when the URL does not parse back to itself.
func parsed(in string) string {
	u, err := netproxy.ParseURL(in)
	var pe *netproxy.Error
	switch {
	case errors.As(err, &pe) && u == nil:
		return "error: " + err.Error()
	case err != nil || u == nil:
		return fmt.Sprintf("bad answer %v, %v", u, err)
	}
	if again, err := netproxy.ParseURL(u.String()); err != nil || again.String() != u.String() {
		return "not canonical"
	}
	return u.String()
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"proxy.corp:3128", "http://proxy.corp:3128"},
		{"  HTTP://Proxy.Corp:3128/ ", "http://proxy.corp:3128"},
		{"https://proxy.corp", "https://proxy.corp"},
		{"socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080"},
		{"SOCKS5H://gw.example.com:1080", "socks5h://gw.example.com:1080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://under_score.corp:80", "http://under_score.corp:80"},
		{"", "error: parse proxy URL: is empty"},
		{"http://alice:s3cret@proxy:3128", "error: parse proxy URL \"http://***@proxy:3128\": must not contain a user name or password"},
		{"ftp://proxy:21", "error: parse proxy URL \"ftp://proxy:21\": must use http, https, socks5 or socks5h"},
		{"socks4://proxy:1080", "error: parse proxy URL \"socks4://proxy:1080\": must use"},
		{"http://proxy:3128/path", "error: parse proxy URL \"http://proxy:3128/path\": must not have a path"},
		{"http://proxy:3128?x=1", "error: parse proxy URL \"http://proxy:3128?x=1\": must not contain a query"},
		{"http://proxy:3128#f", "error: parse proxy URL \"http://proxy:3128#f\": must not contain a query, a fragment"},
		{"http://proxy:0", "error: parse proxy URL \"http://proxy:0\": has an invalid port"},
		{"http://proxy:65536", "error: parse proxy URL \"http://proxy:65536\": has an invalid port"},
		{"http://proxy:08080", "error: parse proxy URL \"http://proxy:08080\": has an invalid port"},
		{"http://proxy:", "error: parse proxy URL \"http://proxy:\": has an invalid port"},
		{"http://", "error: parse proxy URL \"http://\": has no host"},
		{"http://-bad-.corp:1", "error: parse proxy URL \"http://-bad-.corp:1\": has an invalid host name"},
		{"http://::1:8080", "error: "},
		{"http://[fe80::1%25eth0]:8080", "error: "},
		{"http://pro xy:1", "error: parse proxy URL \"http://pro xy:1\": must not contain a query, a fragment, spaces"},
		{"mailto:proxy", "error: "},
	} {
		if got := parsed(c.in); !strings.HasPrefix(got, c.want) || strings.Contains(got, "s3cret") {
			t.Errorf("ParseURL(%q) = %s; want %s…", c.in, got, c.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"proxy:3128", "http://p:1/", "socks5h://[::1]:1080", "https://a@b", "http://x/y", "HTTP://X", "p:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := netproxy.ParseURL(s)
		if err != nil {
			if u != nil {
				t.Fatalf("ParseURL(%q) gave both %v and %v", s, u, err)
			}
			return
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("ParseURL(%q) = %#v keeps more than scheme and host", s, u)
		}
		again, err := netproxy.ParseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("ParseURL(%q) = %q, which parses back as %v, %v", s, u, again, err)
		}
	})
}

func TestConfigCheck(t *testing.T) {
	ok := []netproxy.Config{
		{}, {Mode: netproxy.ModeNone}, {Mode: netproxy.ModeSystem, URL: "ignored"},
		{Mode: netproxy.ModeManual, URL: "proxy:3128"},
		{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: "alice", Password: "pw"},
		{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: "alice"},
	}
	for _, c := range ok {
		if err := c.Check(); err != nil {
			t.Errorf("%+v.Check() = %v", c, err)
		}
	}
	bad := []netproxy.Config{
		{Mode: "auto"},
		{Mode: netproxy.ModeManual},
		{Mode: netproxy.ModeManual, URL: "proxy:3128", Password: "pw"},
		{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: "a:b"},
		{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: strings.Repeat("u", netproxy.MaxUsernameLen+1)},
		{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: "u", Password: strings.Repeat("p", netproxy.MaxPasswordLen+1)},
	}
	for _, c := range bad {
		err := c.Check()
		var pe *netproxy.Error
		if !errors.As(err, &pe) {
			t.Errorf("%+v.Check() = %v; want an *Error", c, err)
		}
		if c.Password != "" && strings.Contains(err.Error(), c.Password) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestConfigString(t *testing.T) {
	c := netproxy.Config{Mode: netproxy.ModeManual, URL: "http://p:1", Username: "alice", Password: "s3cret"}
	if s := c.String(); s != "manual http://p:1 as alice" {
		t.Errorf("String() = %q", s)
	}
	if s := (netproxy.Config{}).String(); s != "system" {
		t.Errorf("zero String() = %q", s)
	}
}

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func request(t *testing.T, rawURL string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFuncModes(t *testing.T) {
	proxyEnv := env(map[string]string{"HTTPS_PROXY": "http://env-proxy:8080", "http_proxy": "http://env-proxy:8081", "NO_PROXY": "skip.example"})
	target := request(t, "https://kms.tencentcloudapi.com/")

	none, err := netproxy.Config{Mode: netproxy.ModeNone, Getenv: proxyEnv}.Func()
	if err != nil || none != nil {
		t.Fatalf("none: Func() = %v, %v; want nil (direct), whatever HTTPS_PROXY says", none != nil, err)
	}

	manual, err := netproxy.Config{Mode: netproxy.ModeManual, URL: "proxy.corp:3128", Username: "alice", Password: "pw", Getenv: proxyEnv}.Func()
	if err != nil {
		t.Fatal(err)
	}
	u, err := manual(target)
	if err != nil || u.String() != "http://alice:pw@proxy.corp:3128" {
		t.Fatalf("manual proxy for %s = %v, %v", target.URL, u, err)
	}

	system, err := netproxy.Config{Mode: netproxy.ModeSystem, Getenv: proxyEnv}.Func()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"https://kms.tencentcloudapi.com/": "http://env-proxy:8080",
		"http://kms.corp.example/":         "http://env-proxy:8081",
		"https://skip.example/":            "<nil>",
		"http://127.0.0.1:9000/":           "<nil>",
	} {
		u, err := system(request(t, in))
		got := "<nil>"
		if u != nil {
			got = u.String()
		}
		if err != nil || got != want {
			t.Errorf("system proxy for %s = %v, %v; want %s", in, u, err, want)
		}
	}

	if _, err := (netproxy.Config{Mode: netproxy.ModeManual, URL: "ftp://x"}).Func(); err == nil {
		t.Error("Func() accepted a bad manual proxy")
	}
}

// kmsLike answers every POST with a small JSON body, like an API endpoint.
func kmsLike() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"Response":{"RequestId":"x"}}`)
	})
}

// TestTransportTunnelsHTTPSThroughProxy sends an https request through a real proxy
// process: the proxy sees one CONNECT for the endpoint's host and the TLS server
// answers through the tunnel.
func TestTransportTunnelsHTTPSThroughProxy(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(kmsLike())
	t.Cleanup(tlsSrv.Close)
	px := netproxytest.Start(t, netproxytest.Upstream(tlsSrv.Listener.Addr().String()), netproxytest.Auth("alice", "pw"))

	post := func(user, pass string) (*http.Response, error) {
		f, err := netproxy.Config{Mode: netproxy.ModeManual, URL: px.URL, Username: user, Password: pass}.Func()
		if err != nil {
			t.Fatal(err)
		}
		tr := netproxy.NewTransport(f, 5*time.Second)
		tr.TLSClientConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		tr.TLSClientConfig.ServerName = "example.com"
		defer tr.CloseIdleConnections()
		// The host does not resolve: only the proxy can reach the server.
		return (&http.Client{Transport: tr}).Post("https://kms.proxy.test/", "application/json", strings.NewReader("{}"))
	}
	if _, err := post("alice", "wrong"); err == nil {
		t.Fatal("a wrong proxy password was accepted")
	}
	resp, err := post("alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "RequestId") {
		t.Fatalf("answer through the tunnel = %q", body)
	}
	if px.Served() != 1 || px.Refused() != 1 || px.Hosts()[0] != "kms.proxy.test:443" {
		t.Fatalf("proxy served %d, refused %d, hosts %v; want 1 tunnel to kms.proxy.test:443 and 1 refusal", px.Served(), px.Refused(), px.Hosts())
	}
}

// TestTransportFirstByteTimeout: an endpoint that accepts and never answers fails
// after about the connect timeout, well before the request's own deadline.
func TestTransportFirstByteTimeout(t *testing.T) {
	ep, _ := netproxytest.Silent(t)
	const connect = 300 * time.Millisecond
	tr := netproxy.NewTransport(nil, connect)
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ep+"/", strings.NewReader("{}"))
	start := time.Now()
	_, err := (&http.Client{Transport: tr}).Do(req)
	took := time.Since(start)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Do() = %v; want a timeout", err)
	}
	if took < connect || took > connect+2*time.Second {
		t.Fatalf("timed out after %v; want about %v", took, connect)
	}
}

func TestNewTransportDefaults(t *testing.T) {
	tr := netproxy.NewTransport(nil, 0)
	if tr.Proxy != nil || tr.ResponseHeaderTimeout != netproxy.DefaultConnectTimeout || tr.TLSHandshakeTimeout != netproxy.DefaultConnectTimeout {
		t.Fatalf("NewTransport(nil, 0) = proxy %v, first byte %v, TLS %v", tr.Proxy != nil, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout)
	}
}
