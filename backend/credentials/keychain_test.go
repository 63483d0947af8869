package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	keyring "github.com/zalando/go-keyring"
)

// blockingRaw is a keyring whose calls block until released, like a
// Secret Service waiting on an unlock prompt nobody answers.
type blockingRaw struct {
	release chan struct{}
	calls   atomic.Int32
	inner   map[string]string
	mu      sync.Mutex
}

func newBlockingRaw() *blockingRaw {
	return &blockingRaw{release: make(chan struct{}), inner: map[string]string{}}
}

func (b *blockingRaw) wait() { b.calls.Add(1); <-b.release }

func (b *blockingRaw) Get(service, user string) (string, error) {
	b.wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.inner[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (b *blockingRaw) Set(service, user, secret string) error {
	b.wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inner[service+"/"+user] = secret
	return nil
}

func (b *blockingRaw) Delete(service, user string) error {
	b.wait()
	return nil
}

func TestKeychainTimeoutClassification(t *testing.T) {
	raw := newBlockingRaw()
	kc := newTimeoutKeychain(raw, "test", 50*time.Millisecond, 80*time.Millisecond, nil)
	ctx := context.Background()

	start := time.Now()
	_, err := kc.Get(ctx, "work")
	wantCode(t, err, CodeKeychainTimeout)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Get took %s, want about 50ms", d)
	}
	if !strings.Contains(err.Error(), `"work"`) {
		t.Fatalf("error does not name the item: %v", err)
	}

	// The first call still holds the only slot: later calls time out
	// without reaching the OS, so hung calls do not pile up.
	wantCode(t, kc.Set(ctx, "work", "v"), CodeKeychainTimeout)
	wantCode(t, kc.Delete(ctx, "work"), CodeKeychainTimeout)
	if n := raw.calls.Load(); n != 1 {
		t.Fatalf("%d calls reached the keyring while one was hung, want 1", n)
	}

	// A caller's shorter deadline wins over the configured timeout.
	slow := newBlockingRaw()
	defer close(slow.release)
	kcLong := newTimeoutKeychain(slow, "test", time.Minute, time.Minute, nil)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = kcLong.Get(short, "work")
	wantCode(t, err, CodeKeychainTimeout)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("context deadline ignored: returned after %s with a 1-minute timeout", d)
	}

	// A cancelled context is reported with the same code.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	_, err = kc.Get(cctx, "work")
	wantCode(t, err, CodeKeychainTimeout)

	// Once the OS answers, the hung call gives its slot back and the keychain
	// works again. Taking the slot here waits exactly for that.
	close(raw.release)
	kc.sem <- struct{}{}
	<-kc.sem
	kc.read, kc.write = time.Minute, time.Minute // the short timeouts were tested above
	if err := kc.Set(ctx, "work", "v"); err != nil {
		t.Fatalf("Set after release: %v", err)
	}
	if v, err := kc.Get(ctx, "work"); err != nil || v != "v" {
		t.Fatalf("Get after release = %q, %v", v, err)
	}
}

type funcRaw struct {
	get func() (string, error)
	set func(secret string) error
}

func (f funcRaw) Get(string, string) (string, error) { return f.get() }
func (f funcRaw) Set(_, _, s string) error           { return f.set(s) }
func (f funcRaw) Delete(string, string) error        { _, err := f.get(); return err }

func TestKeychainClassify(t *testing.T) {
	tests := []struct {
		name string
		raw  error
		code string
	}{
		{"not found", keyring.ErrNotFound, CodeKeychainNotFound},
		{"wrapped not found", fmt.Errorf("x: %w", keyring.ErrNotFound), CodeKeychainNotFound},
		{"too big", keyring.ErrSetDataTooBig, CodeKeychainTooLarge},
		{"unsupported platform", keyring.ErrUnsupportedPlatform, CodeKeychainUnavailable},
		{"no bus precheck", fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set", errNoSessionBus), CodeKeychainNoSessionBus},
		{"locked alias", rawLocked, CodeKeychainLocked},
		{"locked login", errorString("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'"), CodeKeychainLocked},
		{"no secret service text", rawNoService, CodeKeychainNoSecretService},
		{"deadline", context.DeadlineExceeded, CodeKeychainTimeout},
		{"other", rawOther, CodeKeychainUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := newTimeoutKeychain(funcRaw{
				get: func() (string, error) { return "", tt.raw },
				set: func(string) error { return tt.raw },
			}, "test", time.Second, time.Second, nil)
			_, err := kc.Get(context.Background(), "p")
			wantCode(t, err, tt.code)
			wantCode(t, kc.Set(context.Background(), "p", "v"), tt.code)
			if !errors.Is(err, tt.raw) {
				t.Fatalf("cause lost: %v", err)
			}
			if e := errcode.As(err); e == nil || e.Code != tt.code || HintFor(e.Code) == "" {
				t.Fatalf("not an *errcode.Error with a hinted code: %#v", err)
			}
		})
	}
}

