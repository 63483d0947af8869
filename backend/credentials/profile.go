package credentials

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
)

// Kind says which KMS a profile talks to.
type Kind string

const (
	// KindLocal is the embedded local KMS; it needs no stored secret.
	KindLocal Kind = "local"
	// KindTencent is Tencent Cloud KMS (or any server speaking its API 3.0,
	// such as a private cloud or `kmsctl local serve` over HTTP).
	KindTencent Kind = "tencent"
)

// Values of [Profile.SecretStorage] and [TempInfo.Storage].
const (
	// StorageKeychain: the secret is in the OS keychain.
	StorageKeychain = "keychain"
	// StorageSession: the secret is only in this process's memory and is
	// lost when the app exits (no keychain was available).
	StorageSession = "session"
)

// Suites accepted in [Profile.Suite]: the .kmsenc crypto suite new files get by
// default ("" means SuiteAuto).
const (
	// SuiteAuto follows the region's standard (SM4 in a national-standard region).
	SuiteAuto = "auto"
	// SuiteAES is AES-256-GCM (.kmsenc suite 0x0001).
	SuiteAES = "aes"
	// SuiteSM4 is SM4-GCM, the national-standard (国密) suite 0x0002.
	SuiteSM4 = "sm4"
)

// Languages accepted in [Profile.Language].
const (
	LanguageZhCN = "zh-CN"
	LanguageEnUS = "en-US"
)

// Defaults and limits for profiles.
const (
	// LocalProfileName is the name of the built-in profile for the embedded KMS.
	LocalProfileName = "local"
	// DefaultRegion is used when a profile names no region.
	DefaultRegion = "ap-guangzhou"
	// DefaultEndpoint is the Tencent Cloud KMS endpoint (HTTPS, nearest region) that
	// tencent profiles get when they name none, unless their region is a financial
	// zone, which only its regional host serves ("kms.ap-shanghai-fsi.tencentcloudapi.com").
	DefaultEndpoint = "kms.tencentcloudapi.com"
	// DefaultTimeoutSeconds is the request timeout used when a profile names none.
	DefaultTimeoutSeconds = 30
	// MaxTimeoutSeconds is the largest accepted request timeout.
	MaxTimeoutSeconds = 600
	// MaxNameLen is the longest profile name, in bytes (names are ASCII).
	MaxNameLen = 64
)

// Profile is a named connection: where the KMS is and how to reach it.
// It never holds a secret; SecretIDMasked, HasSecret, SecretStorage,
// SessionOnly and the derived parts of Temporary are filled in by the
// [Store] and ignored by [Store.Save].
type Profile struct {
	// Name is 1–64 characters from letters, digits, '-', '_' and '.'.
	Name string
	Settings
	// SecretIDMasked is the stored SecretId with its middle hidden, e.g. "AKID****abcd".
	SecretIDMasked string
	// HasSecret reports whether long-term keys are stored for this profile.
	HasSecret bool
	// SecretStorage is "keychain", "session" or "" (no secret).
	SecretStorage string
	// SessionOnly is true when the secret lives only in memory because no
	// keychain is available; the UI should say it will be forgotten on exit.
	SessionOnly bool
	// Temporary describes temporary (STS) credentials, if the profile uses them.
	Temporary *TempInfo
}

// Proxy is a profile's proxy setting. The password is never part of it: it lives in
// the keychain item "<name>#proxy" ([Store.SetProxyPassword]).
type Proxy struct {
	// Mode is "system" (the default), "none" or "manual".
	Mode netproxy.Mode `json:"mode,omitempty"`
	// URL is the manual proxy in the canonical form of netproxy.ParseURL
	// ("http://proxy.corp:3128"); empty unless Mode is "manual".
	URL string `json:"url,omitempty"`
	// Username authenticates to the manual proxy; empty: none.
	Username string `json:"username,omitempty"`
	// HasPassword reports whether a proxy password is stored (derived).
	HasPassword bool `json:"-"`
	// PasswordStorage is "keychain", "session" or "" (derived for a Profile; the
	// config file records "keychain" here, an export never anything).
	PasswordStorage string `json:"passwordStorage,omitempty"`
}

