package netproxy

import (
	"bufio"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startBus runs a private dbus-daemon for the test and returns its address.
func startBus(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon (package dbus): %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the bus address: %v", err)
	}
	return strings.TrimSpace(line)
}

// fakeResolver is an org.freedesktop.portal.ProxyResolver that answers from a table
// and records what it was asked.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	asked   []string
}

func (f *fakeResolver) Lookup(uri string) ([]string, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, uri)
	if a, ok := f.answers[uri]; ok {
		return a, nil
	}
	return []string{"direct://"}, nil
}

func (f *fakeResolver) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// startPortal serves fake on a private bus under the portal's name.
func startPortal(t *testing.T, fake *fakeResolver) string {
	t.Helper()
	addr := startBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(fake, portalPath, "org.freedesktop.portal.ProxyResolver"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(portalName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName = %v, %v", reply, err)
	}
	return addr
}

func proxyString(t *testing.T, p *portal, rawURL string) string {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.proxy(r)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case u == nil:
		return "direct"
	}
	return u.String()
}

func TestPortalAnswers(t *testing.T) {
	fake := &fakeResolver{answers: map[string][]string{
		"https://kms.tencentcloudapi.com":             {"http://corp-proxy:3128"},
		"https://kms.intl.tencentcloudapi.com":        {"socks://socks.corp:1080", "direct://"},
		"https://kms.ap-hongkong.tencentcloudapi.com": {"socks4://old.corp:1080"},
		"http://kms.corp.example:9000":                {"ftp://x", "https://tls-proxy.corp:443"},
	}}
	p := newPortal(startPortal(t, fake))
	for in, want := range map[string]string{
		"https://kms.tencentcloudapi.com/":             "http://corp-proxy:3128",
		"https://kms.intl.tencentcloudapi.com/":        "socks5://socks.corp:1080",
		"https://kms.ap-hongkong.tencentcloudapi.com/": "error: find the system proxy: the system names only proxies",
		"http://kms.corp.example:9000/":                "https://tls-proxy.corp:443",
		"https://elsewhere.example/":                   "direct",
		"http://127.0.0.1:9000/":                       "direct",
		"http://localhost:9000/":                       "direct",
		"http://[::1]:9000/":                           "direct",
	} {
		if got := proxyString(t, p, in); !strings.HasPrefix(got, want) {
			t.Errorf("proxy for %s = %q; want %q", in, got, want)
		}
	}
	for _, c := range fake.calls() {
		if strings.Contains(c, "127.0.0.1") || strings.Contains(c, "localhost") || strings.Contains(c, "::1") {
			t.Errorf("the portal was asked about this computer: %q", c)
		}
	}
}

func TestPortalCachesPerHost(t *testing.T) {
	fake := &fakeResolver{answers: map[string][]string{"https://kms.tencentcloudapi.com": {"http://corp-proxy:3128"}}}
	p := newPortal(startPortal(t, fake))
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	for range 3 {
		proxyString(t, p, "https://kms.tencentcloudapi.com/")
	}
	if n := len(fake.calls()); n != 1 {
		t.Fatalf("the portal was asked %d times for one host; want 1", n)
	}
	now = now.Add(portalTTL + time.Second)
	proxyString(t, p, "https://kms.tencentcloudapi.com/")
	if n := len(fake.calls()); n != 2 {
		t.Fatalf("after the cache expired the portal was asked %d times; want 2", n)
	}
}

func TestPortalAbsentMeansDirect(t *testing.T) {
	// No bus, a bus without a portal, a bus that is not running.
	addrs := []string{"", startBus(t), "unix:path=" + filepath.Join(t.TempDir(), "gone")}
	for _, addr := range addrs {
		if got := proxyString(t, newPortal(addr), "https://kms.tencentcloudapi.com/"); got != "direct" {
			t.Errorf("bus %q: proxy = %q; want direct", addr, got)
		}
	}
}

func TestPickProxy(t *testing.T) {
	picked := func(list ...string) string {
		u, err := pickProxy(list)
		if err != nil {
			return "error: " + err.Error()
		}
		if u == nil {
			return "direct"
		}
		return u.String()
	}
	checks := [][2]string{
		{picked(), "direct"},
		{picked("direct://"), "direct"},
		{picked("http://p:1"), "http://p:1"},
		{picked("HTTP://p:1"), "http://p:1"},
		{picked("socks5h://u:pw@p:1"), "socks5h://u:pw@p:1"},
		{picked("bogus", "http://p:2"), "http://p:2"},
		{picked("http://", "https://p:3"), "https://p:3"},
		{picked("socks4://u:secret@p:1"), "error: find the system proxy: the system names only proxies of kinds KMS Desk cannot use (socks4://***@p:1)"},
	}
	for i, c := range checks {
		if !strings.HasPrefix(c[0], c[1]) {
			t.Errorf("case %d: pickProxy = %s; want %s", i, c[0], c[1])
		}
	}
}
