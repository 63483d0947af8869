package localkms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Database layout (bbolt, file DataDir/localkms.db):
//
//	meta   format → "1"; masterKey → "file"|"keychain"; check → sealed constant
//	keys   KeyId → sealed JSON keyRecord (metadata and key material)
//	creds  SecretId → sealed JSON credential (including the SecretKey)
//
// Every value except meta/format and meta/masterKey is sealed with AES-256-GCM
// under the master key: 0x01 ‖ nonce(12) ‖ ciphertext ‖ tag, with additional data
// "localkms/v1/<bucket>/<id>" so records cannot be swapped between slots.

const (
	dbFileName    = "localkms.db"
	dbFormat      = "1"
	dbLockTimeout = time.Second // how long Open waits for another process's lock
	sealVersion   = 1
	checkText     = "kmsdesk localkms master key check"
)

var (
	bucketMeta  = []byte("meta")
	bucketKeys  = []byte("keys")
	bucketCreds = []byte("creds")
)

type store struct {
	db     *bolt.DB
	aead   cipher.AEAD
	source string // "file" or "keychain"
}

// openDB opens (creating if needed) the database and returns the recorded master
// key source ("" when the database is new).
func openDB(path string) (*bolt.DB, string, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: dbLockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, "", newError(CodeDataDirInUse, err, "open database %s: it is locked by another process (is a local KMS already running on this data dir?)", path)
		}
		return nil, "", newError(CodeDataDir, err, "open database %s", path)
	}
	var recorded string
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketKeys, bucketCreds} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if f := meta.Get([]byte("format")); f != nil && string(f) != dbFormat {
			return fmt.Errorf("unsupported database format %q", f)
		}
		recorded = string(meta.Get([]byte("masterKey")))
		return nil
	})
	if err != nil {
		db.Close()
		return nil, "", newError(CodeDataDir, err, "initialise database %s", path)
	}
	return db, recorded, nil
}

func newStore(db *bolt.DB, masterKey []byte, source string, recorded string) (*store, error) {
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, newError(CodeMasterKey, err, "load master key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, newError(CodeMasterKey, err, "load master key")
	}
	st := &store{db: db, aead: aead, source: source}
	if recorded == "" {
		check := st.seal("meta", "check", []byte(checkText))
		err := db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if err := meta.Put([]byte("format"), []byte(dbFormat)); err != nil {
				return err
			}
			if err := meta.Put([]byte("masterKey"), []byte(source)); err != nil {
				return err
			}
			return meta.Put([]byte("check"), check)
		})
		if err != nil {
			return nil, newError(CodeStorage, err, "initialise database")
		}
		return st, nil
	}
	var check []byte
	_ = db.View(func(tx *bolt.Tx) error {
		check = append([]byte(nil), tx.Bucket(bucketMeta).Get([]byte("check"))...)
		return nil
	})
	plain, err := st.open("meta", "check", check)
	if err != nil || string(plain) != checkText {
		return nil, newError(CodeCorrupt, err, "the master key does not match this data dir")
	}
	return st, nil
}

func sealAAD(bucket, id string) []byte {
	return []byte("localkms/v1/" + bucket + "/" + id)
}

func (st *store) seal(bucket, id string, plain []byte) []byte {
	out := make([]byte, 1+blobNonceLen, 1+blobNonceLen+len(plain)+blobTagLen)
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		panic("localkms: crypto/rand failed: " + err.Error())
	}
	return st.aead.Seal(out, out[1:1+blobNonceLen], plain, sealAAD(bucket, id))
}

func (st *store) open(bucket, id string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+blobNonceLen+blobTagLen || sealed[0] != sealVersion {
		return nil, errors.New("sealed record is malformed")
	}
	return st.aead.Open(nil, sealed[1:1+blobNonceLen], sealed[1+blobNonceLen:], sealAAD(bucket, id))
}

// write is one committed (fsynced) transaction of puts and deletes.
type write struct {
	putKeys    []*keyRecord
	deleteKeys []string
	putCreds   []*credential
	delCreds   []string
}

func (st *store) commit(w write) error {
	type item struct {
		bucket []byte
		id     string
		value  []byte
	}
	items := make([]item, 0, len(w.putKeys)+len(w.putCreds))
	for _, r := range w.putKeys {
		plain, err := json.Marshal(r)
		if err != nil {
			return err
		}
		items = append(items, item{bucketKeys, r.KeyID, st.seal("keys", r.KeyID, plain)})
		wipe(plain)
	}
	for _, c := range w.putCreds {
		plain, err := json.Marshal(c)
		if err != nil {
			return err
		}
		items = append(items, item{bucketCreds, c.SecretID, st.seal("creds", c.SecretID, plain)})
		wipe(plain)
	}
	err := st.db.Update(func(tx *bolt.Tx) error {
		for _, it := range items {
			if err := tx.Bucket(it.bucket).Put([]byte(it.id), it.value); err != nil {
				return err
			}
		}
		for _, id := range w.deleteKeys {
			if err := tx.Bucket(bucketKeys).Delete([]byte(id)); err != nil {
				return err
			}
		}
		for _, id := range w.delCreds {
			if err := tx.Bucket(bucketCreds).Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return newError(CodeStorage, err, "commit to database")
	}
	return nil
}

// load reads and opens every stored key and credential.
func (st *store) load() ([]*keyRecord, []*credential, error) {
	var keys []*keyRecord
	var creds []*credential
	err := st.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketKeys).ForEach(func(k, v []byte) error {
			plain, err := st.open("keys", string(k), v)
			if err != nil {
				return newError(CodeCorrupt, err, "open key record %s", k)
			}
			var r keyRecord
			err = json.Unmarshal(plain, &r)
			wipe(plain)
			if err != nil || r.KeyID != string(k) {
				return newError(CodeCorrupt, err, "decode key record %s", k)
			}
			keys = append(keys, &r)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketCreds).ForEach(func(k, v []byte) error {
			plain, err := st.open("creds", string(k), v)
			if err != nil {
				return newError(CodeCorrupt, err, "open credential record %s", k)
			}
			var c credential
			err = json.Unmarshal(plain, &c)
			wipe(plain)
			if err != nil || c.SecretID != string(k) {
				return newError(CodeCorrupt, err, "decode credential record %s", k)
			}
			creds = append(creds, &c)
			return nil
		})
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
