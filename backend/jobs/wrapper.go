package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// ClientSource returns the KMS client for a region; "" means the connection's default
// region. backend/service passes Connector.ClientForRegion.
type ClientSource func(ctx context.Context, region string) (*kms.Client, error)

// Wrapper adapts Tencent Cloud KMS clients to envelope's KeyWrapper, Unwrapper and
// RegionRouter: GenerateDataKey (AES_256) for the primary slot, Encrypt for backup
// slots, Decrypt to unwrap (envelope then checks the KeyId KMS reports against the
// slot). It also does direct-mode Encrypt/Decrypt of small files.
//
// A Wrapper bounds the KMS requests in flight, keeps one client per region and caches
// unwrapped data keys keyed by (region, key id, wrapped blob, encryption context):
// concurrent requests for the same blob share one KMS call, and every caller gets its
// own copy of the key (envelope zeroes the copies it is given). Non-transient KMS
// errors are cached too, so a batch under a disabled key fails fast. Close zeroes the
// cache. A Wrapper is meant to live for one job; it is safe for concurrent use.
type Wrapper struct {
	st     *wrapperState
	region string // for ForRegion views; "" = default
}

type wrapperState struct {
	src   ClientSource
	limit chan struct{}

	mu      sync.Mutex
	clients map[string]*kms.Client
	cache   map[unwrapKey]*unwrapEntry
	closed  bool
}

type unwrapKey struct{ region, keyID, wrapped, ec string }

type unwrapEntry struct {
	done  chan struct{}
	key   []byte
	keyID string
	err   error
}

// NewWrapper returns a Wrapper over src allowing at most maxInFlight concurrent KMS
// requests (≤ 0 means 4).
func NewWrapper(src ClientSource, maxInFlight int) *Wrapper {
	if maxInFlight <= 0 {
		maxInFlight = 4
	}
	return newWrapper(src, make(chan struct{}, maxInFlight))
}

// newWrapper returns a Wrapper sharing the semaphore limit (one per Manager).
func newWrapper(src ClientSource, limit chan struct{}) *Wrapper {
	return &Wrapper{st: &wrapperState{
		src:     src,
		limit:   limit,
		clients: map[string]*kms.Client{},
		cache:   map[unwrapKey]*unwrapEntry{},
	}}
}

var (
	_ envelope.KeyWrapper   = (*Wrapper)(nil)
	_ envelope.RegionRouter = (*Wrapper)(nil)
)

// ForRegion implements envelope.RegionRouter: the returned wrapper sends
// GenerateDataKey and Encrypt to region ("" = the default region).
func (w *Wrapper) ForRegion(region string) (envelope.KeyWrapper, error) {
	return &Wrapper{st: w.st, region: region}, nil
}

// client returns the (cached) client for region.
func (w *Wrapper) client(ctx context.Context, region string) (*kms.Client, error) {
	w.st.mu.Lock()
	c := w.st.clients[region]
	w.st.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := w.st.src(ctx, region)
	if err != nil {
		return nil, err
	}
	w.st.mu.Lock()
	w.st.clients[region] = c
	w.st.mu.Unlock()
	return c, nil
}

// DefaultRegion returns the region of the default client (stored in new slots so that
// files stay decryptable from a profile set to another region).
func (w *Wrapper) DefaultRegion(ctx context.Context) (string, error) {
	c, err := w.client(ctx, "")
	if err != nil {
		return "", err
	}
	return c.Region(), nil
}

