package service

// The inventory of encrypted files on this computer (backend/inventory): recorded
// after each file an encryption or a re-wrap reported done, read to tell which known
// files a key opens before it is disabled, archived or deleted (docs/FILES.md, "Which
// files need which key").

import (
	"cmp"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/inventory"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
)

// inventoryFile is the inventory's name in the config folder (next to settings.json).
const inventoryFile = "inventory.json"

// inventoryFlush bounds how long a read of the inventory waits for the files already
// reported done to be recorded.
const inventoryFlush = 5 * time.Second

// CodeNoInventory: this process keeps no inventory (it has no data folder).
const CodeNoInventory = "Inventory.Unavailable"

// inventoryRecorder records finished files off the event path: File queues the
// output and a worker goroutine (one at a time, started on demand) reads the headers
// and adds them to the inventory in one locked update per batch.
type inventoryRecorder struct {
	store *inventory.Store // nil: no inventory
	log   *slog.Logger
	// jobKind tells what job a file result came from (set once the job manager exists).
	jobKind func(jobID string) (jobs.Kind, error)

	mu    sync.Mutex
	queue []pendingFile
	idle  chan struct{} // closed while no worker runs
}

type pendingFile struct{ job, output string }

// newInventoryRecorder keeps the inventory in dir ("" = none).
func newInventoryRecorder(dir string, log *slog.Logger) *inventoryRecorder {
	r := &inventoryRecorder{log: log, idle: make(chan struct{})}
	close(r.idle)
	if dir != "" {
		r.store = inventory.Open(filepath.Join(dir, inventoryFile), inventory.Options{})
	}
	return r
}

// record queues a file a job reported, without waiting: only outputs of files done
// are looked at (the worker keeps those of encryptions and re-wraps).
func (r *inventoryRecorder) record(f jobs.FileResult) {
	if r == nil || r.store == nil || f.Status != jobs.StatusDone || f.Output == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue = append(r.queue, pendingFile{job: f.ID, output: f.Output})
	select {
	case <-r.idle:
		r.idle = make(chan struct{})
		go r.drain(r.idle)
	default: // the running worker takes it
	}
}

// drain records batches until the queue is empty, then closes idle.
func (r *inventoryRecorder) drain(idle chan struct{}) {
	for {
		r.mu.Lock()
		batch := r.queue
		r.queue = nil
		if len(batch) == 0 {
			close(idle)
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		r.add(batch)
	}
}

// add reads the headers of a batch of outputs and adds them in one update.
func (r *inventoryRecorder) add(batch []pendingFile) {
	kinds := map[string]jobs.Kind{}
	var entries []inventory.Entry
	for _, p := range batch {
		kind, ok := kinds[p.job]
		if !ok && r.jobKind != nil {
			kind, _ = r.jobKind(p.job)
			kinds[p.job] = kind
		}
		if kind != jobs.KindEncrypt && kind != jobs.KindRewrap {
			continue // a decryption's output is plaintext; verify writes nothing
		}
		e, err := inventory.ReadEntry(p.output)
		if err != nil {
			continue // a plain CiphertextBlob file (direct mode), or gone meanwhile
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return
	}
	if err := r.store.Add(entries...); err != nil {
		r.log.Warn("record encrypted files in the inventory", "files", len(entries), "code", ErrorCode(err), "err", err.Error())
	}
}

// flush waits until the files queued so far are recorded, or timeout.
func (r *inventoryRecorder) flush(timeout time.Duration) {
	if r == nil {
		return
	}
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

// list returns the inventory's entries after recording what is queued.
func (r *inventoryRecorder) list() ([]inventory.Entry, error) {
	if r == nil || r.store == nil {
		return nil, errcode.New(CodeNoInventory, "no inventory is kept here")
	}
	r.flush(inventoryFlush)
	return r.store.List()
}

// keyIDOf turns a KeyId or an alias of the current profile into a KeyId; a KeyId
// (and "") needs no KMS call.
func keyIDOf(ctx context.Context, b *base, ref string) (string, error) {
	if ref = strings.TrimSpace(ref); ref == "" || keyIDRE.MatchString(ref) {
		return ref, nil
	}
	c, err := b.conn.Client(ctx)
	if err != nil {
		return "", err
	}
	return resolveKeyID(ctx, c, ref)
}

// inventoryEntryDTO describes an entry; local are this computer's local KMS ids.
func inventoryEntryDTO(e inventory.Entry, local []string) InventoryEntry {
	out := InventoryEntry{Path: e.Path, Size: e.Size, Time: e.ModTime / int64(time.Second), Recorded: e.Recorded,
		Offline: e.Offline(), Keys: make([]InspectionKey, len(e.Slots))}
	for i, s := range e.Slots {
		out.Keys[i] = inspectionKey(s.Envelope(), local)
	}
	return out
}

// Inventory lists the encrypted files KMS Desk wrote or re-wrapped on this computer
// that are still there (or on a drive not connected now: Offline), sorted by path;
// with keyID (a KeyId or an alias) only those that key opens. No KMS call for a
// KeyId.
func (s *FileService) Inventory(keyID string) ([]InventoryEntry, error) {
	return call(&s.base, "Inventory", func(ctx context.Context) ([]InventoryEntry, error) {
		id, err := keyIDOf(ctx, &s.base, keyID)
		if err != nil {
			return nil, err
		}
		list, err := s.inv.list()
		if err != nil {
			return nil, err
		}
		local := s.conn.localInstances()
		out := []InventoryEntry{}
		for _, e := range list {
			if id == "" || e.Opens(id) {
				out = append(out, inventoryEntryDTO(e, local))
			}
		}
		return out, nil
	})
}

// Dependents tells which known files on this computer a KMS key (KeyId or alias)
// opens, and which of them no other key opens: those become unreadable while the key
// is disabled, and are lost once it is deleted. The files only it opens come first.
func (s *KeyService) Dependents(keyID string) (Dependents, error) {
	return call(&s.base, "Dependents", func(ctx context.Context) (Dependents, error) {
		id, err := keyIDOf(ctx, &s.base, keyID)
		if err != nil {
			return Dependents{}, err
		}
		if id == "" {
			return Dependents{}, invalid("choose a key first")
		}
		list, err := s.inv.list()
		if err != nil {
			return Dependents{}, err
		}
		out := Dependents{KeyID: id, Files: []DependentFile{}}
		for _, e := range list {
			if !e.Opens(id) {
				continue
			}
			f := DependentFile{Path: e.Path, Size: e.Size, Time: e.ModTime / int64(time.Second), Only: e.OnlyKey(id), Offline: e.Offline()}
			out.Files = append(out.Files, f)
			if f.Only {
				out.Only++
			}
		}
		out.Count = len(out.Files)
		slices.SortStableFunc(out.Files, func(a, b DependentFile) int {
			switch {
			case a.Only == b.Only:
				return cmp.Compare(a.Path, b.Path)
			case a.Only:
				return -1
			}
			return 1
		})
		return out, nil
	})
}
