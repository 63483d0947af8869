package credentials

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	keyring "github.com/zalando/go-keyring"
)

// Test key material. Shaped like real Tencent keys (36 / 32 characters)
// so masking and size checks see realistic values.
const (
	testSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	testSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	testSecretID2 = "AKIDrotatedrotatedrotatedrotated9999"
	testSecretKy2 = "RotatedKeyRotatedKeyRotatedKey99"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeKeychain wraps a memory keychain and can fail chosen operations
// with chosen raw errors (classified like real ones).
type fakeKeychain struct {
	inner Keychain
	mu    sync.Mutex
	fail  map[string]error // "get", "set", "delete" -> raw cause
	calls map[string]int
	// afterSet, when set, runs after each successful Set.
	afterSet func(user string)
}

func newFakeKeychain() *fakeKeychain {
	return &fakeKeychain{inner: NewMemoryKeychain(), fail: map[string]error{}, calls: map[string]int{}}
}

func (f *fakeKeychain) setFail(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.fail, op)
		return
	}
	f.fail[op] = err
}

func (f *fakeKeychain) failAll(err error) {
	for _, op := range []string{"get", "set", "delete"} {
		f.setFail(op, err)
	}
}

func (f *fakeKeychain) check(op, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if err, ok := f.fail[op]; ok {
		return classify(op+" keychain item", user, err)
	}
	return nil
}

func (f *fakeKeychain) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeKeychain) Get(ctx context.Context, user string) (string, error) {
	if err := f.check("get", user); err != nil {
		return "", err
	}
	return f.inner.Get(ctx, user)
}

func (f *fakeKeychain) Set(ctx context.Context, user, secret string) error {
	if err := f.check("set", user); err != nil {
		return err
	}
	if err := f.inner.Set(ctx, user, secret); err != nil {
		return err
	}
	if f.afterSet != nil {
		f.afterSet(user)
	}
	return nil
}

func (f *fakeKeychain) Delete(ctx context.Context, user string) error {
	if err := f.check("delete", user); err != nil {
		return err
	}
	return f.inner.Delete(ctx, user)
}

func (f *fakeKeychain) Backend() string { return "fake" }

// has reports whether the inner keychain holds an item for user.
func (f *fakeKeychain) has(t *testing.T, user string) bool {
	t.Helper()
	_, err := f.inner.Get(context.Background(), user)
	if err != nil && errcode.Code(err) != CodeKeychainNotFound {
		t.Fatalf("inner keychain: %v", err)
	}
	return err == nil
}

// Raw causes in the shapes go-keyring returns them (see the research notes, A.5).
var (
	rawNoBus     = errNoSessionBus
	rawLocked    = errorString("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	rawNoService = errorString("The name org.freedesktop.secrets was not provided by any .service files")
	rawNotFound  = keyring.ErrNotFound
	rawNoKeyring = keyring.ErrUnsupportedPlatform
	rawTimeout   = context.DeadlineExceeded
	rawOther     = errorString("something odd happened")
)

type errorString string

func (e errorString) Error() string { return string(e) }

type testEnv struct {
	store *Store
	kc    *fakeKeychain
	clock *fakeClock
	dir   string
	home  string
	env   map[string]string
}

// newTestEnv opens a Store in a temp dir with a fake keychain, a fake clock,
// a fake environment and a temp HOME.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	root := t.TempDir()
	e := &testEnv{
		kc: newFakeKeychain(), clock: newFakeClock(),
		dir: filepath.Join(root, "config", "kmsdesk"), home: filepath.Join(root, "home"),
		env: map[string]string{},
	}
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		t.Fatal(err)
	}
	e.store = e.open(t)
	return e
}

func (e *testEnv) open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{
		ConfigDir: e.dir, Keychain: e.kc, Now: e.clock.Now, HomeDir: e.home,
		Getenv: func(k string) string { return e.env[k] },
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// configBytes returns the raw profiles file.
func (e *testEnv) configBytes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertNoSecrets fails if data contains any of the given secrets.
func assertNoSecrets(t *testing.T, what string, data []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(string(data), s) {
			t.Fatalf("%s contains a secret (%d bytes of it):\n%s", what, len(s), data)
		}
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want code %s", code)
	}
	if got := errcode.Code(err); got != code {
		t.Fatalf("got code %q (%v), want %q", got, err, code)
	}
}

func mustSave(t *testing.T, s *Store, p Profile, sec *Secret) Profile {
	t.Helper()
	got, err := s.Save(p, sec)
	if err != nil {
		t.Fatalf("Save(%q): %v", p.Name, err)
	}
	return got
}

func tencent(name string) Profile {
	return Profile{Name: name, Settings: Settings{Kind: KindTencent, Region: "ap-shanghai"}}
}
