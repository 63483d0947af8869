package service

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
)

// The connection model: one place decides which KMS a call goes to, for the desktop
// app (the active profile) and kmsctl (its --profile/--endpoint/--region flags and the
// SDK's environment variables) alike.

// LocalEndpoint is the host the SDK signs for when it talks to the embedded local KMS
// through its in-process transport (no socket is opened; the name never resolves).
const LocalEndpoint = "http://kms.localkms.internal"

// LocalKMS is the embedded local KMS as the services need it. The host opens it (the
// desktop app at startup, kmsctl when a local profile is used).
type LocalKMS interface {
	Transport() http.RoundTripper
	EmbeddedCredential() (secretID, secretKey string, err error)
	// InstanceIDs are the ids the local KMS answers to: its own first, then those of
	// backups restored into it; none while it is not open.
	InstanceIDs() []string
	// Backup writes a backup of every key, API key pair and instance id, sealed with
	// passphrase, to w (localkms.Server.Backup).
	Backup(w io.Writer, passphrase string) (LocalBackup, error)
	// Restore merges a backup into the local KMS, all or nothing
	// (localkms.Server.Restore).
	Restore(r io.Reader, passphrase string) (LocalRestore, error)
}

// Target is what a caller asks to connect to. The zero Target is the active profile.
type Target struct {
	// Profile names a profile; "" means the active one.
	Profile string
	// Region and Endpoint override the profile's.
	Region   string
	Endpoint string
	// Proxy overrides the profile's proxy: "none", "system" or a proxy URL (kmsctl
	// --proxy); "" keeps the profile's.
	Proxy string
	// InsecureHTTP accepts plain http:// to another computer for this run (kmsctl
	// --insecure-http); without it such an endpoint is refused unless the profile
	// records the user's consent.
	InsecureHTTP bool
	// Env lets the SDK's environment variables (TENCENTCLOUD_SECRET_ID, _SECRET_KEY,
	// _SESSION_TOKEN, _REGION) decide when no Profile is named: with an Endpoint, or
	// whenever the key pair is set, those credentials are used instead of a profile.
	Env bool
}

// Connection is everything needed to reach a KMS.
type Connection struct {
	// Profile is the profile's name, or "(environment)".
	Profile  string
	Kind     ProfileKind
	Region   string
	Endpoint string
	Language string
	Timeout  time.Duration
	// Recovery are the profile's offline recovery recipients (age1…): every file
	// encrypted over this connection gets a slot for each.
	Recovery []string
	// Proxy is how requests reach the network (password included; never shown).
	Proxy netproxy.Config
	// InsecureHTTP: the user accepted plain http:// to another computer.
	InsecureHTTP bool
	// Credentials signs the requests. For a profile they are read from the store at
	// each request (so a changed secret or a refreshed STS token reaches a cached
	// client); for the local kind the Connector fills them in.
	Credentials kms.CredentialSource
	// Suite is the profile's default crypto suite for new files ("" = auto).
	Suite Suite
}

// Label names the connection for messages ("profile work (ap-shanghai)").
func (c Connection) Label() string {
	switch {
	case c.Profile == envProfile:
		ep := c.Endpoint
		if ep == "" {
			ep = kms.DefaultEndpoint
		}
		return fmt.Sprintf("%s (%s)", ep, c.Region)
	case c.Kind == KindLocal:
		return fmt.Sprintf("profile %s (local KMS)", c.Profile)
	}
	return fmt.Sprintf("profile %s (%s)", c.Profile, c.Region)
}

// envProfile is the Profile of a connection made from the environment.
const envProfile = "(environment)"

// profileStore opens the profile store on first use, so kmsctl run with credentials
// from the environment never creates KMS Desk's settings folder.
type profileStore struct {
	opts  credentials.Options
	once  sync.Once
	store *credentials.Store
	err   error
}

func (p *profileStore) get() (*credentials.Store, error) {
	p.once.Do(func() { p.store, p.err = credentials.Open(p.opts) })
	return p.store, p.err
}

// Connector resolves the Target and builds and caches the KMS client of the current
// connection.
type Connector struct {
	profiles *profileStore
	local    LocalKMS
	target   Target
	getenv   func(string) string

	mu      sync.Mutex
	clients map[string]*kms.Client // by connection; jobs reach several regions at once
}

// maxClients bounds the client cache; past it the cache starts again.
const maxClients = 32

// newConnector returns a Connector for target. local may be nil when no embedded KMS
// exists (local profiles then fail with App.LocalKMSUnavailable); getenv nil means
// os.Getenv.
func newConnector(profiles *profileStore, local LocalKMS, target Target, getenv func(string) string) *Connector {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Connector{profiles: profiles, local: local, target: target, getenv: getenv}
}

