package main

import (
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/kmsdesk/kmsdesk/backend/netproxy/netproxytest"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

func TestProfileAddSiteProxyAndPlainHTTP(t *testing.T) {
	cliEnv(t)
	out, _, err := kmsctl(t, "", "--json", "profile", "add", "hk", "--kind", "tencent", "--region", "ap-hongkong", "--site", "intl")
	var ps []service.Profile
	if err != nil || json.Unmarshal([]byte(out), &ps) != nil || len(ps) != 1 || ps[0].Endpoint != "kms.intl.tencentcloudapi.com" || ps[0].Site != service.SiteIntl {
		t.Fatalf("add intl: %q %v", out, err)
	}
	out, _, err = kmsctl(t, "", "--json", "--region", "ap-shanghai-fsi", "profile", "add", "fsi", "--site", "intl")
	if err != nil || !strings.Contains(out, `"endpoint": "kms.ap-shanghai-fsi.tencentcloudapi.com"`) {
		t.Fatalf("add fsi: %q %v", out, err)
	}
	if _, _, err = kmsctl(t, "", "profile", "add", "x", "--site", "mars"); service.ErrorCode(err) != "Profile.Invalid" {
		t.Fatalf("a bad site: %v", err)
	}

	// Plain http:// to another computer: refused, then accepted with --insecure-http.
	_, _, err = kmsctl(t, "", "--endpoint", "http://kms.lan.example:9000", "profile", "add", "lan")
	if service.ErrorCode(err) != "Profile.InsecureHTTP" || !strings.Contains(describeErr(err), "--insecure-http") {
		t.Fatalf("plain http without --insecure-http: %v / %s", err, describeErr(err))
	}
	_, errOut, err := kmsctl(t, "", "--endpoint", "http://kms.lan.example:9000", "--insecure-http", "profile", "add", "lan")
	if err != nil || !strings.Contains(errOut, "unencrypted") {
		t.Fatalf("plain http with --insecure-http: %q %v", errOut, err)
	}
	if _, errOut, err = kmsctl(t, "", "--endpoint", "http://127.0.0.1:9000", "profile", "add", "loop"); err != nil || strings.Contains(errOut, "unencrypted") {
		t.Fatalf("loopback http: %q %v", errOut, err)
	}

	// A manual proxy with a user: the password comes from standard input, never a flag.
	out, _, err = kmsctl(t, "proxy-Pa55\n", "--proxy", "HTTP://Proxy.Corp:3128", "profile", "add", "corp", "--proxy-user", "alice")
	if err != nil || strings.Contains(out, "proxy-Pa55") {
		t.Fatalf("add with a proxy: %q %v", out, err)
	}
	out, _, err = kmsctl(t, "", "profile", "list")
	for _, want := range []string{"SITE", "PROXY", "http://proxy.corp:3128 as alice", "intl", "http://kms.lan.example:9000 (unencrypted)"} {
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("profile list lacks %q: %q %v", want, out, err)
		}
	}
	if _, _, err = kmsctl(t, "", "--proxy", "none", "profile", "add", "p2", "--proxy-user", "bob"); err == nil {
		t.Fatal("--proxy-user without a proxy URL was accepted")
	}
	if _, _, err = kmsctl(t, "", "--proxy", "ftp://x", "profile", "add", "p3"); service.ErrorCode(err) != "Profile.Invalid" {
		t.Fatalf("a bad proxy URL: %v", err)
	}
}

