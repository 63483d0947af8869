package credentials

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
)

func TestSite(t *testing.T) {
	e := newTestEnv(t)
	p := mustSave(t, e.store, Profile{Name: "intl", Settings: Settings{Kind: KindTencent, Region: "ap-singapore", Site: endpoint.SiteIntl}}, nil)
	if p.Site != endpoint.SiteIntl || p.Endpoint != "kms.intl.tencentcloudapi.com" {
		t.Fatalf("intl profile = site %q endpoint %q", p.Site, p.Endpoint)
	}
	// An edit that leaves the endpoint empty gets the default of the new site and region.
	p.Endpoint, p.Site, p.Region = "", endpoint.SiteChina, "ap-shanghai-fsi"
	if p = mustSave(t, e.store, p, nil); p.Endpoint != "kms.ap-shanghai-fsi.tencentcloudapi.com" {
		t.Fatalf("fsi endpoint = %q", p.Endpoint)
	}
	_, err := e.store.Save(Profile{Name: "x", Settings: Settings{Kind: KindTencent, Site: "mars"}}, nil)
	wantCode(t, err, CodeProfileInvalid)
	l := mustSave(t, e.store, Profile{Name: LocalProfileName, Settings: Settings{Kind: KindLocal, Site: endpoint.SiteIntl}}, nil)
	if l.Site != "" || l.Proxy != (Proxy{}) {
		t.Fatalf("a local profile keeps site %q proxy %+v", l.Site, l.Proxy)
	}
	if got := DefaultEndpointFor(endpoint.SiteIntl, "ap-beijing-fsi"); got != "kms.ap-beijing-fsi.tencentcloudapi.com" {
		t.Fatalf("DefaultEndpointFor(intl, fsi) = %q", got)
	}
	if got := DefaultEndpointFor("mars", "ap-guangzhou"); got != "" {
		t.Fatalf("DefaultEndpointFor(mars) = %q", got)
	}
}