// Current resolves the connection to use now.
func (c *Connector) Current() (Connection, error) {
	t := c.target
	if t.Profile == "" && t.Env {
		id, key := c.getenv("TENCENTCLOUD_SECRET_ID"), c.getenv("TENCENTCLOUD_SECRET_KEY")
		switch {
		case id != "" && key != "":
			creds := kms.Credentials{SecretID: id, SecretKey: key, Token: c.getenv("TENCENTCLOUD_SESSION_TOKEN")}
			conn := Connection{Profile: envProfile, Kind: KindTencent, Region: firstNonEmpty(t.Region, c.getenv("TENCENTCLOUD_REGION"), credentials.DefaultRegion),
				Endpoint: t.Endpoint, Language: credentials.LanguageEnUS, Credentials: kms.StaticCredentials(creds),
				Proxy: netproxy.Config{Mode: netproxy.ModeSystem, Getenv: c.getenv}}
			return c.override(conn)
		case t.Endpoint != "":
			return Connection{}, invalid("an endpoint needs credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or use a profile")
		}
	}
	store, err := c.profiles.get()
	if err != nil {
		return Connection{}, err
	}
	p := store.Active()
	if t.Profile != "" {
		if p, err = store.Get(t.Profile); err != nil {
			return Connection{}, err
		}
	}
	conn, err := forProfile(store, p)
	if err != nil {
		return Connection{}, err
	}
	if t.Region != "" {
		conn.Region = t.Region
	}
	if t.Endpoint != "" {
		conn.Endpoint, conn.InsecureHTTP = t.Endpoint, false
	}
	return c.override(conn)
}

// override applies the Target's proxy and plain-HTTP consent to conn, and refuses
// plain http:// to another computer without consent.
func (c *Connector) override(conn Connection) (Connection, error) {
	t := c.target
	switch t.Proxy {
	case "":
	case string(netproxy.ModeNone), string(netproxy.ModeSystem):
		conn.Proxy = netproxy.Config{Mode: netproxy.Mode(t.Proxy), Getenv: c.getenv}
	default:
		conn.Proxy = netproxy.Config{Mode: netproxy.ModeManual, URL: t.Proxy}
		if err := conn.Proxy.Check(); err != nil {
			return Connection{}, errcode.Wrap(CodeInvalidInput, "use the proxy", err)
		}
	}
	conn.InsecureHTTP = conn.InsecureHTTP || t.InsecureHTTP
	return conn, checkPlainHTTP(conn)
}

// checkPlainHTTP refuses a connection over plain http:// to another computer that the
// user did not accept (the rule the profile store applies when a profile is saved).
func checkPlainHTTP(conn Connection) error {
	if conn.Kind == KindLocal || conn.InsecureHTTP || conn.Endpoint == "" {
		return nil
	}
	if ep, err := endpoint.Parse(conn.Endpoint); err == nil && ep.IsPlainHTTPRemote() {
		return errcode.New(credentials.CodeProfileInsecureHTTP, fmt.Sprintf(
			"%s would send requests, plaintexts and data keys unencrypted over the network to %s: use https, or accept plain HTTP for this profile", conn.Label(), conn.Endpoint))
	}
	return nil
}

// forProfile turns a stored profile into a Connection whose credentials are read
// from the store at each request; the proxy password is read now.
func forProfile(store *credentials.Store, p credentials.Profile) (Connection, error) {
	conn := Connection{Profile: p.Name, Kind: ProfileKind(p.Kind), Region: p.Region, Endpoint: p.Endpoint,
		Language: p.Language, Timeout: time.Duration(p.TimeoutSeconds) * time.Second, Recovery: p.Recovery, Suite: Suite(p.Suite),
		InsecureHTTP: p.InsecureHTTP}
	if p.Kind != credentials.KindLocal {
		var err error
		if conn.Proxy, err = store.ProxyConfig(context.Background(), p.Name); err != nil {
			return Connection{}, err
		}
		name := p.Name
		// The store's credentials carry the expiry, which lets the client tell the user
		// that temporary credentials expired when the service refuses their token
		// (Credentials.Expired).
		conn.Credentials = func(ctx context.Context) (kms.Credentials, error) { return store.Credentials(ctx, name) }
	}
	return conn, nil
}

// Client returns the KMS client of the current connection.
func (c *Connector) Client(context.Context) (*kms.Client, error) {
	conn, err := c.Current()
	if err != nil {
		return nil, err
	}
	return c.clientFor(conn)
}

// connectionOf is the connection of a stored profile; "" is the current one.
func (c *Connector) connectionOf(profile string) (Connection, error) {
	if profile == "" {
		return c.Current()
	}
	store, err := c.profiles.get()
	if err != nil {
		return Connection{}, err
	}
	p, err := store.Get(profile)
	if err != nil {
		return Connection{}, err
	}
	return forProfile(store, p)
}

