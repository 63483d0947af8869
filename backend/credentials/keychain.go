package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	keyring "github.com/zalando/go-keyring"
)

// KeychainService is the service name of every keychain item KMS Desk
// writes. Items are keyed by (service, user): user is the profile name for
// long-term keys and "<name>#sts" for temporary credentials.
const KeychainService = "kmsdesk"

// MaxKeychainItemBytes is KMS Desk's own cap on one keychain item, in bytes.
// It is below every platform limit (Windows 2,560 bytes; macOS about 3,000
// with go-keyring) so all OSes behave the same.
const MaxKeychainItemBytes = 2048

// Default keychain timeouts.
const (
	// DefaultKeychainReadTimeout bounds background reads.
	DefaultKeychainReadTimeout = 3 * time.Second
	// DefaultKeychainWriteTimeout bounds writes and deletes, which the user
	// starts and which may have to wait for an unlock prompt.
	DefaultKeychainWriteTimeout = 60 * time.Second
)

// stsSuffix marks the keychain item that holds a profile's temporary
// credentials. '#' is not allowed in profile names, so it cannot collide.
const stsSuffix = "#sts"

// probeUser is read by KeychainStatus; no item by that name ever exists.
const probeUser = "#probe"

// Keychain stores small secrets under [KeychainService] and a user name.
// Every error it returns is an *errcode.Error with a Keychain.* code; a missing item
// is [CodeKeychainNotFound]. Implementations must be safe for concurrent use.
type Keychain interface {
	// Get returns the secret stored for user.
	Get(ctx context.Context, user string) (string, error)
	// Set creates or replaces the secret stored for user.
	Set(ctx context.Context, user, secret string) error
	// Delete removes the secret stored for user.
	Delete(ctx context.Context, user string) error
	// Backend names the store, e.g. "secret-service", "macos-keychain",
	// "windows-credential-manager" or "memory".
	Backend() string
}

// NewMemoryKeychain returns a Keychain that keeps secrets in memory only.
// It is used by tests and is never a fallback for real secrets (the Store
// labels its own session-only secrets instead).
func NewMemoryKeychain() Keychain {
	return &memoryKeychain{items: map[string]string{}}
}

type memoryKeychain struct {
	mu    sync.Mutex
	items map[string]string
}

func (m *memoryKeychain) Get(ctx context.Context, user string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", classify("read keychain item", user, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[user]
	if !ok {
		return "", classify("read keychain item", user, keyring.ErrNotFound)
	}
	return v, nil
}

