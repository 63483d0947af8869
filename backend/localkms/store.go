package localkms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Database layout (bbolt, file DataDir/localkms.db), format 2:
//
//	meta   format → "2"; masterKey → "file"|"keychain"; check → sealed constant;
//	       state → sealed last revision and digest; instance → this folder's id;
//	       instances → ids of restored backups, comma-separated (instance.go)
//	keys   KeyId → sealed JSON keyRecord (metadata and key material)
//	creds  SecretId → sealed JSON credential (including the SecretKey)
//
// Records are sealed with AES-256-GCM under the master key as
// 0x02 ‖ revision (uint64, big endian) ‖ nonce(12) ‖ ciphertext ‖ tag, with
// additional data "localkms/v2/<bucket>/<id>/<revision>": a record cannot be
// moved to another slot, and it is bound to the revision it was written at.
// Every commit takes the next revision of the database. meta/state holds the
// last revision and the XOR, over every record, of
// HMAC-SHA256(digest key, bucket ‖ 0 ‖ id ‖ 0 ‖ revision), the digest key being
// derived from the master key; Open recomputes it, so one record put back to an
// older sealed value, removed, or restored after its removal is refused as
// corrupt. A whole database file replaced by an older copy is not detected.
//
// Format 1 sealed records as 0x01 ‖ nonce ‖ ciphertext ‖ tag with additional
// data "localkms/v1/<bucket>/<id>" and had no meta/state; Open upgrades it in
// place, in one transaction. meta/check keeps the format-1 seal in both.

const (
	dbFileName    = "localkms.db"
	dbFormat      = "2"
	dbFormatV1    = "1"
	dbLockTimeout = time.Second // how long Open waits for another process's lock
	sealV1        = 1           // first byte of a format-1 sealed value
	sealV2        = 2           // first byte of a format-2 sealed record
	revLen        = 8           // bytes of the revision in a format-2 record
	checkText     = "kmsdesk localkms master key check"
	digestKeyInfo = "localkms/v2 record digest key"
)

var (
	bucketMeta  = []byte("meta")
	bucketKeys  = []byte("keys")
	bucketCreds = []byte("creds")
)

type store struct {
	db        *bolt.DB
	aead      cipher.AEAD
	digestKey []byte // HMAC key of the record digest
	source    string // "file" or "keychain"
}

// dbInfo is what openDB reads from the meta bucket.
type dbInfo struct {
	source string // recorded master key location; "" for a new database
	format string // "" for a new database
	// instance is the folder's id and instances those of restored backups.
	instance  string
	instances []string
}

// openDB opens (creating if needed) the database and reads its meta bucket.
func openDB(path string) (*bolt.DB, dbInfo, error) {
	var info dbInfo
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: dbLockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, info, newError(CodeDataDirInUse, err, "open database %s: it is locked by another process (is a local KMS already running on this data dir?)", path)
		}
		return nil, info, newError(CodeDataDir, err, "open database %s", path)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketKeys, bucketCreds} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		info.format = string(meta.Get([]byte("format")))
		if info.format != "" && info.format != dbFormat && info.format != dbFormatV1 {
			return fmt.Errorf("unsupported database format %q", info.format)
		}
		info.source = string(meta.Get([]byte("masterKey")))
		var err error
		info.instance, info.instances, err = readInstance(meta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, info, newError(CodeDataDir, err, "initialise database %s", path)
	}
	return db, info, nil
}

// newStore checks the master key against the database (initialising a new
// one) and upgrades a format-1 database; upgraded reports that it did.
func newStore(db *bolt.DB, masterKey []byte, source string, info dbInfo) (st *store, upgraded bool, err error) {
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, false, newError(CodeMasterKey, err, "load master key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, false, newError(CodeMasterKey, err, "load master key")
	}
	mac := hmac.New(sha256.New, masterKey)
	mac.Write([]byte(digestKeyInfo))
	st = &store{db: db, aead: aead, digestKey: mac.Sum(nil), source: source}
	if info.source == "" {
		check := st.sealV1("meta", "check", []byte(checkText))
		err := db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			for k, v := range map[string][]byte{"format": []byte(dbFormat), "masterKey": []byte(source), "check": check} {
				if err := meta.Put([]byte(k), v); err != nil {
					return err
				}
			}
			return st.writeState(meta, dbState{})
		})
		if err != nil {
			return nil, false, newError(CodeStorage, err, "initialise database")
		}
		return st, false, nil
	}
	var check []byte
	_ = db.View(func(tx *bolt.Tx) error {
		check = append([]byte(nil), tx.Bucket(bucketMeta).Get([]byte("check"))...)
		return nil
	})
	plain, err := st.openV1("meta", "check", check)
	if err != nil || string(plain) != checkText {
		return nil, false, newError(CodeCorrupt, err, "the master key does not match this data dir")
	}
	if info.format == dbFormatV1 {
		if err := st.upgrade(); err != nil {
			return nil, false, err
		}
		return st, true, nil
	}
	return st, false, nil
}

