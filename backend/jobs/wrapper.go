package jobs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// KMS is a KMS a job talks to.
type KMS struct {
	Client *kms.Client
	// LocalInstance is the instance id when Client is this computer's local KMS
	// (new slots under it are local-KMS slots), "" for Tencent Cloud.
	LocalInstance string
}

// ClientSource returns the KMS for a route: "" is the connection's default region, a
// region ("ap-shanghai") that region of the connection, and the region of a local-KMS
// slot ("<instance>/<region>", envelope.LocalRegion) the local KMS of this computer.
// backend/service provides it.
type ClientSource func(ctx context.Context, route string) (KMS, error)

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

	// ids open recovery slots (decrypt and re-wrap jobs given recovery keys).
	ids []envelope.Identity

	mu      sync.Mutex
	clients map[string]KMS
	cache   map[unwrapKey]*unwrapEntry
	wrapped map[wrapKey]*wrapEntry // KMS Encrypt results of this job's data keys
	closed  bool
}

// wrapKey identifies a KMS Encrypt of one data key: files of a batch (or re-wrapped
// files that share a data key) get the same new slot from one KMS call. The data key
// appears only as its SHA-256.
type wrapKey struct {
	route, keyID, ec string
	dek              [sha256.Size]byte
}

// wrapEntry is one KMS Encrypt: made by the first file that needs it, waited for by
// the others.
type wrapEntry struct {
	done           chan struct{}
	wrapped, keyID string
	err            error
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
		clients: map[string]KMS{},
		wrapped: map[wrapKey]*wrapEntry{},
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

// client returns the (cached) client for a route.
func (w *Wrapper) client(ctx context.Context, route string) (*kms.Client, error) {
	k, err := w.kms(ctx, route)
	return k.Client, err
}

func (w *Wrapper) kms(ctx context.Context, route string) (KMS, error) {
	w.st.mu.Lock()
	k, ok := w.st.clients[route]
	w.st.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := w.st.src(ctx, route)
	if err != nil {
		return KMS{}, err
	}
	w.st.mu.Lock()
	w.st.clients[route] = k
	w.st.mu.Unlock()
	return k, nil
}

// Resolve completes a key reference for a new slot: a reference without a region gets
// the connection's region (stored in the slot, so the file decrypts from a profile set
// to another region too), and one on this computer's local KMS becomes a local-KMS
// slot naming the instance.
func (w *Wrapper) Resolve(ctx context.Context, ref envelope.KeyRef) (envelope.KeyRef, error) {
	if _, _, local := envelope.SplitLocalRegion(ref.Region); local {
		ref.Type = envelope.SlotLocalKMS
		return ref, nil
	}
	k, err := w.kms(ctx, ref.Region)
	if err != nil {
		return ref, err
	}
	region := k.Client.Region()
	if k.LocalInstance != "" {
		return envelope.KeyRef{Type: envelope.SlotLocalKMS, Region: envelope.LocalRegion(k.LocalInstance, region), KeyID: ref.KeyID}, nil
	}
	return envelope.KeyRef{Type: envelope.SlotTencentKMS, Region: region, KeyID: ref.KeyID}, nil
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

// do runs f with the client of route while holding one of the KMS request slots.
func (w *Wrapper) do(ctx context.Context, route string, f func(c *kms.Client) error) error {
	c, err := w.client(ctx, route)
	if err != nil {
		return err
	}
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.release()
	return f(c)
}

// GenerateDataKey implements envelope.KeyWrapper.
func (w *Wrapper) GenerateDataKey(ctx context.Context, keyID, ec string) (plain []byte, blob, id string, err error) {
	err = w.do(ctx, w.region, func(c *kms.Client) (err error) {
		plain, blob, id, err = c.GenerateDataKey(ctx, keyID, ec)
		return err
	})
	return plain, blob, id, err
}

// WrapKey implements envelope.KeyWrapper (KMS Encrypt of the data key). The result
// is remembered for the job, so each data key is wrapped once per key.
func (w *Wrapper) WrapKey(ctx context.Context, keyID string, dataKey []byte, ec string) (string, string, error) {
	k := wrapKey{route: w.region, keyID: keyID, ec: ec, dek: sha256.Sum256(dataKey)}
	w.st.mu.Lock()
	e, ok := w.st.wrapped[k]
	if !ok {
		e = &wrapEntry{done: make(chan struct{})}
		w.st.wrapped[k] = e
	}
	w.st.mu.Unlock()
	if ok {
		select {
		case <-e.done:
		case <-ctx.Done():
			return "", "", ctx.Err()
		}
		if e.err != nil && (transient(e.err) || errors.Is(e.err, context.Canceled)) {
			return w.WrapKey(ctx, keyID, dataKey, ec) // that attempt was forgotten: try again
		}
		return e.wrapped, e.keyID, e.err
	}
	e.err = w.do(ctx, w.region, func(c *kms.Client) (err error) {
		e.wrapped, e.keyID, err = c.Encrypt(ctx, keyID, dataKey, ec)
		return err
	})
	if e.err != nil && (transient(e.err) || ctx.Err() != nil) {
		w.st.mu.Lock()
		delete(w.st.wrapped, k)
		w.st.mu.Unlock()
	}
	close(e.done)
	return e.wrapped, e.keyID, e.err
}

// UnwrapKey implements envelope.Unwrapper with the per-job cache: KMS Decrypt at the
// slot's route with the stored encryption context, verbatim; a recovery slot opens
// with the job's recovery keys, without KMS.
func (w *Wrapper) UnwrapKey(ctx context.Context, s envelope.Slot, ec string) ([]byte, string, error) {
	if s.Type == envelope.SlotRecovery {
		return envelope.UnwrapRecovery(s, w.st.ids)
	}
	if !s.IsKMS() {
		return nil, "", fmt.Errorf("slot type %d is not a KMS slot", s.Type)
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
	err := w.do(ctx, k.region, func(c *kms.Client) (err error) {
		key, keyID, err = c.Decrypt(ctx, k.wrapped, k.ec)
		return err
	})
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
	err = w.do(ctx, w.region, func(c *kms.Client) (err error) {
		blob, usedKeyID, err = c.Encrypt(ctx, keyID, plaintext, ec)
		return err
	})
	return blob, usedKeyID, err
}

// DecryptBlob decrypts a CiphertextBlob with the KMS Decrypt API in the default region
// (the blob names its key; Tencent KMS finds it in the region it was made in).
func (w *Wrapper) DecryptBlob(ctx context.Context, blob, ec string) (plaintext []byte, keyID string, err error) {
	err = w.do(ctx, w.region, func(c *kms.Client) (err error) {
		plaintext, keyID, err = c.Decrypt(ctx, blob, ec)
		return err
	})
	return plaintext, keyID, err
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
	clear(w.st.wrapped)
}