func (m *memoryKeychain) Set(ctx context.Context, user, secret string) error {
	if err := ctx.Err(); err != nil {
		return classify("write keychain item", user, err)
	}
	if len(secret) > MaxKeychainItemBytes {
		return classify("write keychain item", user, keyring.ErrSetDataTooBig)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[user] = secret
	return nil
}

func (m *memoryKeychain) Delete(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return classify("delete keychain item", user, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[user]; !ok {
		return classify("delete keychain item", user, keyring.ErrNotFound)
	}
	delete(m.items, user)
	return nil
}

func (m *memoryKeychain) Backend() string { return "memory" }

// rawKeyring is the shape of go-keyring's provider.
type rawKeyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// NewSystemKeychain returns the OS keychain (Secret Service on Linux/BSD,
// Keychain on macOS, Credential Manager on Windows) through go-keyring.
// Reads give up after read, writes and deletes after write (zero means the
// defaults, 3 s and 60 s); a shorter context deadline wins. Only one call
// reaches the OS at a time, so a call stuck behind an unanswered prompt
// makes later calls time out instead of piling up. On Linux/BSD every call
// first checks that a session bus exists, so no bus daemon is ever
// autolaunched.
func NewSystemKeychain(read, write time.Duration) Keychain {
	return newTimeoutKeychain(goKeyring{}, platformBackend, read, write, platformPrecheck)
}

func newTimeoutKeychain(raw rawKeyring, backend string, read, write time.Duration, precheck func() error) *timeoutKeychain {
	if read <= 0 {
		read = DefaultKeychainReadTimeout
	}
	if write <= 0 {
		write = DefaultKeychainWriteTimeout
	}
	return &timeoutKeychain{raw: raw, backend: backend, read: read, write: write, precheck: precheck, sem: make(chan struct{}, 1)}
}

type timeoutKeychain struct {
	raw         rawKeyring
	backend     string
	read, write time.Duration
	precheck    func() error
	sem         chan struct{}
}

func (k *timeoutKeychain) Backend() string { return k.backend }

func (k *timeoutKeychain) Get(ctx context.Context, user string) (string, error) {
	var out string
	err := k.do(ctx, "read keychain item", user, k.read, func() error {
		v, err := k.raw.Get(KeychainService, user)
		out = v
		return err
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

func (k *timeoutKeychain) Set(ctx context.Context, user, secret string) error {
	if len(secret) > MaxKeychainItemBytes {
		return classify("write keychain item", user, keyring.ErrSetDataTooBig)
	}
	return k.do(ctx, "write keychain item", user, k.write, func() error {
		return k.raw.Set(KeychainService, user, secret)
	})
}

func (k *timeoutKeychain) Delete(ctx context.Context, user string) error {
	return k.do(ctx, "delete keychain item", user, k.write, func() error {
		return k.raw.Delete(KeychainService, user)
	})
}

// do runs f in its own goroutine and waits at most timeout for it. The
// goroutine cannot be stopped (go-keyring has no cancellation); it keeps
// the single slot until the OS answers. f's result is only read when it
// finishes in time, through the channel, so a late answer is discarded.
func (k *timeoutKeychain) do(ctx context.Context, op, user string, timeout time.Duration, f func() error) error {
	if k.precheck != nil {
		if err := k.precheck(); err != nil {
			return classify(op, user, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return classify(op, user, fmt.Errorf("wait for an earlier keychain call: %w", ctx.Err()))
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-k.sem }()
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("keychain library panic: %v", r)
			}
		}()
		done <- f()
	}()
	select {
	case err := <-done:
		return classify(op, user, err)
	case <-ctx.Done():
		return classify(op, user, ctx.Err())
	}
}

// classify turns a keychain library error into an *errcode.Error with a stable
// Keychain.* code.
func classify(op, user string, err error) error {
	if err == nil {
		return nil
	}
	if errcode.Has(err, "Keychain") {
		return err
	}
	op = fmt.Sprintf("%s %q", op, user)
	code, msg := classifyCode(err)
	return newErr(code, op, msg, err)
}

func classifyCode(err error) (code, msg string) {
	switch {
	case errors.Is(err, errNoSessionBus):
		return CodeKeychainNoSessionBus, "no session bus"
	case errors.Is(err, context.DeadlineExceeded):
		return CodeKeychainTimeout, "keychain did not answer in time"
	case errors.Is(err, context.Canceled):
		return CodeKeychainTimeout, "keychain call cancelled"
	case errors.Is(err, keyring.ErrNotFound):
		return CodeKeychainNotFound, "no such keychain item"
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return CodeKeychainTooLarge, fmt.Sprintf("item too large for the keychain (limit %d bytes)", MaxKeychainItemBytes)
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		return CodeKeychainUnavailable, "no keychain on this platform"
	}
	if code, msg, ok := platformClassify(err); ok {
		return code, msg
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "org.freedesktop.secrets was not provided"):
		return CodeKeychainNoSecretService, "no Secret Service provider on the session bus"
	case strings.Contains(s, "failed to unlock correct collection"), strings.Contains(s, "Cannot get secret of a locked object"):
		return CodeKeychainLocked, "keyring is locked"
	}
	return CodeKeychainUnavailable, "keychain unavailable"
}
