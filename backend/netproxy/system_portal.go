//go:build !windows && !darwin

package netproxy

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
)

// The XDG desktop portal's proxy resolver (org.freedesktop.portal.ProxyResolver): the
// desktop's own answer to "which proxy for this URL", from GNOME's or KDE's network
// settings, a PAC script or WPAD, as every sandboxed app gets it.
const (
	portalName    = "org.freedesktop.portal.Desktop"
	portalPath    = "/org/freedesktop/portal/desktop"
	portalLookup  = "org.freedesktop.portal.ProxyResolver.Lookup"
	portalTimeout = 2 * time.Second
	// portalTTL is how long an answer is reused for the same scheme and host.
	portalTTL = time.Minute
)

// sessionBus returns the session bus address, or "" when there is none. It never
// starts a bus: an "autolaunch:" address counts as none.
func sessionBus() string {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		if strings.Contains(a, "autolaunch:") {
			return ""
		}
		return a
	}
	if p := fmt.Sprintf("/run/user/%d/bus", os.Getuid()); fileExists(p) {
		return "unix:path=" + p
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// systemFunc asks the desktop portal on the session bus. Without a bus or a portal,
// requests go direct.
func systemFunc() ProxyFunc { return newPortal(sessionBus()).proxy }

// portal resolves proxies through the desktop portal at one bus address, caching each
// answer for portalTTL.
type portal struct {
	addr string
	now  func() time.Time

	mu    sync.Mutex
	cache map[string]portalAnswer
}

type portalAnswer struct {
	u     *url.URL
	err   error
	until time.Time
}

func newPortal(addr string) *portal {
	return &portal{addr: addr, now: time.Now, cache: map[string]portalAnswer{}}
}

func (p *portal) proxy(r *http.Request) (*url.URL, error) {
	if p.addr == "" || isLocal(r.URL.Hostname()) {
		return nil, nil
	}
	key := r.URL.Scheme + "://" + r.URL.Host
	p.mu.Lock()
	a, ok := p.cache[key]
	p.mu.Unlock()
	if ok && p.now().Before(a.until) {
		return a.u, a.err
	}
	u, err := p.lookup(key)
	p.mu.Lock()
	p.cache[key] = portalAnswer{u: u, err: err, until: p.now().Add(portalTTL)}
	p.mu.Unlock()
	return u, err
}

// lookup asks the portal for uri. A bus or portal that does not answer means the
// desktop offers no proxy settings: direct.
func (p *portal) lookup(uri string) (*url.URL, error) {
	ctx, cancel := context.WithTimeout(context.Background(), portalTimeout)
	defer cancel()
	conn, err := dbus.Connect(p.addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, nil
	}
	defer conn.Close()
	var proxies []string
	if err := conn.Object(portalName, portalPath).CallWithContext(ctx, portalLookup, 0, uri).Store(&proxies); err != nil {
		return nil, nil
	}
	return pickProxy(proxies)
}

// isLocal reports whether host is this computer, which is never reached through a
// proxy (net/http's rule for the environment variables too).
func isLocal(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return isLoopbackIP(host)
}

// pickProxy turns a list of proxy URIs as desktops give them ("direct://",
// "http://proxy:3128", "socks://proxy:1080", in order of preference) into the first
// one net/http can use: nil for direct. A list with none it can use is an error, so a
// request never silently bypasses a proxy the computer requires.
func pickProxy(proxies []string) (*url.URL, error) {
	for _, p := range proxies {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.Scheme == "" {
			continue
		}
		switch strings.ToLower(u.Scheme) {
		case "direct":
			return nil, nil
		case "socks":
			u.Scheme = "socks5"
		case "http", "https", "socks5", "socks5h":
			u.Scheme = strings.ToLower(u.Scheme)
		default:
			continue
		}
		if u.Host == "" {
			continue
		}
		return &url.URL{Scheme: u.Scheme, Host: u.Host, User: u.User}, nil
	}
	if len(proxies) == 0 {
		return nil, nil
	}
	return nil, &Error{Op: "find the system proxy", Reason: "the system names only proxies of kinds KMS Desk cannot use (" +
		endpoint.Redact(strings.Join(proxies, ", ")) + "); choose a manual proxy for this profile"}
}

// isLoopbackIP reports whether s is a loopback IP address.
func isLoopbackIP(s string) bool {
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Unmap().IsLoopback()
}
