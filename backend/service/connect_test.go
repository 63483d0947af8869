package service

import (
	"net"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/kmsdesk/kmsdesk/backend/netproxy/netproxytest"
)

// newProfileBackend is newBackend whose profile store keeps secrets in a memory
// keychain.
func newProfileBackend(t *testing.T) *Backend {
	t.Helper()
	b, _, _ := newBackend(t)
	b.Settings.profiles.opts.Keychain = credentials.NewMemoryKeychain()
	return b
}

func saveActive(t *testing.T, b *Backend, in ProfileInput) Profile {
	t.Helper()
	p, err := b.Settings.SaveProfile(in)
	if err != nil {
		t.Fatalf("SaveProfile: %v", err)
	}
	if _, err := b.Settings.SetActive(p.Name); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProfileProxyCarriesKeyCalls: the profile's proxy setting decides how the key list
// travels: "manual" (password from the keychain) and "system" (HTTP_PROXY here) go
// through a real proxy process, "none" goes direct although HTTP_PROXY is set.
func TestProfileProxyCarriesKeyCalls(t *testing.T) {
	netproxytest.ResolveTestDomain(t)
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("orders"))
	px := netproxytest.Start(t, netproxytest.Upstream(lk.Host()), netproxytest.Auth("alice", "pw"))
	t.Setenv("HTTP_PROXY", "http://alice:pw@"+px.URL[len("http://"):])
	t.Setenv("HTTPS_PROXY", "http://alice:pw@"+px.URL[len("http://"):])
	_, port, _ := net.SplitHostPort(lk.Host())
	b := newProfileBackend(t)

	p := Profile{Name: "proxied", Kind: KindTencent, Region: lk.Region, Endpoint: "http://kms.proxy.test:" + port,
		InsecureHTTP: true, Proxy: ProxySetting{Mode: ProxyManual, URL: px.URL, Username: "alice"}}
	saved := saveActive(t, b, ProfileInput{Profile: p, SecretID: lk.SecretID, SecretKey: lk.SecretKey, ProxyPassword: "pw"})
	if !saved.Proxy.HasPassword || !saved.PlainHTTP || !saved.InsecureHTTP || saved.AutoEndpoint || saved.Site != SiteChina {
		t.Fatalf("saved profile %+v", saved)
	}
	list := func(mode ProxyMode) {
		t.Helper()
		page, err := b.Keys.List(ListOptions{})
		if err != nil || page.Total != 1 {
			t.Fatalf("%s: List = %+v, %v", mode, page, err)
		}
	}
	list(ProxyManual)
	if px.Served() != 1 || px.Refused() != 0 {
		t.Fatalf("manual: proxy served %d, refused %d", px.Served(), px.Refused())
	}
	saved.Proxy = ProxySetting{Mode: ProxyNone}
	saveActive(t, b, ProfileInput{Profile: saved})
	list(ProxyNone)
	if px.Served() != 1 {
		t.Fatalf("none: proxy served %d; want no new request", px.Served())
	}
	saved.Proxy = ProxySetting{Mode: ProxySystem}
	saveActive(t, b, ProfileInput{Profile: saved})
	list(ProxySystem)
	if px.Served() != 2 {
		t.Fatalf("system: proxy served %d; want 2", px.Served())
	}
	res, err := b.Settings.TestProfile("proxied")
	if err != nil || !res.OK || px.Served() < 3 {
		t.Fatalf("TestProfile through the system proxy = %+v, %v (proxy served %d)", res, err, px.Served())
	}
}

func TestPlainHTTPNeedsConsent(t *testing.T) {
	b := newProfileBackend(t)
	p := Profile{Name: "lan", Kind: KindTencent, Region: "ap-guangzhou", Endpoint: "http://kms.lan.example:9000"}
	if _, err := b.Settings.SaveProfile(ProfileInput{Profile: p}); ErrorCode(err) != credentials.CodeProfileInsecureHTTP {
		t.Fatalf("SaveProfile without consent = %v", err)
	}
	p.InsecureHTTP = true
	saved, err := b.Settings.SaveProfile(ProfileInput{Profile: p})
	if err != nil || !saved.PlainHTTP || !saved.InsecureHTTP {
		t.Fatalf("SaveProfile with consent = %+v, %v", saved, err)
	}
	for _, ep := range []string{"http://127.0.0.1:9000", ""} {
		p := Profile{Name: "ok", Kind: KindTencent, Region: "ap-guangzhou", Endpoint: ep, Site: SiteIntl}
		saved, err := b.Settings.SaveProfile(ProfileInput{Profile: p})
		if err != nil || saved.PlainHTTP || saved.InsecureHTTP {
			t.Fatalf("SaveProfile(%q) = %+v, %v", ep, saved, err)
		}
		if ep == "" && (!saved.AutoEndpoint || saved.Endpoint != "kms.intl.tencentcloudapi.com") {
			t.Fatalf("default intl endpoint = %q (auto %v)", saved.Endpoint, saved.AutoEndpoint)
		}
	}
}

// TestKeyListFailsFast: an endpoint that accepts and never answers fails the key list
// with Client.Timeout after the profile's timeout (1 s, below the 10 s connect
// timeout), not after the 60 s call limit.
func TestKeyListFailsFast(t *testing.T) {
	ep, _ := netproxytest.Silent(t)
	b := newProfileBackend(t)
	saveActive(t, b, ProfileInput{Profile: Profile{Name: "silent", Kind: KindTencent, Region: "ap-guangzhou", Endpoint: ep, TimeoutSeconds: 1},
		SecretID: "AKIDexampleexample", SecretKey: "examplekey"})
	start := time.Now()
	_, err := b.Keys.List(ListOptions{})
	took := time.Since(start)
	if ErrorCode(err) != kms.CodeTimeout {
		t.Fatalf("List = %v; want %s", err, kms.CodeTimeout)
	}
	if took < time.Second || took > 3*time.Second {
		t.Fatalf("List failed after %v; want about 1 s", took)
	}
}

// TestCancelListAbortsTheRequest: CancelList ends a key list that waits for an answer,
// at once, with Client.Cancelled.
func TestCancelListAbortsTheRequest(t *testing.T) {
	ep, accepted := netproxytest.Silent(t)
	b := newProfileBackend(t)
	saveActive(t, b, ProfileInput{Profile: Profile{Name: "silent", Kind: KindTencent, Region: "ap-guangzhou", Endpoint: ep, TimeoutSeconds: 60},
		SecretID: "AKIDexampleexample", SecretKey: "examplekey"})
	done := make(chan error, 1)
	go func() {
		_, err := b.Keys.List(ListOptions{})
		done <- err
	}()
	<-accepted
	start := time.Now()
	if n, err := b.Keys.CancelList(); err != nil || n != 1 {
		t.Fatalf("CancelList = %d, %v; want 1 call cancelled", n, err)
	}
	select {
	case err := <-done:
		if ErrorCode(err) != kms.CodeCancelled || time.Since(start) > 2*time.Second {
			t.Fatalf("List = %v after %v; want %s at once", err, time.Since(start), kms.CodeCancelled)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled list did not end")
	}
	if n, _ := b.Keys.CancelList(); n != 0 {
		t.Fatalf("CancelList with nothing loading = %d", n)
	}
}
