// Package kms is KMS Desk's client for Tencent Cloud KMS (API 2019-01-18).
//
// Every call goes through the official SDK, github.com/tencentcloud/tencentcloud-sdk-go
// (kms v20190118 on common v1.3.x). The package adds what the app needs around it:
// endpoints given as URLs, credentials that may change between calls (temporary STS
// credentials refreshed by the credential store), per-call contexts, retries with
// back-off on RequestLimitExceeded, plain Go result types with JSON tags for the UI,
// and errors that carry the Tencent Cloud error code (see [Error]).
//
// The package knows nothing of the local KMS: a caller that wants the in-process local
// KMS hands its http.RoundTripper in [Config.Transport].
package kms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kmsapi "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// DefaultEndpoint is the nearest-region endpoint of Tencent Cloud KMS.
const DefaultEndpoint = "kms.tencentcloudapi.com"

// DefaultTimeout is the request timeout used when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Credentials is one SecretId/SecretKey pair, with the session token of temporary
// (STS) credentials.
type Credentials struct {
	SecretID  string
	SecretKey string
	Token     string
}

// CredentialSource yields the credentials to sign the next request with. It is called
// before every request, so it must be cheap when nothing changed; it is where temporary
// credentials get refreshed.
type CredentialSource func(ctx context.Context) (Credentials, error)

// StaticCredentials returns a CredentialSource that always yields c.
func StaticCredentials(c Credentials) CredentialSource {
	return func(context.Context) (Credentials, error) { return c, nil }
}

// Config describes how to reach a KMS.
type Config struct {
	// Region is the KMS region, e.g. "ap-guangzhou". Required.
	Region string
	// Endpoint is a host[:port] ("kms.tencentcloudapi.com", reached over HTTPS) or a URL
	// ("http://127.0.0.1:9000", "https://kms.example.internal"). Empty means DefaultEndpoint.
	Endpoint string
	// Credentials yields the signing credentials. Required.
	Credentials CredentialSource
	// Language selects the language of error messages from the service: "zh-CN" or "en-US".
	Language string
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// Transport, when set, carries the HTTP requests (e.g. the in-process local KMS).
	Transport http.RoundTripper
	// MaxRetries is how often a call is retried after RequestLimitExceeded (default 4;
	// negative disables retries).
	MaxRetries int
}

// Client calls one KMS region with one set of credentials. It is safe for concurrent use.
type Client struct {
	sdk     *kmsapi.Client
	cfg     Config
	cred    *dynamicCredential
	retries int
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Region == "" {
		return nil, &Error{Code: CodeInvalidConfig, Message: "region is required"}
	}
	if cfg.Credentials == nil {
		return nil, &Error{Code: CodeInvalidConfig, Message: "credentials are required"}
	}
	scheme, host, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	lang := cfg.Language
	if lang != "en-US" {
		lang = "zh-CN"
	}
	cpf := profile.NewClientProfile()
	cpf.Language = lang
	cpf.HttpProfile.Endpoint = host
	cpf.HttpProfile.Scheme = scheme
	cpf.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second)
	cred := &dynamicCredential{}
	sdk, err := kmsapi.NewClient(cred, cfg.Region, cpf)
	if err != nil {
		return nil, fmt.Errorf("create kms client: %w", err)
	}
	if cfg.Transport != nil {
		sdk.WithHttpTransport(cfg.Transport)
	}
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = 4
	case retries < 0:
		retries = 0
	}
	return &Client{sdk: sdk, cfg: cfg, cred: cred, retries: retries}, nil
}

// Region returns the region the client talks to.
func (c *Client) Region() string { return c.cfg.Region }

// Endpoint returns the endpoint as configured (empty means DefaultEndpoint).
func (c *Client) Endpoint() string { return c.cfg.Endpoint }

// SDK returns the underlying official SDK client, for tests and rare actions.
// Requests sent through it directly use the credentials of the last call made through c.
func (c *Client) SDK() *kmsapi.Client { return c.sdk }

// ParseEndpoint splits an endpoint given as host[:port] or URL into the SDK's scheme
// ("HTTP" or "HTTPS") and host[:port]. A path in the URL is refused: the API lives at "/".
func ParseEndpoint(endpoint string) (scheme, host string, err error) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "HTTPS", DefaultEndpoint, nil
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", "", &Error{Code: CodeInvalidConfig, Message: fmt.Sprintf("endpoint %q is not a host or URL", endpoint)}
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return "", "", &Error{Code: CodeInvalidConfig, Message: fmt.Sprintf("endpoint %q must not have a path, query or user", endpoint)}
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "HTTP", u.Host, nil
	case "https":
		return "HTTPS", u.Host, nil
	default:
		return "", "", &Error{Code: CodeInvalidConfig, Message: fmt.Sprintf("endpoint scheme %q is not http or https", u.Scheme)}
	}
}

// dynamicCredential is the SDK credential of a Client: call refreshes it from the
// CredentialSource before each request.
type dynamicCredential struct {
	mu sync.RWMutex
	c  Credentials
}

func (d *dynamicCredential) set(c Credentials) {
	d.mu.Lock()
	d.c = c
	d.mu.Unlock()
}

func (d *dynamicCredential) GetCredential() (string, string, string) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.c.SecretID, d.c.SecretKey, d.c.Token
}

func (d *dynamicCredential) GetSecretId() string  { id, _, _ := d.GetCredential(); return id }
func (d *dynamicCredential) GetSecretKey() string { _, k, _ := d.GetCredential(); return k }
func (d *dynamicCredential) GetToken() string     { _, _, t := d.GetCredential(); return t }

var _ common.CredentialIface = (*dynamicCredential)(nil)

// call runs one SDK action: it refreshes the credentials, retries RequestLimitExceeded
// with exponential back-off and jitter, and maps every failure to *Error.
func (c *Client) call(ctx context.Context, action string, do func(ctx context.Context) error) error {
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return mapError(ctx, action, err)
		}
		creds, err := c.cfg.Credentials(ctx)
		if err != nil {
			return err // the credential store's own coded error
		}
		if creds.SecretID == "" || creds.SecretKey == "" {
			return &Error{Code: CodeNoCredentials, Action: action, Message: "no SecretId/SecretKey configured for this profile"}
		}
		c.cred.set(creds)
		err = do(ctx)
		if err == nil {
			return nil
		}
		mapped := mapError(ctx, action, err)
		if mapped.Code != "RequestLimitExceeded" && !strings.HasPrefix(mapped.Code, "RequestLimitExceeded.") || attempt >= c.retries {
			return mapped
		}
		wait := backoff + time.Duration(jitter(int64(backoff/2)))
		backoff *= 2
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return mapError(ctx, action, ctx.Err())
		case <-t.C:
		}
	}
}

// isNetTimeout reports whether err is a network timeout.
func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
