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
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kmsapi "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
)

// DefaultEndpoint is the nearest-region endpoint of Tencent Cloud KMS (mainland site).
const DefaultEndpoint = endpoint.ServiceKMS + "." + endpoint.RootDomain

// DefaultTimeout is the request timeout used when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Credentials is one SecretId/SecretKey pair, with the session token of temporary
// (STS) credentials: what a client signs requests with. It is the one credentials type
// of KMS Desk: the credential store (backend/credentials) returns it too. Formatting it
// (%v, %#v, log/slog) shows only the masked SecretId.
type Credentials struct {
	SecretID  string
	SecretKey string
	Token     string
	// Expiry is when temporary credentials expire, if known (zero for long-term keys
	// or an unknown expiry). A call refused with AuthFailure.TokenFailure near or
	// after it fails with CodeCredentialsExpired.
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
	// ("http://127.0.0.1:9000", "https://gw.example.internal/kms"), as backend/endpoint
	// parses it. Empty means Tencent Cloud's host for the region.
	Endpoint string
	// Credentials yields the signing credentials. Required.
	Credentials CredentialSource
	// Language selects the language of error messages from the service: "zh-CN" or "en-US".
	Language string
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// Transport, when set, carries the HTTP requests (e.g. the in-process local KMS).
	Transport http.RoundTripper
	// Proxy chooses the proxy of each request (package backend/netproxy); nil connects
	// directly, whatever the environment says. Ignored when Transport is set.
	Proxy netproxy.ProxyFunc
	// ConnectTimeout bounds connecting (TCP, TLS) and the wait for the first byte of
	// each answer; zero means netproxy.DefaultConnectTimeout (10 s), and it is never
	// longer than Timeout. Ignored when Transport is set.
	ConnectTimeout time.Duration
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
		return nil, newError(CodeInvalidConfig, "", "region is required", nil)
	}
	if cfg.Credentials == nil {
		return nil, newError(CodeInvalidConfig, "", "credentials are required", nil)
	}
	ep, err := clientEndpoint(cfg.Endpoint, cfg.Region)
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
	cpf.HttpProfile.Endpoint = ep.SDKEndpoint()
	cpf.HttpProfile.Scheme = ep.SDKScheme()
	cpf.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second)
	cred := &dynamicCredential{}
	sdk, err := kmsapi.NewClient(cred, cfg.Region, cpf)
	if err != nil {
		return nil, fmt.Errorf("create kms client: %w", err)
	}
	transport := cfg.Transport
	if transport == nil {
		connect := cfg.ConnectTimeout
		if connect <= 0 {
			connect = netproxy.DefaultConnectTimeout
		}
		transport = netproxy.NewTransport(cfg.Proxy, min(connect, cfg.Timeout))
	}
	sdk.WithHttpTransport(transport)
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = 4
	case retries < 0:
		retries = 0
	}
	return &Client{sdk: sdk, cfg: cfg, cred: cred, retries: retries}, nil
}

// clientEndpoint parses a configured endpoint; "" means Tencent Cloud's KMS host for
// the region (the nearest-region host, or the regional one for financial zones).
func clientEndpoint(configured, region string) (endpoint.Endpoint, error) {
	var (
		ep  endpoint.Endpoint
		err error
	)
	if configured == "" {
		ep, err = endpoint.TencentCloud(endpoint.ServiceKMS, endpoint.SiteChina, region)
	} else {
		ep, err = endpoint.Parse(configured)
	}
	if err != nil {
		return endpoint.Endpoint{}, newError(CodeInvalidConfig, "", err.Error(), nil)
	}
	return ep, nil
}

// Region returns the region the client talks to.
func (c *Client) Region() string { return c.cfg.Region }

// Endpoint returns the endpoint as configured (empty means DefaultEndpoint).
func (c *Client) Endpoint() string { return c.cfg.Endpoint }

// SDK returns the underlying official SDK client, for tests and rare actions.
// Requests sent through it directly use the credentials of the last call made through c.
func (c *Client) SDK() *kmsapi.Client { return c.sdk }

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
// with exponential back-off and jitter, and maps every failure to a coded error.
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
			return newError(CodeNoCredentials, action, "no SecretId/SecretKey configured for this profile", nil)
		}
		c.cred.set(creds)
		err = c.attempt(ctx, do)
		if err == nil {
			return nil
		}
		mapped := mapError(ctx, action, err)
		if expired := tokenExpired(mapped, creds, time.Now()); expired != nil {
			return expired
		}
		if !retryable(mapped.Code) || attempt >= c.retries {
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

// attempt runs one try of an action within the request timeout. A try that ran out of
// time reports the deadline, so mapError names it Client.Timeout.
func (c *Client) attempt(ctx context.Context, do func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	err := do(actx)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return newError(CodeTimeout, "", fmt.Sprintf("no answer within %s", c.cfg.Timeout), err)
	}
	return err
}

// retryable reports whether a failure with code is worth retrying after a pause:
// throttling (RequestLimitExceeded and its sub-codes), except RotateKey's once-a-day
// limit, which no pause of seconds lifts.
func retryable(code string) bool {
	if code == CodeRotateRateLimited {
		return false
	}
	return code == "RequestLimitExceeded" || strings.HasPrefix(code, "RequestLimitExceeded.")
}

// send runs one SDK action through call; fn is the SDK's <Action>WithContext method.
func send[Req, Resp any](c *Client, ctx context.Context, action string, fn func(context.Context, Req) (Resp, error), req Req) (Resp, error) {
	var resp Resp
	err := c.call(ctx, action, func(ctx context.Context) (err error) {
		resp, err = fn(ctx, req)
		return err
	})
	return resp, err
}

// isNetTimeout reports whether err is a network timeout.
func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