// upgrade rewrites every format-1 record as a format-2 record of revision 1,
// in one transaction.
func (st *store) upgrade() error {
	err := st.db.Update(func(tx *bolt.Tx) error {
		state := dbState{rev: 1}
		for _, bucket := range [][]byte{bucketKeys, bucketCreds} {
			b := tx.Bucket(bucket)
			var ids, values [][]byte
			if err := b.ForEach(func(k, v []byte) error {
				ids, values = append(ids, k), append(values, v)
				return nil
			}); err != nil {
				return err
			}
			for i, id := range ids {
				plain, err := st.openV1(string(bucket), string(id), values[i])
				if err != nil {
					return newError(CodeCorrupt, err, "open %s record %s", bucket, id)
				}
				sealed := st.seal(string(bucket), string(id), state.rev, plain)
				wipe(plain)
				if err := b.Put(id, sealed); err != nil {
					return err
				}
				state.add(st.term(string(bucket), string(id), state.rev))
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := st.writeState(meta, state); err != nil {
			return err
		}
		return meta.Put([]byte("format"), []byte(dbFormat))
	})
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err != nil {
		return newError(CodeStorage, err, "upgrade database to format %s", dbFormat)
	}
	return nil
}

// sealWith seals plain as header ‖ nonce ‖ ciphertext ‖ tag.
func (st *store) sealWith(header, aad, plain []byte) []byte {
	n := len(header)
	out := make([]byte, n+blobNonceLen, n+blobNonceLen+len(plain)+blobTagLen)
	copy(out, header)
	if _, err := rand.Read(out[n:]); err != nil {
		panic("localkms: crypto/rand failed: " + err.Error())
	}
	return st.aead.Seal(out, out[n:n+blobNonceLen], plain, aad)
}

// openWith opens a value sealed by sealWith with a header of n bytes.
func (st *store) openWith(sealed []byte, n int, aad []byte) ([]byte, error) {
	if len(sealed) < n+blobNonceLen+blobTagLen {
		return nil, errors.New("sealed record is malformed")
	}
	return st.aead.Open(nil, sealed[n:n+blobNonceLen], sealed[n+blobNonceLen:], aad)
}

func recordAAD(bucket, id string, rev uint64) []byte {
	return []byte("localkms/v2/" + bucket + "/" + id + "/" + strconv.FormatUint(rev, 10))
}

// seal seals a record of bucket and id written at revision rev.
func (st *store) seal(bucket, id string, rev uint64, plain []byte) []byte {
	var h [1 + revLen]byte
	h[0] = sealV2
	binary.BigEndian.PutUint64(h[1:], rev)
	return st.sealWith(h[:], recordAAD(bucket, id, rev), plain)
}

// revision returns the revision a sealed record names (not yet authenticated).
func revision(sealed []byte) (uint64, bool) {
	if len(sealed) < 1+revLen || sealed[0] != sealV2 {
		return 0, false
	}
	return binary.BigEndian.Uint64(sealed[1:]), true
}

// open opens a record of bucket and id, and returns it with its revision.
func (st *store) open(bucket, id string, sealed []byte) ([]byte, uint64, error) {
	rev, ok := revision(sealed)
	if !ok {
		return nil, 0, errors.New("sealed record is malformed or of format 1")
	}
	plain, err := st.openWith(sealed, 1+revLen, recordAAD(bucket, id, rev))
	return plain, rev, err
}

// sealV1 and openV1 seal and open format-1 values (meta/check, and records
// being upgraded).
func (st *store) sealV1(bucket, id string, plain []byte) []byte {
	return st.sealWith([]byte{sealV1}, []byte("localkms/v1/"+bucket+"/"+id), plain)
}

func (st *store) openV1(bucket, id string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 || sealed[0] != sealV1 {
		return nil, errors.New("sealed record is malformed")
	}
	return st.openWith(sealed, 1, []byte("localkms/v1/"+bucket+"/"+id))
}

// dbState is meta/state: the last revision committed and the digest of every
// record.
type dbState struct {
	rev    uint64
	digest [sha256.Size]byte
}

// add adds (or, being XOR, removes) the digest term of one record.
func (d *dbState) add(term [sha256.Size]byte) {
	for i := range d.digest {
		d.digest[i] ^= term[i]
	}
}

// term is the digest term of record id of bucket at revision rev.
func (st *store) term(bucket, id string, rev uint64) [sha256.Size]byte {
	m := hmac.New(sha256.New, st.digestKey)
	m.Write([]byte(bucket))
	m.Write([]byte{0})
	m.Write([]byte(id))
	m.Write([]byte{0})
	var r [revLen]byte
	binary.BigEndian.PutUint64(r[:], rev)
	m.Write(r[:])
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

func (st *store) readState(meta *bolt.Bucket) (dbState, error) {
	var s dbState
	plain, _, err := st.open("meta", "state", meta.Get([]byte("state")))
	if err != nil || len(plain) != revLen+sha256.Size {
		return s, newError(CodeCorrupt, err, "open the database state")
	}
	s.rev = binary.BigEndian.Uint64(plain)
	copy(s.digest[:], plain[revLen:])
	return s, nil
}

func (st *store) writeState(meta *bolt.Bucket, s dbState) error {
	plain := binary.BigEndian.AppendUint64(make([]byte, 0, revLen+sha256.Size), s.rev)
	plain = append(plain, s.digest[:]...)
	return meta.Put([]byte("state"), st.seal("meta", "state", 0, plain))
}

// write is one committed (fsynced) transaction of puts and deletes.
type write struct {
	putKeys    []*keyRecord
	deleteKeys []string
	putCreds   []*credential
	delCreds   []string
	// instances, when not nil, replaces the ids of restored backups (meta/instances).
	instances []string
}

// commit writes w in one transaction, at the next revision of the database.
func (st *store) commit(w write) error {
	type item struct {
		bucket []byte
		id     string
		plain  []byte
	}
	items := make([]item, 0, len(w.putKeys)+len(w.putCreds))
	defer func() {
		for _, it := range items {
			wipe(it.plain)
		}
	}()
	add := func(bucket []byte, id string, v any) error {
		plain, err := json.Marshal(v)
		if err != nil {
			return err
		}
		items = append(items, item{bucket, id, plain})
		return nil
	}
	for _, r := range w.putKeys {
		if err := add(bucketKeys, r.KeyID, r); err != nil {
			return newError(CodeStorage, err, "encode key record")
		}
	}
	for _, c := range w.putCreds {
		if err := add(bucketCreds, c.SecretID, c); err != nil {
			return newError(CodeStorage, err, "encode credential record")
		}
	}
	err := st.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		state, err := st.readState(meta)
		if err != nil {
			return err
		}
		state.rev++
		// forget removes the digest term of the record id of b, if there is one.
		forget := func(b *bolt.Bucket, bucket []byte, id string) error {
			old := b.Get([]byte(id))
			if old == nil {
				return nil
			}
			rev, ok := revision(old)
			if !ok {
				return newError(CodeCorrupt, nil, "%s record %s is malformed", bucket, id)
			}
			state.add(st.term(string(bucket), id, rev))
			return nil
		}
		for _, it := range items {
			b := tx.Bucket(it.bucket)
			if err := forget(b, it.bucket, it.id); err != nil {
				return err
			}
			if err := b.Put([]byte(it.id), st.seal(string(it.bucket), it.id, state.rev, it.plain)); err != nil {
				return err
			}
			state.add(st.term(string(it.bucket), it.id, state.rev))
		}
		for _, del := range []struct {
			bucket []byte
			ids    []string
		}{{bucketKeys, w.deleteKeys}, {bucketCreds, w.delCreds}} {
			b := tx.Bucket(del.bucket)
			for _, id := range del.ids {
				if err := forget(b, del.bucket, id); err != nil {
					return err
				}
				if err := b.Delete([]byte(id)); err != nil {
					return err
				}
			}
		}
		if w.instances != nil {
			if err := meta.Put(metaInstances, []byte(strings.Join(w.instances, ","))); err != nil {
				return err
			}
		}
		return st.writeState(meta, state)
	})
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err != nil {
		return newError(CodeStorage, err, "commit to database")
	}
	return nil
}

// load reads and opens every stored key and credential, and checks them
// against the database digest.
func (st *store) load() ([]*keyRecord, []*credential, error) {
	var keys []*keyRecord
	var creds []*credential
	err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		keys, creds, err = st.loadTx(tx)
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, nil, e
		}
		return nil, nil, newError(CodeDataDir, err, "load database")
	}
	return keys, creds, nil
}