// TestPlainHTTPNeedsConsent: plain http:// to another computer is saved only when the
// user accepted it; loopback needs no consent; the consent goes with the endpoint.
func TestPlainHTTPNeedsConsent(t *testing.T) {
	e := newTestEnv(t)
	remote := Profile{Name: "lan", Settings: Settings{Kind: KindTencent, Region: "ap-guangzhou", Endpoint: "http://kms.corp.example:9000"}}
	_, err := e.store.Save(remote, nil)
	wantCode(t, err, CodeProfileInsecureHTTP)
	if _, err := e.store.Get("lan"); err == nil {
		t.Fatal("a refused profile was saved")
	}
	remote.InsecureHTTP = true
	if p := mustSave(t, e.store, remote, nil); !p.InsecureHTTP {
		t.Fatal("the consent was not stored")
	}
	if !strings.Contains(string(e.configBytes(t)), `"insecureHttp": true`) {
		t.Fatalf("profiles.json does not record the consent:\n%s", e.configBytes(t))
	}
	remote.Endpoint = "https://kms.corp.example:9443"
	if p := mustSave(t, e.store, remote, nil); p.InsecureHTTP {
		t.Fatal("the consent stayed with an https endpoint")
	}
	for _, ep := range []string{"http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"} {
		mustSave(t, e.store, Profile{Name: "loop", Settings: Settings{Kind: KindTencent, Region: "ap-guangzhou", Endpoint: ep}}, nil)
	}
	// A profiles file written before the rule still loads.
	legacy := `{"version":1,"active":"old","profiles":[{"name":"old","kind":"tencent","region":"ap-guangzhou","endpoint":"http://10.1.2.3:9000","timeoutSeconds":30,"language":"zh-CN"}]}`
	if err := os.WriteFile(e.store.Path(), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := e.open(t).Get("old"); err != nil || p.InsecureHTTP || p.Endpoint != "http://10.1.2.3:9000" {
		t.Fatalf("legacy profile = %+v, %v", p, err)
	}
}

func TestProxySettingAndPassword(t *testing.T) {
	e := newTestEnv(t)
	const pw = "proxy-Pa55word-xyz"
	p := Profile{Name: "corp", Settings: Settings{Kind: KindTencent, Region: "ap-guangzhou", Proxy: Proxy{Mode: netproxy.ModeManual, URL: " HTTP://Proxy.Corp:3128/ ", Username: "alice"}}}
	saved := mustSave(t, e.store, p, nil)
	if saved.Proxy.URL != "http://proxy.corp:3128" || saved.Proxy.Username != "alice" || saved.Proxy.HasPassword {
		t.Fatalf("saved proxy %+v", saved.Proxy)
	}
	if err := e.store.SetProxyPassword("corp", pw); err != nil {
		t.Fatal(err)
	}
	if !e.kc.has(t, "corp#proxy") {
		t.Fatal("the proxy password is not in the keychain")
	}
	got, _ := e.store.Get("corp")
	if !got.Proxy.HasPassword || got.Proxy.PasswordStorage != StorageKeychain {
		t.Fatalf("proxy after SetProxyPassword %+v", got.Proxy)
	}
	assertNoSecrets(t, "profiles.json", e.configBytes(t), pw)
	cfg, err := e.open(t).ProxyConfig(context.Background(), "corp")
	if err != nil || cfg.Mode != netproxy.ModeManual || cfg.URL != "http://proxy.corp:3128" || cfg.Username != "alice" || cfg.Password != pw {
		t.Fatalf("ProxyConfig = %v (password ok: %v), %v", cfg, cfg.Password == pw, err)
	}
	var sb strings.Builder
	if err := e.store.Export(&sb); err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "the export", []byte(sb.String()), pw)
	if !strings.Contains(sb.String(), `"url": "http://proxy.corp:3128"`) {
		t.Fatalf("the export lacks the proxy:\n%s", sb.String())
	}

	// Another setting that keeps the user name keeps the password; a new user name drops it.
	got.Region = "ap-beijing"
	if p := mustSave(t, e.store, got, nil); !p.Proxy.HasPassword {
		t.Fatal("an unrelated change dropped the proxy password")
	}
	got.Proxy.Username = "bob"
	if p := mustSave(t, e.store, got, nil); p.Proxy.HasPassword || e.kc.has(t, "corp#proxy") {
		t.Fatal("a new proxy user kept the old user's password")
	}
	if err := e.store.SetProxyPassword("corp", pw); err != nil {
		t.Fatal(err)
	}
	got.Proxy = Proxy{Mode: netproxy.ModeNone, URL: "ignored", Username: "bob"}
	if p := mustSave(t, e.store, got, nil); p.Proxy != (Proxy{Mode: netproxy.ModeNone}) || e.kc.has(t, "corp#proxy") {
		t.Fatalf("mode none kept %+v (item kept: %v)", p.Proxy, e.kc.has(t, "corp#proxy"))
	}
	wantCode(t, e.store.SetProxyPassword("corp", pw), CodeProfileInvalid) // no manual proxy now

	got.Proxy = Proxy{Mode: netproxy.ModeManual, URL: "socks5://127.0.0.1:1080", Username: "bob"}
	mustSave(t, e.store, got, nil)
	if err := e.store.SetProxyPassword("corp", pw); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Delete("corp"); err != nil || e.kc.has(t, "corp#proxy") {
		t.Fatalf("Delete = %v; item kept: %v", err, e.kc.has(t, "corp#proxy"))
	}

	for _, bad := range []Proxy{
		{Mode: "auto"},
		{Mode: netproxy.ModeManual},
		{Mode: netproxy.ModeManual, URL: "http://alice:pw@proxy:3128"},
		{Mode: netproxy.ModeManual, URL: "ftp://proxy"},
	} {
		_, err := e.store.Save(Profile{Name: "bad", Settings: Settings{Kind: KindTencent, Proxy: bad}}, nil)
		wantCode(t, err, CodeProfileInvalid)
		if strings.Contains(err.Error(), ":pw@") {
			t.Fatalf("error shows a password: %v", err)
		}
	}
}