func TestKeychainSizeCap(t *testing.T) {
	var called atomic.Bool
	kc := newTimeoutKeychain(funcRaw{
		get: func() (string, error) { return "", nil },
		set: func(string) error { called.Store(true); return nil },
	}, "test", time.Second, time.Second, nil)
	if err := kc.Set(context.Background(), "p", strings.Repeat("x", MaxKeychainItemBytes)); err != nil {
		t.Fatalf("item of exactly the cap refused: %v", err)
	}
	called.Store(false)
	wantCode(t, kc.Set(context.Background(), "p", strings.Repeat("x", MaxKeychainItemBytes+1)), CodeKeychainTooLarge)
	if called.Load() {
		t.Fatal("oversized item reached the OS keychain")
	}
	mem := NewMemoryKeychain()
	wantCode(t, mem.Set(context.Background(), "p", strings.Repeat("x", MaxKeychainItemBytes+1)), CodeKeychainTooLarge)
}

func TestKeychainPrecheckStopsCall(t *testing.T) {
	var called atomic.Bool
	kc := newTimeoutKeychain(funcRaw{
		get: func() (string, error) { called.Store(true); return "", nil },
		set: func(string) error { called.Store(true); return nil },
	}, "test", time.Second, time.Second, func() error { return fmt.Errorf("%w: test", errNoSessionBus) })
	_, err := kc.Get(context.Background(), "p")
	wantCode(t, err, CodeKeychainNoSessionBus)
	if called.Load() {
		t.Fatal("keyring called although the precheck failed")
	}
}

func TestKeychainPanicIsContained(t *testing.T) {
	kc := newTimeoutKeychain(funcRaw{
		get: func() (string, error) { panic("interface conversion") },
		set: func(string) error { return nil },
	}, "test", time.Second, time.Second, nil)
	_, err := kc.Get(context.Background(), "p")
	wantCode(t, err, CodeKeychainUnavailable)
	// The slot was released: the next call runs.
	if err := kc.Set(context.Background(), "p", "v"); err != nil {
		t.Fatalf("Set after panic: %v", err)
	}
}

func TestMemoryKeychain(t *testing.T) {
	kc := NewMemoryKeychain()
	ctx := context.Background()
	if kc.Backend() != "memory" {
		t.Fatalf("Backend = %q", kc.Backend())
	}
	_, err := kc.Get(ctx, "a")
	wantCode(t, err, CodeKeychainNotFound)
	wantCode(t, kc.Delete(ctx, "a"), CodeKeychainNotFound)
	if err := kc.Set(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := kc.Set(ctx, "a", "2"); err != nil {
		t.Fatal(err)
	}
	if v, err := kc.Get(ctx, "a"); err != nil || v != "2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := kc.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	_, err = kc.Get(ctx, "a")
	wantCode(t, err, CodeKeychainNotFound)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	wantCode(t, kc.Set(cctx, "a", "1"), CodeKeychainTimeout)
}

func TestKeychainErrorsHaveHints(t *testing.T) {
	for _, code := range []string{
		CodeKeychainNoSessionBus, CodeKeychainNoSecretService, CodeKeychainLocked, CodeKeychainDenied,
		CodeKeychainTooLarge, CodeKeychainTimeout, CodeKeychainNotFound, CodeKeychainUnavailable,
	} {
		t.Run(code, func(t *testing.T) {
			if len(HintFor(code)) < 20 {
				t.Fatalf("hint for %s is missing or too short: %q", code, HintFor(code))
			}
		})
	}
}