// Settings are a profile's settings other than its name and credentials: what the
// config file stores, an export carries and an import brings in. A new setting is a
// field here (and a rule in normalize), nothing more.
type Settings struct {
	// Kind is "local" or "tencent".
	Kind Kind `json:"kind"`
	// Region is a Tencent Cloud region ID such as "ap-guangzhou".
	Region string `json:"region"`
	// Endpoint is the KMS endpoint in the canonical form of package
	// backend/endpoint: a host ("kms.tencentcloudapi.com",
	// "kms.ap-guangzhou.tencentcloudapi.com", meaning HTTPS) or a URL
	// ("https://gw.example.com/kms", "http://127.0.0.1:9000"). Plain HTTP is
	// refused for *.tencentcloudapi.com hosts. Save fills in [DefaultEndpoint]
	// (the regional host for a financial-zone region) when it is empty. Empty
	// for kind "local".
	Endpoint string `json:"endpoint,omitempty"`
	// TimeoutSeconds is the request timeout, 1–600.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// Language selects the language of Tencent Cloud error messages: "zh-CN" or "en-US".
	Language string `json:"language,omitempty"`
	// Recovery are offline recovery recipients ("age1…") that get a slot in every
	// file encrypted with this profile: an organisation's break-glass key, set once.
	// The store keeps them as given; backend/service checks them.
	Recovery []string `json:"recovery,omitempty"`
	// Suite is the default crypto suite of the files this profile encrypts:
	// [SuiteAuto] (also ""), [SuiteAES] or [SuiteSM4].
	Suite string `json:"suite,omitempty"`
	// Site is the Tencent Cloud site of the account: "china" (the default) or "intl".
	// With Region it decides the default Endpoint (see [DefaultEndpointFor]). Kind
	// tencent only.
	Site endpoint.Site `json:"site,omitempty"`
	// Proxy says how requests reach the network: the computer's settings (the
	// default), directly, or through a proxy the user named. Kind tencent only.
	Proxy Proxy `json:"proxy,omitzero"`
	// InsecureHTTP records that the user accepted plain http:// to a host that is not
	// this computer (requests and data keys then cross the network unencrypted). Save
	// refuses such an endpoint without it, and clears it for any other endpoint.
	InsecureHTTP bool `json:"insecureHttp,omitempty"`
}

// TempInfo describes a profile's temporary credentials. It never holds the
// token or keys themselves.
type TempInfo struct {
	// RoleArn is the role to assume with the profile's long-term keys; when
	// set, [Store.Credentials] refreshes the temporary credentials itself.
	RoleArn string
	// RoleSessionName is sent with AssumeRole.
	RoleSessionName string
	// DurationSeconds is the lifetime requested from AssumeRole.
	DurationSeconds int
	// Expiry is when the current temporary credentials expire; zero when
	// unknown (entered without an expiry) or when there are none.
	Expiry time.Time
	// HasCredentials reports whether temporary credentials are held now (derived).
	HasCredentials bool
	// SecondsLeft is the time left before Expiry, 0 when expired or unknown (derived).
	SecondsLeft int64
	// Storage is where the token is kept: "keychain", or "session" when it
	// is too large for the keychain or no keychain is available (derived).
	Storage string
}

// Secret is a profile's long-term API key pair.
type Secret struct {
	SecretID  string
	SecretKey string
}

// String hides the key so a Secret cannot leak through %v or logs.
func (s Secret) String() string {
	return fmt.Sprintf("Secret{SecretID: %s, SecretKey: [REDACTED]}", kms.MaskSecretID(s.SecretID))
}

// GoString hides the key for %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue hides the key for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidateName checks a profile name: 1–64 characters from letters, digits,
// '-', '_' and '.', and not made of dots only.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || strings.Trim(name, ".") == "" {
		return invalidf("validate profile name", "name %q must be 1-%d characters from letters, digits, '-', '_' and '.'", name, MaxNameLen)
	}
	return nil
}

// ValidateRegion checks the form of a region ID ("ap-guangzhou",
// "ap-shanghai-fsi"); regions missing from [KnownRegions] are accepted,
// since the service adds regions over time.
func ValidateRegion(region string) error {
	if !endpoint.ValidRegion(region) {
		return invalidf("validate region", "region %q is not a region ID like %q", region, DefaultRegion)
	}
	return nil
}

