// Package netproxy decides how KMS Desk's HTTP requests reach the network and builds
// the http.Transport that sends them.
//
// A [Config] names one of three ways ([Mode]):
//
//   - [ModeNone]: straight to the endpoint, whatever the environment says
//     (HTTPS_PROXY is ignored).
//   - [ModeSystem]: the proxy the computer is set to use. Proxy environment variables
//     (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) win when they name a proxy, as in browsers
//     and command-line tools; otherwise the operating system decides: on Windows the
//     Internet Options (WinINET/WinHTTP, with PAC scripts and WPAD) and on macOS the
//     network settings (with PAC scripts when built with cgo), both read by
//     github.com/mattn/go-ieproxy; on Linux and the BSDs the desktop's settings
//     (GNOME, KDE, PAC) through the XDG desktop portal's ProxyResolver over D-Bus.
//     Without any of them, requests go direct.
//   - [ModeManual]: one proxy the user named, http://, https://, socks5:// or
//     socks5h:// (see [ParseURL]), with an optional user name and password.
//
// [NewTransport] builds the transport: the proxy function, and a connect timeout that
// bounds the TCP connection, the TLS handshake and the wait for the first byte of each
// answer, so an endpoint that accepts and never answers fails fast.
//
// The package imports no KMS Desk package but backend/endpoint (whose host rules a
// proxy URL follows). Its errors are *[Error]; an error message never holds a password.
package netproxy

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
)

// Mode says how requests reach the network.
type Mode string

// Modes.
const (
	// ModeSystem uses the computer's proxy settings (the default).
	ModeSystem Mode = "system"
	// ModeNone connects directly, ignoring proxy environment variables.
	ModeNone Mode = "none"
	// ModeManual uses the proxy in Config.URL.
	ModeManual Mode = "manual"
)

// Limits and defaults.
const (
	// DefaultConnectTimeout bounds connecting (TCP, TLS) and the wait for the first
	// byte of an answer when a caller names none.
	DefaultConnectTimeout = 10 * time.Second
	// MaxUsernameLen and MaxPasswordLen bound proxy credentials, in bytes.
	MaxUsernameLen = 256
	MaxPasswordLen = 1024
)

// ProxyFunc is the type of http.Transport.Proxy: the proxy for a request, or nil for
// a direct connection.
type ProxyFunc func(*http.Request) (*url.URL, error)

// Config is how one connection reaches the network.
type Config struct {
	// Mode is none, system or manual; "" means system.
	Mode Mode
	// URL is the proxy of ModeManual in the form [ParseURL] accepts; ignored otherwise.
	URL string
	// Username and Password authenticate to a manual proxy (Basic for HTTP proxies,
	// username/password for SOCKS5). Empty Username: no authentication.
	Username string
	Password string
	// Getenv reads the proxy environment variables for ModeSystem; nil means os.Getenv.
	Getenv func(string) string
}

// String describes c without its password ("manual http://proxy:3128 as alice").
func (c Config) String() string {
	switch c.Mode {
	case ModeManual:
		s := "manual " + c.URL
		if c.Username != "" {
			s += " as " + c.Username
		}
		return s
	case "":
		return string(ModeSystem)
	}
	return string(c.Mode)
}

// Error is the error of this package.
type Error struct {
	// Op names the operation: "parse proxy URL", "check proxy settings", "find the system proxy".
	Op string
	// Input is the offending input (never a password; user info is hidden).
	Input string
	// Reason says what is wrong.
	Reason string
}

// Error implements error: `parse proxy URL "<input>": <reason>`.
func (e *Error) Error() string {
	if e.Input == "" {
		return e.Op + ": " + e.Reason
	}
	return e.Op + " " + strconv.Quote(e.Input) + ": " + e.Reason
}

// Schemes a manual proxy may use (what net/http's Transport speaks).
var schemes = map[string]bool{"http": true, "https": true, "socks5": true, "socks5h": true}