func TestProxyPasswordWithoutKeychain(t *testing.T) {
	e := newTestEnv(t)
	mustSave(t, e.store, Profile{Name: "corp", Settings: Settings{Kind: KindTencent, Proxy: Proxy{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: "alice"}}}, nil)
	e.kc.failAll(rawNoBus)
	if err := e.store.SetProxyPassword("corp", "pw"); err != nil {
		t.Fatal(err)
	}
	p, _ := e.store.Get("corp")
	if !p.Proxy.HasPassword || p.Proxy.PasswordStorage != StorageSession {
		t.Fatalf("proxy without a keychain %+v", p.Proxy)
	}
	if cfg, err := e.store.ProxyConfig(context.Background(), "corp"); err != nil || cfg.Password != "pw" {
		t.Fatalf("ProxyConfig = %v, %v", cfg, err)
	}
	assertNoSecrets(t, "profiles.json", e.configBytes(t), `"pw"`)
	if err := e.store.SetProxyPassword("corp", ""); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.store.Get("corp"); p.Proxy.HasPassword {
		t.Fatal("an empty password did not remove it")
	}
}

func TestProxyConfigDefaults(t *testing.T) {
	e := newTestEnv(t)
	e.env["HTTPS_PROXY"] = "http://env-proxy:8080"
	mustSave(t, e.store, Profile{Name: "sys", Settings: Settings{Kind: KindTencent}}, nil)
	cfg, err := e.store.ProxyConfig(context.Background(), "sys")
	if err != nil || cfg.Mode != netproxy.ModeSystem || cfg.Getenv == nil || cfg.Getenv("HTTPS_PROXY") != "http://env-proxy:8080" {
		t.Fatalf("system ProxyConfig = %v, %v", cfg, err)
	}
	if cfg, err := e.store.ProxyConfig(context.Background(), LocalProfileName); err != nil || cfg.Mode != netproxy.ModeNone {
		t.Fatalf("local ProxyConfig = %v, %v", cfg, err)
	}
}

func TestExportImportKeepsSiteAndProxy(t *testing.T) {
	e := newTestEnv(t)
	mustSave(t, e.store, Profile{Name: "hk", Settings: Settings{Kind: KindTencent, Region: "ap-hongkong", Site: endpoint.SiteIntl, Proxy: Proxy{Mode: netproxy.ModeManual, URL: "proxy:3128", Username: "alice"}}}, nil)
	mustSave(t, e.store, Profile{Name: "lan", Settings: Settings{Kind: KindTencent, Endpoint: "http://kms.lan:9000", InsecureHTTP: true, Proxy: Proxy{Mode: netproxy.ModeNone}}}, nil)
	if err := e.store.SetProxyPassword("hk", "pw-1"); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := e.store.Export(&sb); err != nil {
		t.Fatal(err)
	}
	other := newTestEnv(t)
	if _, err := other.store.Import(strings.NewReader(sb.String()), ConflictSkip); err != nil {
		t.Fatal(err)
	}
	hk, _ := other.store.Get("hk")
	lan, _ := other.store.Get("lan")
	if hk.Site != endpoint.SiteIntl || hk.Endpoint != "kms.intl.tencentcloudapi.com" || hk.Proxy.URL != "http://proxy:3128" || hk.Proxy.Username != "alice" || hk.Proxy.HasPassword {
		t.Fatalf("imported hk = %+v", hk)
	}
	if !lan.InsecureHTTP || lan.Proxy.Mode != netproxy.ModeNone {
		t.Fatalf("imported lan = %+v", lan)
	}
	// Replacing a profile drops the proxy password that belonged to its old settings.
	if _, err := e.store.Import(strings.NewReader(sb.String()), ConflictReplace); err != nil {
		t.Fatal(err)
	}
	if e.kc.has(t, "hk#proxy") {
		t.Fatal("an import that replaced the profile left its proxy password")
	}
}