// loadTx is load within the transaction tx.
func (st *store) loadTx(tx *bolt.Tx) (keys []*keyRecord, creds []*credential, err error) {
	want, err := st.readState(tx.Bucket(bucketMeta))
	if err != nil {
		return nil, nil, err
	}
	var got dbState
	if keys, err = loadBucket(st, tx, bucketKeys, "key", &got, func(r *keyRecord) string { return r.KeyID }); err != nil {
		return nil, nil, err
	}
	if creds, err = loadBucket(st, tx, bucketCreds, "credential", &got, func(c *credential) string { return c.SecretID }); err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(got.digest[:], want.digest[:]) != 1 {
		return nil, nil, newError(CodeCorrupt, nil, "the records do not match the database digest: a record was rolled back to an older value, removed or restored outside the local KMS")
	}
	return keys, creds, nil
}

// loadBucket opens and decodes every record of a bucket and adds its digest
// term to sum; what names the records in errors, and id returns the id a
// record holds, which must be its key in the bucket.
func loadBucket[T any](st *store, tx *bolt.Tx, bucket []byte, what string, sum *dbState, id func(*T) string) ([]*T, error) {
	var out []*T
	err := tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		plain, rev, err := st.open(string(bucket), string(k), v)
		if err != nil {
			return newError(CodeCorrupt, err, "open %s record %s", what, k)
		}
		sum.add(st.term(string(bucket), string(k), rev))
		r := new(T)
		err = json.Unmarshal(plain, r)
		wipe(plain)
		if err != nil || id(r) != string(k) {
			return newError(CodeCorrupt, err, "decode %s record %s", what, k)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
