// Package endpoint is the one place that knows what a KMS Desk endpoint is: where a
// Tencent Cloud API 3.0 service (KMS, STS) or a server speaking the same API (a private
// cloud, an API gateway, the local KMS) is reached.
//
// [Parse] accepts what users type — a bare host ("kms.tencentcloudapi.com", meaning
// HTTPS), host:port, or an http:// or https:// URL, with IPv6 literals in brackets and an
// optional path prefix ("https://gw.example.com/kms") — and refuses user info, queries
// and fragments. An [Endpoint] prints in one canonical form ([Endpoint.String], what
// profiles store) and gives the Tencent Cloud Go SDK what it needs
// ([Endpoint.SDKScheme] and [Endpoint.SDKEndpoint] for profile.HttpProfile).
//
// [TencentCloud], [Regional] and [Endpoint.Sibling] hold Tencent Cloud's naming rules:
// "<service>.tencentcloudapi.com" reaches the nearest region of the Chinese mainland
// site, "<service>.intl.tencentcloudapi.com" that of the international site, and
// "<service>.<region>.tencentcloudapi.com" one region; financial-zone regions
// ("ap-shanghai-fsi") are served only by their regional host.
//
// The package imports no other KMS Desk package. Its errors are *[Error]; an input
// echoed in an error message never shows user info ("user:pass@" becomes "***@").
package endpoint

import (
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Tencent Cloud names.
const (
	// RootDomain is the domain of every Tencent Cloud API 3.0 endpoint.
	RootDomain = "tencentcloudapi.com"
	// ServiceKMS is the service label of Key Management Service.
	ServiceKMS = "kms"
	// ServiceSTS is the service label of Security Token Service (AssumeRole).
	ServiceSTS = "sts"
)

// Site is a Tencent Cloud site: the Chinese mainland site (cloud.tencent.com) or the
// international site (tencentcloud.com). Only the nearest-region host differs.
type Site string

// Sites.
const (
	// SiteChina is the Chinese mainland site, the default.
	SiteChina Site = "china"
	// SiteIntl is the international site.
	SiteIntl Site = "intl"
)

// Endpoint is a parsed, validated endpoint. The zero value is "no endpoint"
// ([Endpoint.IsZero]). Endpoints are comparable: two endpoints are == exactly when
// their canonical forms are equal.
type Endpoint struct {
	scheme string // "https" or "http"
	host   string // lower-case host name or IP address, without brackets
	port   string // decimal port, or "" for the scheme's default
	path   string // escaped path prefix without a trailing slash, or ""
}

// Error is the error of [Parse], [MustParse], [TencentCloud] and [Regional].
type Error struct {
	// Op names the operation: "parse endpoint" or "build endpoint".
	Op string
	// Input is the offending input with any user info replaced by "***" (see [Redact]).
	Input string
	// Reason says what is wrong, e.g. "must not contain user info".
	Reason string
}

// Error implements error: `parse endpoint "<input>": <reason>`.
func (e *Error) Error() string {
	return e.Op + " " + strconv.Quote(e.Input) + ": " + e.Reason
}

// Parse validates an endpoint and returns it in canonical form. Accepted forms:
//
//	kms.tencentcloudapi.com             bare host: HTTPS
//	kms.corp.example:8443               host:port: HTTPS
//	https://gw.example.com/kms          URL, with an optional path prefix
//	http://127.0.0.1:9000, http://[::1]:9000
//
// The scheme and host are case-insensitive and stored in lower case; a trailing "/" is
// dropped. User info (any '@', in the path also as %40), queries, fragments, unbracketed
// IPv6 addresses and IPv6 zones are refused, and so is plain http:// to a Tencent Cloud host
// (*.tencentcloudapi.com), whose API is HTTPS only. Plain http:// to any other host is
// accepted; [Endpoint.IsPlainHTTPRemote] tells when it leaves the machine.
func Parse(s string) (Endpoint, error) {
	raw := strings.TrimSpace(s)
	fail := func(reason string) (Endpoint, error) {
		return Endpoint{}, &Error{Op: "parse endpoint", Input: Redact(raw), Reason: reason}
	}
	if raw == "" {
		return fail("is empty")
	}
	if strings.Contains(raw, "@") {
		return fail("must not contain user info ('@')")
	}
	if strings.ContainsAny(raw, "?#") {
		return fail("must not contain a query or a fragment")
	}
	withScheme := raw
	if !strings.Contains(raw, "://") {
		withScheme = "https://" + raw
	}
	u, err := url.Parse(withScheme)
	if err != nil {
		// Not wrapped: url's error repeats the input, user info included.
		return fail("is not a host or an http(s) URL")
	}
	e := Endpoint{scheme: strings.ToLower(u.Scheme)}
	if e.scheme != "https" && e.scheme != "http" {
		return fail("must use https or http")
	}
	if u.Opaque != "" || u.Host == "" {
		return fail("has no host")
	}
	var reason string
	if e.host, e.port, reason = splitHost(u.Host); reason != "" {
		return fail(reason)
	}
	if strings.Contains(u.Path, "@") { // "%40" in the input: its canonical form would show an '@'
		return fail("must not contain user info ('@')")
	}
	e.path = strings.TrimRight(u.EscapedPath(), "/")
	if e.scheme == "http" && e.IsTencentCloud() {
		return fail("Tencent Cloud endpoints must use https")
	}
	return e, nil
}

// MustParse is [Parse] for endpoints known to be valid, such as constants; it panics
// on an error.
func MustParse(s string) Endpoint {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

// splitHost validates the host[:port] part of a URL and splits it into a canonical
// host and port. It returns a reason when they are not acceptable.
func splitHost(hostport string) (host, port, reason string) {
	bracketed := strings.HasPrefix(hostport, "[")
	host = hostport
	if bracketed {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", "", "has an unterminated IPv6 address"
		}
		host, port = hostport[1:end], hostport[end+1:]
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i:]
	}
	if port != "" {
		if port[0] != ':' {
			return "", "", "has text after its IPv6 address"
		}
		port = port[1:]
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", "", "has an invalid port (want 1-65535)"
		}
	}
	addr, err := netip.ParseAddr(host)
	switch {
	case bracketed && (err != nil || !addr.Is6() || addr.Zone() != ""):
		return "", "", "has an invalid IPv6 address (zones are not supported)"
	case bracketed || err == nil && addr.Is4():
		return addr.String(), port, ""
	case err == nil:
		return "", "", "has an IPv6 address without brackets"
	}
	host = strings.ToLower(host)
	if !validHostname(host) {
		return "", "", "has an invalid host name"
	}
	return host, port, ""
}

