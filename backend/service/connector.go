package service

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Connection kinds.
const (
	KindLocal   = "local"   // the embedded local KMS, in-process
	KindTencent = "tencent" // Tencent Cloud KMS or any endpoint that speaks its API
)

// LocalEndpoint is the host the SDK signs for when it talks to the embedded local KMS
// through its in-process transport (no socket is opened; the name never resolves).
const LocalEndpoint = "http://kms.localkms.internal"

// LocalKMS is the embedded local KMS as the services need it.
type LocalKMS interface {
	Transport() http.RoundTripper
	EmbeddedCredential() (secretID, secretKey string, err error)
}

// Connection is everything needed to reach a KMS for one profile.
type Connection struct {
	Profile  string
	Kind     string
	Region   string
	Endpoint string
	Language string
	Timeout  time.Duration
	// Credentials signs the requests; for KindLocal it is filled in by the Connector.
	// Clients are cached per profile, region, endpoint, language and timeout, so the
	// source must look the credentials up each time (it is how a changed secret or a
	// refreshed STS token reaches an existing client).
	Credentials kms.CredentialSource
}

// Resolver returns the connection to use now (the active profile in the app, the
// --profile/--endpoint flags in kmsctl).
type Resolver func(ctx context.Context) (Connection, error)

// Connector builds and caches the KMS client of the current connection.
type Connector struct {
	resolve Resolver
	local   LocalKMS

	mu     sync.Mutex
	key    string
	client *kms.Client
}

// NewConnector returns a Connector. local may be nil when no embedded KMS exists
// (then local profiles fail with a clear error).
func NewConnector(resolve Resolver, local LocalKMS) *Connector {
	return &Connector{resolve: resolve, local: local}
}

// CodeNoLocalKMS is returned for a local profile when the embedded KMS is not running.
const CodeNoLocalKMS = "App.LocalKMSUnavailable"

// Client returns the KMS client for the current connection.
func (c *Connector) Client(ctx context.Context) (*kms.Client, error) {
	conn, err := c.resolve(ctx)
	if err != nil {
		return nil, err
	}
	return c.clientFor(conn)
}

// ClientFor returns a client for an explicit connection (e.g. the profile under test
// in Settings), without changing the current one.
func (c *Connector) ClientFor(conn Connection) (*kms.Client, error) {
	return c.clientFor(conn)
}

// ClientForRegion returns a client for the current connection but another region
// (to unwrap a file key whose slot names a different region).
func (c *Connector) ClientForRegion(ctx context.Context, region string) (*kms.Client, error) {
	conn, err := c.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if region != "" {
		conn.Region = region
	}
	return c.clientFor(conn)
}

func (c *Connector) clientFor(conn Connection) (*kms.Client, error) {
	cfg := kms.Config{
		Region:      conn.Region,
		Endpoint:    conn.Endpoint,
		Language:    conn.Language,
		Timeout:     conn.Timeout,
		Credentials: conn.Credentials,
	}
	if conn.Kind == KindLocal {
		if c.local == nil {
			return nil, &Error{Code: CodeNoLocalKMS, Message: "the embedded local KMS is not running"}
		}
		cfg.Endpoint = LocalEndpoint
		cfg.Transport = c.local.Transport()
		local := c.local
		cfg.Credentials = func(context.Context) (kms.Credentials, error) {
			id, key, err := local.EmbeddedCredential()
			if err != nil {
				return kms.Credentials{}, &Error{Code: CodeNoLocalKMS, Message: "read the local KMS credential", Err: err}
			}
			return kms.Credentials{SecretID: id, SecretKey: key}, nil
		}
	}
	key := fmt.Sprintf("%s|%s|%s|%s|%s|%s", conn.Profile, conn.Kind, conn.Region, cfg.Endpoint, conn.Language, conn.Timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil && c.key == key {
		return c.client, nil
	}
	client, err := kms.New(cfg)
	if err != nil {
		return nil, err
	}
	c.key, c.client = key, client
	return client, nil
}