// ValidateLanguage accepts "zh-CN" and "en-US".
func ValidateLanguage(lang string) error {
	if lang != LanguageZhCN && lang != LanguageEnUS {
		return invalidf("validate language", "language %q must be %q or %q", lang, LanguageZhCN, LanguageEnUS)
	}
	return nil
}

// parseEndpoint parses an endpoint (see package backend/endpoint); a bad one is
// Profile.Invalid.
func parseEndpoint(s string) (endpoint.Endpoint, error) {
	e, err := endpoint.Parse(s)
	if err != nil {
		return endpoint.Endpoint{}, newErr(CodeProfileInvalid, "", "", err)
	}
	return e, nil
}

// defaultEndpoint is the KMS endpoint of a tencent profile that names none: the
// site's nearest-region host, or the regional host for a financial-zone region, which
// the nearest-region hosts do not serve.
func defaultEndpoint(site endpoint.Site, region string) (endpoint.Endpoint, error) {
	e, err := endpoint.TencentCloud(endpoint.ServiceKMS, site, region)
	if err != nil {
		return endpoint.Endpoint{}, newErr(CodeProfileInvalid, "", "", err)
	}
	return e, nil
}

// MaxRecoveryRecipients bounds a profile's recovery recipients.
const MaxRecoveryRecipients = 8

// normalizeRecovery trims and de-duplicates recovery recipients and checks their
// outline (backend/service parses them): age recipients start with "age1".
func normalizeRecovery(in []string) ([]string, error) {
	var out []string
	for _, r := range in {
		r = strings.TrimSpace(r)
		if r == "" || slices.Contains(out, r) {
			continue
		}
		if !strings.HasPrefix(r, "age1") || len(r) > 4096 || strings.ContainsFunc(r, unicode.IsSpace) {
			return nil, invalidf("validate profile", "recovery recipient %q is not an age recipient (age1…)", clip(r, 24))
		}
		out = append(out, r)
	}
	if len(out) > MaxRecoveryRecipients {
		return nil, invalidf("validate profile", "at most %d recovery recipients", MaxRecoveryRecipients)
	}
	return out, nil
}

// clip shortens s to n runes for a message.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// DefaultEndpointFor returns the endpoint a tencent profile gets when it names none,
// in the form profiles store: "kms.tencentcloudapi.com" (site "china" or ""),
// "kms.intl.tencentcloudapi.com" (site "intl"), or for a financial-zone region its
// regional host ("kms.ap-shanghai-fsi.tencentcloudapi.com"). It is "" for a site or
// region that is not valid.
func DefaultEndpointFor(site endpoint.Site, region string) string {
	e, err := defaultEndpoint(site, region)
	if err != nil {
		return ""
	}
	return e.String()
}

// ValidateSite accepts "china" and "intl".
func ValidateSite(site endpoint.Site) error {
	if site != endpoint.SiteChina && site != endpoint.SiteIntl {
		return invalidf("validate site", "site %q must be %q or %q", site, endpoint.SiteChina, endpoint.SiteIntl)
	}
	return nil
}

// normalizeProxy fills the default mode and puts a manual proxy into canonical form;
// the settings of other modes are dropped.
func normalizeProxy(p Proxy) (Proxy, error) {
	out := Proxy{Mode: p.Mode}
	switch out.Mode {
	case "":
		out.Mode = netproxy.ModeSystem
	case netproxy.ModeSystem, netproxy.ModeNone:
	case netproxy.ModeManual:
		out.URL, out.Username = strings.TrimSpace(p.URL), strings.TrimSpace(p.Username)
		cfg := netproxy.Config{Mode: out.Mode, URL: out.URL, Username: out.Username}
		if err := cfg.Check(); err != nil {
			return p, newErr(CodeProfileInvalid, "validate proxy", "", err)
		}
		u, _ := netproxy.ParseURL(out.URL)
		out.URL = u.String()
	default:
		return p, invalidf("validate proxy", "proxy mode %q must be %q, %q or %q", p.Mode, netproxy.ModeSystem, netproxy.ModeNone, netproxy.ModeManual)
	}
	return out, nil
}