// ParseURL validates a manual proxy and returns it in canonical form
// ("http://proxy.corp:3128"). Accepted: "host:port" (meaning http://), or an http://,
// https://, socks5:// or socks5h:// URL with a host and an optional port; a trailing
// "/" is dropped. User info is refused (the user name and password are separate
// settings, so the password can live in the keychain), and so are paths, queries and
// fragments.
func ParseURL(s string) (*url.URL, error) {
	raw := strings.TrimSpace(s)
	fail := func(reason string) (*url.URL, error) {
		return nil, &Error{Op: "parse proxy URL", Input: endpoint.Redact(raw), Reason: reason}
	}
	switch {
	case raw == "":
		return fail("is empty")
	case strings.Contains(raw, "@"):
		return fail("must not contain a user name or password ('@'); enter them in their own fields")
	case strings.ContainsAny(raw, "?# \t\r\n\\"):
		return fail("must not contain a query, a fragment, spaces or backslashes")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("is not a proxy URL like http://proxy.example.com:3128")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if !schemes[u.Scheme] {
		return fail("must use http, https, socks5 or socks5h")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fail("has no host")
	}
	if u.Path != "" && u.Path != "/" || u.RawPath != "" {
		return fail("must not have a path")
	}
	// Host and port follow the endpoint rules (DNS name or IP, IPv6 in brackets, port
	// 1-65535); "https://" only lets the parser check them.
	hp, err := endpoint.Parse("https://" + u.Host)
	var ee *endpoint.Error
	if errors.As(err, &ee) {
		return fail(ee.Reason)
	} else if err != nil {
		return fail("has an invalid host or port")
	}
	return &url.URL{Scheme: u.Scheme, Host: hp.String()}, nil
}

// Check validates c without resolving anything: the mode, and for ModeManual the
// URL and the credentials' sizes.
func (c Config) Check() error {
	fail := func(reason string) error { return &Error{Op: "check proxy settings", Reason: reason} }
	switch c.Mode {
	case ModeSystem, ModeNone, "":
		return nil
	case ModeManual:
	default:
		return fail(`mode ` + strconv.Quote(string(c.Mode)) + ` must be "none", "system" or "manual"`)
	}
	if _, err := ParseURL(c.URL); err != nil {
		return err
	}
	if len(c.Username) > MaxUsernameLen || len(c.Password) > MaxPasswordLen {
		return fail("the proxy user name or password is too long")
	}
	if strings.ContainsAny(c.Username, ":\r\n") {
		return fail("the proxy user name must not contain ':' or line breaks")
	}
	if c.Password != "" && c.Username == "" {
		return fail("a proxy password needs a user name")
	}
	return nil
}

// Func returns the proxy function of c: nil for ModeNone (direct), a fixed proxy for
// ModeManual, the computer's settings for ModeSystem (see the package doc).
func (c Config) Func() (ProxyFunc, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	switch c.Mode {
	case ModeNone:
		return nil, nil
	case ModeManual:
		u, _ := ParseURL(c.URL)
		if c.Username != "" {
			u.User = url.UserPassword(c.Username, c.Password)
		}
		return http.ProxyURL(u), nil
	}
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if env := fromEnv(getenv); env != nil {
		return env, nil
	}
	return systemFunc(), nil
}

// fromEnv returns the proxy function of the proxy environment variables when they name
// a proxy (HTTPS_PROXY, HTTP_PROXY, upper or lower case, with NO_PROXY), else nil.
// Requests to loopback addresses and "localhost" never use it (net/http's rule).
func fromEnv(getenv func(string) string) ProxyFunc {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	cfg := struct{ https, http, no string }{get("HTTPS_PROXY"), get("HTTP_PROXY"), get("NO_PROXY")}
	if cfg.https == "" && cfg.http == "" {
		return nil
	}
	f := (&httpproxy.Config{HTTPProxy: cfg.http, HTTPSProxy: cfg.https, NoProxy: cfg.no}).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

// NewTransport returns a transport that reaches the network through proxy (nil:
// direct) and bounds with connect (zero: DefaultConnectTimeout) the TCP connection,
// the TLS handshake and the wait for the first byte of each answer. The whole request,
// a proxy's answer to CONNECT included, is bounded by its caller (the request's
// context).
func NewTransport(proxy ProxyFunc, connect time.Duration) *http.Transport {
	if connect <= 0 {
		connect = DefaultConnectTimeout
	}
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 proxy,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: connect,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return t
}
