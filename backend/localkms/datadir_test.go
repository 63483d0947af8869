package localkms

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
	bolt "go.etcd.io/bbolt"
)

// rawRecord reads (value != nil: writes) the stored bytes of one record of the
// closed database in dir; a nil value with del deletes it.
func rawRecord(t *testing.T, dir string, bucket []byte, id string, value []byte, del bool) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, dbFileName), 0o600, nil)
	must(t, err)
	defer db.Close()
	var old []byte
	must(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		old = append([]byte(nil), b.Get([]byte(id))...)
		switch {
		case del:
			return b.Delete([]byte(id))
		case value != nil:
			return b.Put([]byte(id), value)
		}
		return nil
	}))
	return old
}

// TestRollbackIsDetected edits the database of a closed server the way someone
// with write access to the data dir but without the master key can: putting
// back an older sealed value of one record, removing a record, restoring a
// removed one. Open must refuse every such database.
func TestRollbackIsDetected(t *testing.T) {
	open := func(dir string) *Server {
		srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
		must(t, err)
		return srv
	}
	for _, tc := range []struct {
		name   string
		creds  bool                                          // the record is the credential's, not the key's
		change func(t *testing.T, srv *Server, keyID string) // between the snapshot and the restore
		remove bool                                          // delete the record instead of restoring it
	}{
		{name: "key disabled, then rolled back to enabled", change: func(t *testing.T, srv *Server, keyID string) {
			setStateDirect(t, srv, keyID, stateDisabled)
		}},
		{name: "key rotated, then rolled back to one version", change: func(t *testing.T, srv *Server, keyID string) {
			must(t, srv.RotateKeyNow(keyID))
		}},
		{name: "key record removed", remove: true},
		{name: "credential record removed", creds: true, remove: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := open(dir)
			must(t, srv.Seed(strings.NewReader("keys:\n  - alias: rolled\n")))
			keyID, _ := srv.LookupAlias(DefaultRegion, "rolled")
			cred, err := srv.CreateCredential("rolled")
			must(t, err)
			must(t, srv.Close())
			bucket, id := bucketKeys, keyID
			if tc.creds {
				bucket, id = bucketCreds, cred.SecretID
			}
			before := rawRecord(t, dir, bucket, id, nil, false)
			if tc.change != nil {
				srv = open(dir)
				tc.change(t, srv, keyID)
				must(t, srv.Close())
			}
			if tc.remove {
				rawRecord(t, dir, bucket, id, nil, true)
			} else {
				rawRecord(t, dir, bucket, id, before, false)
			}
			srv, err = Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
			if errorCode(err) != CodeCorrupt {
				if srv != nil {
					srv.Close()
				}
				t.Fatalf("Open of a database with a %s: %v (code %q), want %s", tc.name, err, errorCode(err), CodeCorrupt)
			}
		})
	}
	t.Run("removed record restored", func(t *testing.T) {
		dir := t.TempDir()
		srv := open(dir)
		must(t, srv.Seed(strings.NewReader("keys:\n  - alias: a\n  - alias: b\n")))
		a, _ := srv.LookupAlias(DefaultRegion, "a")
		must(t, srv.Close())
		saved := rawRecord(t, dir, bucketKeys, a, nil, false)
		srv = open(dir)
		srv.writeMu.Lock()
		err := srv.store.commit(write{deleteKeys: []string{a}})
		srv.writeMu.Unlock()
		must(t, err)
		must(t, srv.Close())
		rawRecord(t, dir, bucketKeys, a, saved, false)
		if _, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile}); errorCode(err) != CodeCorrupt {
			t.Fatalf("Open with a deleted record restored: %v", err)
		}
	})
}

// setStateDirect sets a key's state through the store, as an action would.
func setStateDirect(t *testing.T, srv *Server, keyID, state string) {
	t.Helper()
	srv.writeMu.Lock()
	defer srv.writeMu.Unlock()
	rec := srv.snapshot(keyID).rec.copy()
	rec.State = state
	_, err := srv.commitKey(&rec)
	must(t, err)
}

// fixture describes testdata/datadir-v1, a data dir written by database
// format 1 (before records carried revisions).
type fixture struct {
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	KeyID     string `json:"keyId"`
	Blob      string `json:"blob"`
	Plaintext string `json:"plaintext"`
	Context   string `json:"context"`
}

// copyFixture copies testdata/datadir-v1 into a fresh 0700 directory.
func copyFixture(t *testing.T) (string, fixture) {
	t.Helper()
	var fx fixture
	b, err := os.ReadFile(filepath.Join("testdata", "datadir-v1.json"))
	must(t, err)
	must(t, json.Unmarshal(b, &fx))
	dir := t.TempDir()
	for _, name := range []string{dbFileName, masterKeyFileName} {
		b, err := os.ReadFile(filepath.Join("testdata", "datadir-v1", name))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	return dir, fx
}

// TestOpensDataDirOfFormat1 opens a data dir written by the previous database
// format: its keys, credentials and blobs work, it is upgraded in place, and
// the upgraded database detects a rolled-back record.
func TestOpensDataDirOfFormat1(t *testing.T) {
	dir, fx := copyFixture(t)
	var offID string
	for round := range 2 { // the upgrade, then a plain reopen
		srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
		must(t, err)
		c, err := kms.NewClient(common.NewCredential(fx.SecretID, fx.SecretKey), DefaultRegion, profile.NewClientProfile())
		must(t, err)
		c.WithHttpTransport(srv.Transport())
		d := kms.NewDecryptRequest()
		d.CiphertextBlob, d.EncryptionContext = &fx.Blob, &fx.Context
		resp, err := c.Decrypt(d)
		must(t, err)
		if got := string(unb64(t, *resp.Response.Plaintext)); got != fx.Plaintext || *resp.Response.KeyId != fx.KeyID {
			t.Fatalf("round %d: decrypted %q under %s", round, got, *resp.Response.KeyId)
		}
		k := srv.snapshot(fx.KeyID)
		if k == nil || len(k.rec.Versions) != 2 || k.rec.Alias != "fixture-sym" || len(srv.keys) != 3 {
			t.Fatalf("round %d: keys not loaded: %+v", round, k)
		}
		id, ok := srv.LookupAlias(DefaultRegion, "fixture-off")
		if !ok || srv.snapshot(id).rec.State != stateDisabled {
			t.Fatalf("round %d: fixture-off lost its state", round)
		}
		offID = id
		must(t, srv.Close())
	}
	db, err := bolt.Open(filepath.Join(dir, dbFileName), 0o600, nil)
	must(t, err)
	var format string
	must(t, db.View(func(tx *bolt.Tx) error {
		format = string(tx.Bucket(bucketMeta).Get([]byte("format")))
		return nil
	}))
	must(t, db.Close())
	if format != dbFormat {
		t.Fatalf("format %q after opening, want %q", format, dbFormat)
	}

	// Put back the value a record had before the upgrade: once upgraded, a
	// database accepts no format-1 value.
	orig, _ := copyFixture(t)
	old := rawRecord(t, orig, bucketKeys, offID, nil, false)
	rawRecord(t, dir, bucketKeys, offID, old, false)
	if _, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile}); errorCode(err) != CodeCorrupt {
		t.Fatalf("Open with a format-1 record put back: %v", err)
	}
}