// normalize fills defaults and validates p. It returns the stored form.
func normalize(p Profile) (Profile, error) {
	if err := ValidateName(p.Name); err != nil {
		return p, err
	}
	out := Profile{Name: p.Name, Settings: p.Settings}
	// Kind local reaches no network: no endpoint, site, proxy or consent. Kind
	// tencent's are checked below.
	out.Endpoint, out.Site, out.Proxy, out.InsecureHTTP = "", "", Proxy{}, false
	rec, err := normalizeRecovery(p.Recovery)
	if err != nil {
		return p, err
	}
	out.Recovery = rec
	switch out.Suite {
	case "", SuiteAuto, SuiteAES, SuiteSM4:
	default:
		return p, invalidf("validate profile", "suite %q must be %q, %q or %q", p.Suite, SuiteAuto, SuiteAES, SuiteSM4)
	}
	switch out.Kind {
	case KindLocal, KindTencent:
	case "":
		out.Kind = KindTencent
	default:
		return p, invalidf("validate profile", "kind %q must be %q or %q", p.Kind, KindLocal, KindTencent)
	}
	if out.Name == LocalProfileName && out.Kind != KindLocal {
		return p, newErr(CodeProfileBuiltin, "validate profile", fmt.Sprintf("profile %q must stay of kind %q", LocalProfileName, KindLocal), nil)
	}
	if out.Region == "" {
		out.Region = DefaultRegion
	}
	if err := ValidateRegion(out.Region); err != nil {
		return p, err
	}
	if out.Language == "" {
		out.Language = LanguageZhCN
	}
	if err := ValidateLanguage(out.Language); err != nil {
		return p, err
	}
	if out.TimeoutSeconds == 0 {
		out.TimeoutSeconds = DefaultTimeoutSeconds
	}
	if out.TimeoutSeconds < 1 || out.TimeoutSeconds > MaxTimeoutSeconds {
		return p, invalidf("validate profile", "timeout %d s must be between 1 and %d seconds", p.TimeoutSeconds, MaxTimeoutSeconds)
	}
	if out.Kind == KindTencent {
		out.Site = p.Site
		if out.Site == "" {
			out.Site = endpoint.SiteChina
		}
		if err := ValidateSite(out.Site); err != nil {
			return p, err
		}
		e, err := parseEndpoint(p.Endpoint)
		if p.Endpoint == "" {
			e, err = defaultEndpoint(out.Site, out.Region)
		}
		if err != nil {
			return p, err
		}
		out.Endpoint = e.String()
		out.InsecureHTTP = p.InsecureHTTP && e.IsPlainHTTPRemote()
		if out.Proxy, err = normalizeProxy(p.Proxy); err != nil {
			return p, err
		}
	}
	return out, nil
}

// checkPlainHTTP refuses plain http:// to a host that is not this computer unless the
// user accepted it (InsecureHTTP).
func checkPlainHTTP(op string, p Profile) error {
	if p.Kind != KindTencent || p.InsecureHTTP {
		return nil
	}
	if e, err := endpoint.Parse(p.Endpoint); err == nil && e.IsPlainHTTPRemote() {
		return newErr(CodeProfileInsecureHTTP, op, fmt.Sprintf("endpoint %s is plain http:// to another computer: requests, plaintexts and data keys would cross the network unencrypted", p.Endpoint), nil)
	}
	return nil
}

// validateSecret checks the shape of a key pair without revealing it.
func validateSecret(op string, id, key string) error {
	if err := validateToken(id, 1024); err != nil {
		return newErr(CodeSecretInvalid, op, "SecretId "+err.Error(), nil)
	}
	if err := validateToken(key, 1024); err != nil {
		return newErr(CodeSecretInvalid, op, "SecretKey "+err.Error(), nil)
	}
	return nil
}

// validateToken accepts 1..max printable, non-space ASCII characters.
func validateToken(s string, max int) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if len(s) > max {
		return fmt.Errorf("is longer than %d characters", max)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("contains a space or a character that is not printable ASCII")
		}
	}
	return nil
}