// validHostname accepts DNS names: dot-separated labels of 1-63 letters, digits, '-'
// and '_' that do not start or end with '-', at most 253 characters, with an optional
// trailing dot. host is lower case.
func validHostname(host string) bool {
	h := strings.TrimSuffix(host, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Redact returns s with any user info of a URL replaced by "***": everything from the
// start of the authority (after a "://" that comes before the first '@', or else the
// start of s) up to the last '@' is hidden, so "https://user:pass@host/x" becomes
// "https://***@host/x". It errs on the side of hiding: a password may itself contain
// '@', '/' or "://".
func Redact(s string) string {
	first, last := strings.IndexByte(s, '@'), strings.LastIndexByte(s, '@')
	if first < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && i < first {
		start = i + 3
	}
	return s[:start] + "***" + s[last:]
}

// IsZero reports whether e is the zero Endpoint (none was given).
func (e Endpoint) IsZero() bool { return e == Endpoint{} }

// Scheme returns "https" or "http".
func (e Endpoint) Scheme() string { return e.scheme }

// Host returns the host name or IP address, in lower case, without brackets.
func (e Endpoint) Host() string { return e.host }

// Port returns the port, or "" when the scheme's default is used.
func (e Endpoint) Port() string { return e.port }

// Path returns the path prefix ("/kms"), escaped, without a trailing slash; "" when
// the API lives at the root.
func (e Endpoint) Path() string { return e.path }

// hostPort returns host[:port], with an IPv6 address in brackets.
func (e Endpoint) hostPort() string {
	h := e.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if e.port != "" {
		h += ":" + e.port
	}
	return h
}

// String returns the canonical form, the one profiles store: the bare host[:port] for
// HTTPS without a path ("kms.tencentcloudapi.com"), a URL otherwise
// ("http://127.0.0.1:9000", "https://gw.example.com/kms"). Parse(e.String()) == e.
// The zero Endpoint gives "".
func (e Endpoint) String() string {
	if e.IsZero() {
		return ""
	}
	if e.scheme == "https" && e.path == "" {
		return e.hostPort()
	}
	return e.URL()
}

// URL returns the endpoint as a full URL, always with its scheme
// ("https://kms.tencentcloudapi.com"). The zero Endpoint gives "".
func (e Endpoint) URL() string {
	if e.IsZero() {
		return ""
	}
	return e.scheme + "://" + e.hostPort() + e.path
}

// SDKScheme returns the value for the Tencent Cloud SDK's profile.HttpProfile.Scheme:
// "HTTPS" or "HTTP".
func (e Endpoint) SDKScheme() string { return strings.ToUpper(e.scheme) }

// SDKEndpoint returns the value for the Tencent Cloud SDK's
// profile.HttpProfile.Endpoint: host[:port] followed by the path prefix
// ("gw.example.com/kms"). The SDK (common v1.3.x) sends requests to that path and signs
// the canonical URI "/", which is what an API gateway in front of the service expects.
func (e Endpoint) SDKEndpoint() string { return e.hostPort() + e.path }

// IsLoopback reports whether the host is this machine: "localhost", 127.0.0.0/8, ::1
// or an IPv4-mapped loopback address.
func (e Endpoint) IsLoopback() bool {
	if e.host == "localhost" || e.host == "localhost." {
		return true
	}
	addr, err := netip.ParseAddr(e.host)
	return err == nil && addr.Unmap().IsLoopback()
}

// IsPlainHTTPRemote reports whether requests to e travel unencrypted over the network:
// plain http:// to a host that is not loopback. Such endpoints are allowed (a private
// cloud on an internal network) but deserve a warning, since signed requests and
// their payloads can be read on the way.
func (e Endpoint) IsPlainHTTPRemote() bool {
	return e.scheme == "http" && !e.IsLoopback()
}

// IsTencentCloud reports whether the host is in Tencent Cloud's API domain
// (*.tencentcloudapi.com).
func (e Endpoint) IsTencentCloud() bool {
	h := strings.TrimSuffix(e.host, ".")
	return h == RootDomain || strings.HasSuffix(h, "."+RootDomain)
}

// Sibling returns the endpoint of another Tencent Cloud service ("kms", "sts") at the
// same place. For a Tencent Cloud host "<svc>.<rest>" it is "<service>.<rest>" over
// HTTPS with the same port and no path: the same site, region and network
// ("kms.intl.tencentcloudapi.com" → "sts.intl.tencentcloudapi.com",
// "kms.ap-shanghai-fsi.tencentcloudapi.com" → "sts.ap-shanghai-fsi.tencentcloudapi.com");
// the bare root domain gives "<service>.tencentcloudapi.com". Any other endpoint (a
// private cloud, a gateway, the local KMS) answers every service itself and is returned
// unchanged.
func (e Endpoint) Sibling(service string) (Endpoint, error) {
	if err := checkService(service); err != nil {
		return Endpoint{}, err
	}
	if !e.IsTencentCloud() {
		return e, nil
	}
	rest := e.host
	if strings.TrimSuffix(e.host, ".") != RootDomain {
		_, rest, _ = strings.Cut(e.host, ".")
	}
	return Endpoint{scheme: "https", host: service + "." + rest, port: e.port}, nil
}

var (
	serviceRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,30}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+){1,3}$`)
)

// ValidRegion reports whether region has the form of a Tencent Cloud region ID
// ("ap-guangzhou", "na-siliconvalley", "ap-shanghai-fsi"). It does not check that the
// region exists: Tencent Cloud adds regions over time.
func ValidRegion(region string) bool { return regionRE.MatchString(region) }

// IsFinancialRegion reports whether region is in a financial zone ("ap-shanghai-fsi",
// "ap-shenzhen-fsi", "ap-beijing-fsi"). Financial zones are isolated from the other
// regions: the nearest-region hosts do not serve them, only their regional host does.
func IsFinancialRegion(region string) bool { return strings.HasSuffix(region, "-fsi") }

// TencentCloud returns the endpoint of a Tencent Cloud service ("kms", "sts") for a
// site and a region. It is the site's nearest-region host — "kms.tencentcloudapi.com"
// for [SiteChina] (also when site is ""), "kms.intl.tencentcloudapi.com" for [SiteIntl]
// — which serves every ordinary region, and for a financial-zone region the regional
// host, the only one that serves it ("kms.ap-shanghai-fsi.tencentcloudapi.com"). An
// empty region means the nearest region.
func TencentCloud(service string, site Site, region string) (Endpoint, error) {
	if region != "" {
		e, err := Regional(service, region)
		if err != nil || IsFinancialRegion(region) {
			return e, err
		}
	} else if err := checkService(service); err != nil {
		return Endpoint{}, err
	}
	switch site {
	case SiteChina, "":
		return tencentHost(service, ""), nil
	case SiteIntl:
		return tencentHost(service, "intl."), nil
	}
	return Endpoint{}, buildError(string(site), `is not a Tencent Cloud site ("china" or "intl")`)
}

// Regional returns the regional host of a Tencent Cloud service,
// "<service>.<region>.tencentcloudapi.com", which both sites share.
func Regional(service, region string) (Endpoint, error) {
	if err := checkService(service); err != nil {
		return Endpoint{}, err
	}
	if !ValidRegion(region) {
		return Endpoint{}, buildError(region, `is not a region ID like "ap-guangzhou"`)
	}
	return tencentHost(service, region+"."), nil
}

// tencentHost returns https://<service>.<zone>tencentcloudapi.com; zone is "" or ends
// with a dot.
func tencentHost(service, zone string) Endpoint {
	return Endpoint{scheme: "https", host: service + "." + zone + RootDomain}
}

func checkService(service string) error {
	if !serviceRE.MatchString(service) {
		return buildError(service, `is not a Tencent Cloud service name like "kms"`)
	}
	return nil
}

func buildError(input, reason string) error {
	return &Error{Op: "build endpoint", Input: input, Reason: reason}
}