// acquire takes a KMS slot or fails when ctx ends.
func (w *Wrapper) acquire(ctx context.Context) error {
	select {
	case w.st.limit <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Wrapper) release() { <-w.st.limit }

// GenerateDataKey implements envelope.KeyWrapper.
func (w *Wrapper) GenerateDataKey(ctx context.Context, keyID, ec string) ([]byte, string, string, error) {
	c, err := w.client(ctx, w.region)
	if err != nil {
		return nil, "", "", err
	}
	if err := w.acquire(ctx); err != nil {
		return nil, "", "", err
	}
	defer w.release()
	return c.GenerateDataKey(ctx, keyID, ec)
}

// WrapKey implements envelope.KeyWrapper (KMS Encrypt of the data key).
func (w *Wrapper) WrapKey(ctx context.Context, keyID string, dataKey []byte, ec string) (string, string, error) {
	c, err := w.client(ctx, w.region)
	if err != nil {
		return "", "", err
	}
	if err := w.acquire(ctx); err != nil {
		return "", "", err
	}
	defer w.release()
	return c.Encrypt(ctx, keyID, dataKey, ec)
}

// UnwrapKey implements envelope.Unwrapper with the per-job cache: KMS Decrypt in the
// slot's region with the stored encryption context, verbatim.
func (w *Wrapper) UnwrapKey(ctx context.Context, s envelope.Slot, ec string) ([]byte, string, error) {
	if s.Type != envelope.SlotTencentKMS {
		return nil, "", fmt.Errorf("slot type %d is not a Tencent Cloud KMS slot", s.Type)
	}
	k := unwrapKey{region: s.Region, keyID: s.KeyID, wrapped: s.WrappedKey, ec: ec}
	for {
		w.st.mu.Lock()
		if w.st.closed {
			w.st.mu.Unlock()
			return nil, "", fmt.Errorf("the job's key cache is closed")
		}
		e, ok := w.st.cache[k]
		if !ok {
			e = &unwrapEntry{done: make(chan struct{})}
			w.st.cache[k] = e
			w.st.mu.Unlock()
			w.fill(ctx, k, e)
		} else {
			w.st.mu.Unlock()
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		w.st.mu.Lock()
		if e.err == nil {
			key := append([]byte(nil), e.key...)
			id := e.keyID
			w.st.mu.Unlock()
			if len(key) == 0 {
				continue // zeroed by Close between done and here
			}
			return key, id, nil
		}
		err := e.err
		w.st.mu.Unlock()
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		if errors.Is(err, context.Canceled) || codeOf(err) == kms.CodeCancelled {
			continue // the caller that made the request was cancelled, not this one
		}
		return nil, "", err
	}
}

// fill performs the KMS call for a new cache entry and publishes the result.
func (w *Wrapper) fill(ctx context.Context, k unwrapKey, e *unwrapEntry) {
	var (
		key   []byte
		keyID string
	)
	c, err := w.client(ctx, k.region)
	if err == nil {
		if err = w.acquire(ctx); err == nil {
			key, keyID, err = c.Decrypt(ctx, k.wrapped, k.ec)
			w.release()
		}
	}
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	e.key, e.keyID, e.err = key, keyID, err
	if err != nil && (transient(err) || ctx.Err() != nil) {
		// Let the next file try again (and do not hand a cancellation to other jobs'
		// waiters as if it were theirs).
		if w.st.cache[k] == e {
			delete(w.st.cache, k)
		}
	}
	if w.st.closed {
		clear(e.key)
	}
	close(e.done)
}

// EncryptBlob encrypts up to 4096 bytes with the KMS Encrypt API under keyID in the
// default region and returns the CiphertextBlob (direct mode).
func (w *Wrapper) EncryptBlob(ctx context.Context, keyID string, plaintext []byte, ec string) (blob, usedKeyID string, err error) {
	c, err := w.client(ctx, w.region)
	if err != nil {
		return "", "", err
	}
	if err := w.acquire(ctx); err != nil {
		return "", "", err
	}
	defer w.release()
	return c.Encrypt(ctx, keyID, plaintext, ec)
}

// DecryptBlob decrypts a CiphertextBlob with the KMS Decrypt API in the default region
// (the blob names its key; Tencent KMS finds it in the region it was made in).
func (w *Wrapper) DecryptBlob(ctx context.Context, blob, ec string) (plaintext []byte, keyID string, err error) {
	c, err := w.client(ctx, w.region)
	if err != nil {
		return nil, "", err
	}
	if err := w.acquire(ctx); err != nil {
		return nil, "", err
	}
	defer w.release()
	return c.Decrypt(ctx, blob, ec)
}

// Close zeroes every cached data key. Later unwraps fail.
func (w *Wrapper) Close() {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	w.st.closed = true
	for _, e := range w.st.cache {
		select {
		case <-e.done:
			clear(e.key)
		default: // fill clears it when it finishes
		}
	}
	clear(w.st.cache)
}
