package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// keyBatch hands out the data key of the current batch to the files of an encrypt
// job, generating a new one when a bound is reached (files, age, bytes). Retired keys
// are destroyed once no file uses them.
type keyBatch struct {
	w       *Wrapper
	primary envelope.KeyRef
	backups []envelope.KeyRef
	ec      string
	limits  BatchLimits

	recovery []envelope.Recipient

	// choice is the job's suite choice and suiteFor resolves it (Manager.suiteFor).
	choice   Suite
	suiteFor func(ctx context.Context, w *Wrapper, route string, choice Suite) (uint16, error)

	mu       sync.Mutex
	suite    uint16 // the resolved suite id, set with resolved
	cur      *batchKey
	err      error // a non-transient failure, returned to every later file
	resolved bool  // the key references were completed (Wrapper.Resolve)
}

// resolve completes the primary and backup references and the suite once per job.
func (b *keyBatch) resolve(ctx context.Context) error {
	p, err := b.w.Resolve(ctx, b.primary)
	if err != nil {
		return err
	}
	if b.suite, err = b.suiteFor(ctx, b.w, p.Region, b.choice); err != nil {
		return err
	}
	b.primary = p
	for i, r := range b.backups {
		if r.Region == "" {
			// A backup key without a region lives where the primary does.
			r.Region = p.Region
		}
		if b.backups[i], err = b.w.Resolve(ctx, r); err != nil {
			return err
		}
	}
	b.resolved = true
	return nil
}

type batchKey struct {
	dk      *envelope.DataKey
	files   int
	bytes   int64
	born    time.Time
	refs    int
	retired bool
}

// acquire returns the data key for a file of size bytes, the suite id to encrypt it
// with and a release function. The KMS call (one GenerateDataKey plus one Encrypt per
// backup key) happens under the lock: files that need a key wait for the one being
// made instead of making their own.
func (b *keyBatch) acquire(ctx context.Context, size int64) (*envelope.DataKey, uint16, func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dk, release, err := b.acquireLocked(ctx, size)
	return dk, b.suite, release, err
}

func (b *keyBatch) acquireLocked(ctx context.Context, size int64) (*envelope.DataKey, func(), error) {
	if b.err != nil {
		return nil, nil, b.err
	}
	k := b.cur
	if k == nil || k.files >= b.limits.Files || time.Since(k.born) >= b.limits.Age ||
		k.files > 0 && k.bytes+size > b.limits.Bytes {
		if k != nil {
			k.retired = true
			if k.refs == 0 {
				k.dk.Destroy()
			}
			b.cur = nil
		}
		if !b.resolved {
			if err := b.resolve(ctx); err != nil {
				return nil, nil, b.fail(ctx, err)
			}
		}
		dk, err := envelope.NewDataKey(ctx, b.w, b.primary, b.backups, b.ec)
		if err != nil {
			return nil, nil, b.fail(ctx, err)
		}
		if err := dk.AddRecovery(b.recovery...); err != nil {
			dk.Destroy()
			return nil, nil, b.fail(ctx, err)
		}
		k = &batchKey{dk: dk, born: time.Now()}
		b.cur = k
	}
	k.files++
	k.bytes += size
	k.refs++
	return k.dk, func() {
		b.mu.Lock()
		k.refs--
		if k.retired && k.refs == 0 {
			k.dk.Destroy()
		}
		b.mu.Unlock()
	}, nil
}

// fail remembers a non-transient error so the rest of the job fails fast.
func (b *keyBatch) fail(ctx context.Context, err error) error {
	if ctx.Err() == nil && !transient(err) {
		b.err = err
	}
	return err
}

// close destroys the current key (all files are done).
func (b *keyBatch) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur != nil {
		b.cur.dk.Destroy()
		b.cur = nil
	}
}