// TestGlobalProxyAndInsecureHTTP: --proxy URL sends the KMS traffic through a real
// proxy; --proxy none goes direct although HTTPS_PROXY is set; a plain http:// endpoint
// on another computer needs --insecure-http.
func TestGlobalProxyAndInsecureHTTP(t *testing.T) {
	netproxytest.ResolveTestDomain(t)
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("orders"))
	t.Setenv("TENCENTCLOUD_SECRET_ID", lk.SecretID)
	t.Setenv("TENCENTCLOUD_SECRET_KEY", lk.SecretKey)
	t.Setenv("TENCENTCLOUD_SESSION_TOKEN", "")
	t.Setenv("KMSDESK_HOME", t.TempDir())
	px := netproxytest.Start(t, netproxytest.Upstream(lk.Host()))
	t.Setenv("HTTP_PROXY", px.URL)
	t.Setenv("HTTPS_PROXY", px.URL)
	_, port, _ := net.SplitHostPort(lk.Host())
	ep := "http://kms.proxy.test:" + port

	_, _, err := kmsctl(t, "", "--endpoint", ep, "keys", "list")
	if service.ErrorCode(err) != "Profile.InsecureHTTP" || px.Served() != 0 {
		t.Fatalf("plain http without --insecure-http: %v (proxy served %d)", err, px.Served())
	}
	out, _, err := kmsctl(t, "", "--endpoint", ep, "--insecure-http", "--proxy", "none", "keys", "list")
	if err != nil || !strings.Contains(out, "orders") || px.Served() != 0 {
		t.Fatalf("--proxy none: %q %v (proxy served %d; want a direct request)", out, err, px.Served())
	}
	out, _, err = kmsctl(t, "", "--endpoint", ep, "--insecure-http", "--proxy", px.URL, "keys", "list")
	if err != nil || !strings.Contains(out, "orders") || px.Served() != 1 {
		t.Fatalf("--proxy URL: %q %v (proxy served %d)", out, err, px.Served())
	}
	out, _, err = kmsctl(t, "", "--endpoint", ep, "--insecure-http", "keys", "list")
	if err != nil || !strings.Contains(out, "orders") || px.Served() != 2 {
		t.Fatalf("default (system, from the environment): %q %v (proxy served %d)", out, err, px.Served())
	}
	if _, _, err = kmsctl(t, "", "--endpoint", ep, "--insecure-http", "--proxy", "ftp://x", "keys", "list"); service.ErrorCode(err) != service.CodeInvalidInput {
		t.Fatalf("a bad --proxy: %v", err)
	}
}

// TestEndpointPasswordNeverShown: an endpoint with user info, given with --endpoint or
// found in a (hand-edited) profile, is refused without its password appearing in
// anything kmsctl prints (stdout, stderr, the final error line) or writes under its
// settings folder (no log holds it).
func TestEndpointPasswordNeverShown(t *testing.T) {
	ep, _ := cliEnv(t)
	const pw = "S3cretPw9"
	home := os.Getenv("KMSDESK_HOME")
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "a"})
	check := func(what string, args ...string) {
		t.Helper()
		stdout, stderr, err := kmsctl(t, "", args...)
		if err == nil {
			t.Fatalf("%s: accepted", what)
		}
		var final strings.Builder
		reportError(&final, err)
		for name, s := range map[string]string{"stdout": stdout, "stderr": stderr, "the error line": final.String()} {
			if strings.Contains(s, pw) {
				t.Errorf("%s: %s shows the password: %q", what, name, s)
			}
		}
		if !strings.Contains(final.String(), "***@") {
			t.Errorf("%s: the error does not name the (redacted) endpoint: %q", what, final.String())
		}
	}
	host := strings.TrimPrefix(ep, "http://")
	for _, e := range []string{"https://user:" + pw + "@" + host, "http://user:" + pw + "@" + host, "user:" + pw + "@" + host} {
		check("--endpoint "+e+" keys list", "--endpoint", e, "keys", "list")
		check("--endpoint "+e+" --json keys list", "--endpoint", e, "--json", "keys", "list")
		check("--endpoint "+e+" encrypt", "--endpoint", e, "encrypt", "--key", "k", filepath.Join(dir, "a.txt"))
		check("--endpoint "+e+" profile add", "--endpoint", e, "profile", "add", "leaky")
	}

	// A profiles file edited by hand with user info in an endpoint.
	cfg := `{"version":1,"active":"local","profiles":[{"name":"leaky","kind":"tencent","region":"ap-guangzhou","endpoint":"https://user:` + pw + `@kms.example"}]}`
	if err := os.WriteFile(filepath.Join(home, "profiles.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	check("a profile's endpoint: keys list", "--profile", "leaky", "keys", "list")
	check("a profile's endpoint: profile list", "profile", "list")

	_ = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == "profiles.json" || strings.HasPrefix(filepath.Base(p), "profiles.json.damaged-") {
			return nil // the user's own file, and its copy moved aside
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), pw) {
			t.Errorf("%s holds the password", p)
		}
		return nil
	})
}