// ClientForProfile returns a client for a stored profile (e.g. the one under test in
// Settings) without changing the current connection.
func (c *Connector) ClientForProfile(name string) (*kms.Client, error) {
	conn, err := c.connectionOf(name)
	if err != nil {
		return nil, err
	}
	if err := checkPlainHTTP(conn); err != nil {
		return nil, err
	}
	return c.clientFor(conn)
}

func (c *Connector) clientFor(conn Connection) (*kms.Client, error) {
	cfg := kms.Config{Region: conn.Region, Endpoint: conn.Endpoint, Language: conn.Language,
		Timeout: conn.Timeout, Credentials: conn.Credentials}
	if conn.Kind != KindLocal {
		proxy, err := conn.Proxy.Func()
		if err != nil {
			return nil, errcode.Wrap(credentials.CodeProfileInvalid, "use the proxy", err)
		}
		cfg.Proxy = proxy
	}
	if conn.Kind == KindLocal {
		if c.local == nil {
			return nil, errcode.New(CodeNoLocalKMS, "the embedded local KMS is not running")
		}
		local := c.local
		cfg.Endpoint, cfg.Transport = LocalEndpoint, local.Transport()
		cfg.Credentials = func(context.Context) (kms.Credentials, error) {
			id, key, err := local.EmbeddedCredential()
			if err != nil {
				return kms.Credentials{}, errcode.Wrap(CodeNoLocalKMS, "read the local KMS credential", err)
			}
			return kms.Credentials{SecretID: id, SecretKey: key}, nil
		}
	}
	// The key names the proxy password only by a digest.
	pw := sha256.Sum256([]byte(conn.Proxy.Password))
	key := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%x", conn.Profile, conn.Kind, conn.Region, cfg.Endpoint, conn.Language, conn.Timeout,
		conn.Proxy, pw[:8])
	c.mu.Lock()
	defer c.mu.Unlock()
	if client, ok := c.clients[key]; ok {
		return client, nil
	}
	client, err := kms.New(cfg)
	if err != nil {
		return nil, err
	}
	if c.clients == nil || len(c.clients) >= maxClients {
		c.clients = map[string]*kms.Client{}
	}
	c.clients[key] = client
	return client, nil
}

// localInstances are the ids of this computer's local KMS (none when it is not open).
func (c *Connector) localInstances() []string {
	if c.local == nil {
		return nil
	}
	return c.local.InstanceIDs()
}

// CodeOtherLocalKMS: a file's key lives in the local KMS of another computer.
const CodeOtherLocalKMS = "LocalKMS.OtherComputer"

// jobKMS is the KMS a file job reaches for a route (jobs.ClientSource): "" or a
// region is the current connection (in that region); the region of a local-KMS slot,
// "<instance>/<region>", is this computer's local KMS whatever profile is active, if
// it is the instance that made the slot.
func (c *Connector) jobKMS(route string) (jobs.KMS, error) { return c.jobKMSOf("", route) }

// jobSource is jobs.ClientSource for the keys of a profile ("" = the current
// connection): what a re-wrap to another profile's keys uses.
func (c *Connector) jobSource(profile string) jobs.ClientSource {
	return func(_ context.Context, route string) (jobs.KMS, error) { return c.jobKMSOf(profile, route) }
}

// jobKMSOf is jobKMS for the keys of a profile ("" = the current connection).
func (c *Connector) jobKMSOf(profile, route string) (jobs.KMS, error) {
	inst, region, local := envelope.SplitLocalRegion(route)
	conn := Connection{Profile: credentials.LocalProfileName, Kind: KindLocal, Region: region}
	if !local {
		var err error
		if conn, err = c.connectionOf(profile); err != nil {
			return jobs.KMS{}, err
		}
		if route != "" {
			conn.Region = route
		}
	}
	var own string
	if conn.Kind == KindLocal {
		if c.local == nil {
			return jobs.KMS{}, errcode.New(CodeNoLocalKMS, "the embedded local KMS is not running")
		}
		ids := c.local.InstanceIDs()
		if len(ids) == 0 {
			// The embedded KMS did not open: the credential lookup says why.
			if _, _, err := c.local.EmbeddedCredential(); err != nil {
				return jobs.KMS{}, errcode.Wrap(CodeNoLocalKMS, "open the local KMS", err)
			}
			return jobs.KMS{}, errcode.New(CodeNoLocalKMS, "the embedded local KMS is not running")
		}
		if local && !slices.Contains(ids, inst) {
			return jobs.KMS{}, errcode.New(CodeOtherLocalKMS, fmt.Sprintf("made with the local KMS of another computer (id %s): restore that computer's backup of its local keys here, or ask its owner to move the file to a Tencent Cloud key", inst))
		}
		own = ids[0]
	}
	client, err := c.clientFor(conn)
	return jobs.KMS{Client: client, LocalInstance: own}, err
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
