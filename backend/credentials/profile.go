package credentials

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
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
	// DefaultEndpoint is the Tencent Cloud KMS endpoint (HTTPS).
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
	Name string `json:"name"`
	// Kind is "local" or "tencent".
	Kind Kind `json:"kind"`
	// Region is a Tencent Cloud region ID such as "ap-guangzhou".
	Region string `json:"region"`
	// Endpoint is the KMS endpoint: a host ("kms.tencentcloudapi.com",
	// "kms.ap-guangzhou.tencentcloudapi.com", meaning HTTPS) or a URL
	// ("https://kms.example.internal", "http://127.0.0.1:9000"). Plain HTTP
	// is refused for *.tencentcloudapi.com hosts. Empty for kind "local".
	Endpoint string `json:"endpoint"`
	// SecretIDMasked is the stored SecretId with its middle hidden, e.g. "AKID****abcd".
	SecretIDMasked string `json:"secretIdMasked"`
	// TimeoutSeconds is the request timeout, 1–600.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// Language selects the language of Tencent Cloud error messages: "zh-CN" or "en-US".
	Language string `json:"language"`
	// HasSecret reports whether long-term keys are stored for this profile.
	HasSecret bool `json:"hasSecret"`
	// SecretStorage is "keychain", "session" or "" (no secret).
	SecretStorage string `json:"secretStorage"`
	// SessionOnly is true when the secret lives only in memory because no
	// keychain is available; the UI should say it will be forgotten on exit.
	SessionOnly bool `json:"sessionOnly"`
	// Temporary describes temporary (STS) credentials, if the profile uses them.
	Temporary *TempInfo `json:"temporary,omitempty"`
}

// TempInfo describes a profile's temporary credentials. It never holds the
// token or keys themselves.
type TempInfo struct {
	// RoleArn is the role to assume with the profile's long-term keys; when
	// set, [Store.Credentials] refreshes the temporary credentials itself.
	RoleArn string `json:"roleArn,omitempty"`
	// RoleSessionName is sent with AssumeRole.
	RoleSessionName string `json:"roleSessionName,omitempty"`
	// DurationSeconds is the lifetime requested from AssumeRole.
	DurationSeconds int `json:"durationSeconds,omitempty"`
	// Expiry is when the current temporary credentials expire; zero when
	// unknown (entered without an expiry) or when there are none.
	Expiry time.Time `json:"expiry"`
	// HasCredentials reports whether temporary credentials are held now (derived).
	HasCredentials bool `json:"hasCredentials"`
	// SecondsLeft is the time left before Expiry, 0 when expired or unknown (derived).
	SecondsLeft int64 `json:"secondsLeft"`
	// Storage is where the token is kept: "keychain", or "session" when it
	// is too large for the keychain or no keychain is available (derived).
	Storage string `json:"storage,omitempty"`
}

// Secret is a profile's long-term API key pair.
type Secret struct {
	SecretID  string
	SecretKey string
}

// String hides the key so a Secret cannot leak through %v or logs.
func (s Secret) String() string {
	return fmt.Sprintf("Secret{SecretID: %s, SecretKey: [REDACTED]}", MaskSecretID(s.SecretID))
}

// GoString hides the key for %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue hides the key for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Credentials are what a KMS client signs requests with.
type Credentials struct {
	SecretID  string
	SecretKey string
	// Token is set for temporary credentials.
	Token string
	// Expiry is when temporary credentials expire; zero for long-term keys
	// or when unknown.
	Expiry time.Time
}

// String hides the key and token so Credentials cannot leak through %v or logs.
func (c Credentials) String() string {
	tok := ""
	if c.Token != "" {
		tok = ", Token: [REDACTED]"
	}
	return fmt.Sprintf("Credentials{SecretID: %s, SecretKey: [REDACTED]%s}", MaskSecretID(c.SecretID), tok)
}

// GoString hides the key and token for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue hides the key and token for log/slog.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MaskSecretID hides the middle of a SecretId: the first four and last four
// characters stay ("AKID****abcd"). IDs of 12 characters or fewer are shown
// as "****" only, and an empty ID stays empty.
func MaskSecretID(id string) string {
	if id == "" {
		return ""
	}
	if len(id) <= 12 {
		return "****"
	}
	return id[:4] + "****" + id[len(id)-4:]
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	regionRE = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+){1,3}$`)
)

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
	if !regionRE.MatchString(region) {
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

// RegionalEndpoint returns the regional KMS host, "kms.<region>.tencentcloudapi.com".
func RegionalEndpoint(region string) string {
	return "kms." + region + ".tencentcloudapi.com"
}

// Endpoint is a parsed profile endpoint in the form the Tencent Cloud SDK
// wants: profile.HttpProfile.Scheme and .Endpoint.
type Endpoint struct {
	// Scheme is "HTTPS" or "HTTP".
	Scheme string
	// Host is host[:port] followed by an optional path, without a scheme.
	Host string
}

// ParseEndpoint validates an endpoint and splits it for the SDK. A bare host
// means HTTPS. Plain HTTP is allowed for loopback hosts and for custom
// (non-tencentcloudapi.com) hosts, never for Tencent Cloud's own domains.
// User info, queries and fragments are refused.
func ParseEndpoint(s string) (Endpoint, error) {
	const op = "validate endpoint"
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Endpoint{}, invalidf(op, "endpoint is empty")
	}
	withScheme := raw
	if !strings.Contains(raw, "://") {
		withScheme = "https://" + raw
	}
	u, err := url.Parse(withScheme)
	if err != nil {
		return Endpoint{}, newErr(CodeProfileInvalid, op, fmt.Sprintf("endpoint %q is not a URL", s), err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return Endpoint{}, invalidf(op, "endpoint %q must use https or http", s)
	}
	if u.User != nil || u.Opaque != "" || strings.ContainsAny(raw, "?#") {
		return Endpoint{}, invalidf(op, "endpoint %q must not contain user info, a query or a fragment", s)
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(host, " \t\r\n") {
		return Endpoint{}, invalidf(op, "endpoint %q has no host", s)
	}
	if port := u.Port(); port != "" {
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != port {
			return Endpoint{}, invalidf(op, "endpoint %q has an invalid port", s)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return Endpoint{}, invalidf(op, "endpoint %q has an empty port", s)
	}
	if scheme == "http" && isTencentCloudHost(host) && !isLoopback(host) {
		return Endpoint{}, invalidf(op, "endpoint %q: Tencent Cloud endpoints must use https", s)
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	return Endpoint{Scheme: strings.ToUpper(scheme), Host: strings.ToLower(u.Host) + path}, nil
}

// String renders the endpoint in the canonical form stored in profiles:
// a bare host for HTTPS, "http://host…" for HTTP.
func (e Endpoint) String() string {
	if e.Scheme == "HTTP" {
		return "http://" + e.Host
	}
	return e.Host
}

func isTencentCloudHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "tencentcloudapi.com" || strings.HasSuffix(h, ".tencentcloudapi.com")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalize fills defaults and validates p. It returns the stored form.
func normalize(p Profile) (Profile, error) {
	if err := ValidateName(p.Name); err != nil {
		return p, err
	}
	out := Profile{Name: p.Name, Kind: p.Kind, Region: p.Region, TimeoutSeconds: p.TimeoutSeconds, Language: p.Language}
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
		ep := p.Endpoint
		if ep == "" {
			ep = DefaultEndpoint
		}
		e, err := ParseEndpoint(ep)
		if err != nil {
			return p, err
		}
		out.Endpoint = e.String()
	}
	return out, nil
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
