// Package localkmstest starts a local KMS (package localkms) for a test: in a
// temporary data directory, in process or on a loopback port, seeded with keys
// when asked, and closed when the test ends.
//
// In process, no port is opened: hand Transport to the client and sign with the
// embedded credential.
//
//	lk := localkmstest.Start(t, localkmstest.Keys("files"))
//	client, err := kms.New(kms.Config{
//		Region:      lk.Region,
//		Endpoint:    lk.URL,
//		Transport:   lk.Transport,
//		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey}),
//	})
//	keyID := lk.KeyID("files")
//
// On a loopback port, for code that must dial an endpoint itself (kmsctl
// --endpoint, a profile's Endpoint):
//
//	lk := localkmstest.Start(t, localkmstest.Loopback())
//	// lk.URL is "http://127.0.0.1:PORT"; lk.Transport is nil.
//
// With the official Go SDK, set HttpProfile.Scheme to "HTTP" and
// HttpProfile.Endpoint to lk.Host(), and call WithHttpTransport(lk.Transport)
// when Transport is not nil.
package localkmstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// InProcessURL is the URL of a local KMS started in process. Its host is only
// signed by the client, never resolved or dialled: Transport serves the
// requests.
const InProcessURL = "http://kms.localkms.internal"

// KMS is a local KMS started by [Start] for one test.
type KMS struct {
	// Server is the running server (Seed, CreateCredential, RotateKeyNow, ...).
	// The test's cleanup closes it; closing it earlier is allowed.
	Server *localkms.Server
	// Dir is its data directory, a t.TempDir() unless [Configure] set another.
	Dir string
	// Region is the region of requests that name none (localkms.DefaultRegion
	// unless configured).
	Region string
	// SecretID and SecretKey are the server's embedded credential.
	SecretID, SecretKey string
	// URL is the endpoint with its scheme: InProcessURL in process, the
	// loopback address ("http://127.0.0.1:PORT") with [Loopback].
	URL string
	// Transport serves requests in process (Server.Transport()). It is nil with
	// [Loopback], where clients dial URL.
	Transport http.RoundTripper

	t testing.TB
}

// An Option changes how [Start] starts the server.
type Option func(*settings)

type settings struct {
	loopback  bool
	configure []func(*localkms.Options)
	seeds     []string
}

// Loopback serves the KMS on a loopback port (with Server.Serve, stopped with
// the test) instead of in process.
func Loopback() Option {
	return func(s *settings) { s.loopback = true }
}

// Keys creates one ENCRYPT_DECRYPT key per alias in the default region; [KMS.KeyID]
// returns their KeyIds.
func Keys(aliases ...string) Option {
	var seed strings.Builder
	seed.WriteString("keys:\n")
	for _, a := range aliases {
		fmt.Fprintf(&seed, "  - alias: %q\n", a)
	}
	return Seed(seed.String())
}

// Seed applies a YAML seed (the format of `kmsctl local serve --seed`, see
// docs/LOCAL-KMS.md) once the server is open: keys in any region, usage, state,
// with tags or rotation. Options apply in order.
func Seed(yaml string) Option {
	return func(s *settings) { s.seeds = append(s.seeds, yaml) }
}

// Configure edits the localkms.Options before the server opens: a fake clock
// (Now), a Logger, Regions, another DataDir (to reopen one), ... DataDir and
// MasterKey (a 0600 file, never the OS keychain) are set before fn runs.
func Configure(fn func(*localkms.Options)) Option {
	return func(s *settings) { s.configure = append(s.configure, fn) }
}

// Start opens a local KMS for t, with the options applied, and registers its
// closing with t.Cleanup. It stops the test with t.Fatal if the server cannot
// start.
func Start(t testing.TB, opts ...Option) *KMS {
	t.Helper()
	var set settings
	for _, o := range opts {
		o(&set)
	}
	lo := localkms.Options{DataDir: t.TempDir(), MasterKey: localkms.MasterKeyFile}
	for _, fn := range set.configure {
		fn(&lo)
	}
	srv, err := localkms.Open(lo)
	if err != nil {
		t.Fatalf("localkmstest: open local KMS: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("localkmstest: close local KMS: %v", err)
		}
	})
	for _, seed := range set.seeds {
		if err := srv.Seed(strings.NewReader(seed)); err != nil {
			t.Fatalf("localkmstest: seed local KMS: %v", err)
		}
	}
	id, key, err := srv.EmbeddedCredential()
	if err != nil {
		t.Fatalf("localkmstest: embedded credential: %v", err)
	}
	k := &KMS{
		Server: srv, Dir: lo.DataDir, Region: defaultRegion(lo), SecretID: id, SecretKey: key,
		URL: InProcessURL, Transport: srv.Transport(), t: t,
	}
	if set.loopback {
		k.URL, k.Transport = serveLoopback(t, srv), nil
	}
	return k
}

// serveLoopback serves srv with Server.Serve (the limits of "kmsctl local
// serve") on a loopback port until the test ends, and returns its URL.
func serveLoopback(t testing.TB, srv *localkms.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("localkmstest: listen on loopback: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("localkmstest: serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// defaultRegion is the region localkms.Open makes the default of o.
func defaultRegion(o localkms.Options) string {
	switch {
	case o.Region != "":
		return o.Region
	case len(o.Regions) > 0:
		return o.Regions[0]
	}
	return localkms.DefaultRegion
}

// Host returns URL without its scheme: the host[:port] that the official SDK
// takes as HttpProfile.Endpoint.
func (k *KMS) Host() string {
	return strings.TrimPrefix(k.URL, "http://")
}

// KeyID returns the KeyId of the key with the alias in the default region, and
// stops the test with t.Fatal if there is none. Call it from the test's
// goroutine.
func (k *KMS) KeyID(alias string) string {
	k.t.Helper()
	id, ok := k.Server.LookupAlias(k.Region, alias)
	if !ok {
		k.t.Fatalf("localkmstest: no key with alias %q in %s", alias, k.Region)
	}
	return id
}
