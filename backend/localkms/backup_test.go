package localkms

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Package tests seal backups with a small scrypt work factor, or every backup and
// every restore would cost a second and 256 MiB; TestBackupFile checks the
// production value.
func init() { backupWorkFactor = 10 }

const testPassphrase = "correct horse battery staple"

// codeOf returns the code of a Go API error.
func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrorCode()
	}
	return ""
}

// backup returns a backup of e's server sealed with testPassphrase.
func (e *env) backup() []byte {
	e.t.Helper()
	var buf bytes.Buffer
	if _, err := e.srv.Backup(&buf, testPassphrase); err != nil {
		e.t.Fatalf("Backup: %v", err)
	}
	return buf.Bytes()
}

// importMaterial imports 32 bytes of material into an EXTERNAL key.
func (e *env) importMaterial(id string, material []byte) {
	e.t.Helper()
	c := e.kms()
	pr := kms.NewGetParametersForImportRequest()
	pr.KeyId, pr.WrappingAlgorithm, pr.WrappingKeySpec = sp(id), sp("RSAES_OAEP_SHA_256"), sp("RSA_2048")
	p, err := c.GetParametersForImport(pr)
	must(e.t, err)
	pub, err := x509.ParsePKIXPublicKey(unb64(e.t, *p.Response.PublicKey))
	must(e.t, err)
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	must(e.t, err)
	r := kms.NewImportKeyMaterialRequest()
	r.KeyId, r.ImportToken, r.EncryptedKeyMaterial = sp(id), p.Response.ImportToken, sp(b64(ct))
	_, err = c.ImportKeyMaterial(r)
	must(e.t, err)
}

// publicKeyOf returns a key's public key as the API answers it.
func (e *env) publicKeyOf(id string) string {
	e.t.Helper()
	r := kms.NewGetPublicKeyRequest()
	r.KeyId = sp(id)
	resp, err := e.kms().GetPublicKey(r)
	must(e.t, err)
	return *resp.Response.PublicKey
}

// dirState is the content of every file of a data dir.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		must(t, err)
		out[en.Name()] = string(b)
	}
	return out
}

// TestBackupRestoreEverything: every kind of key (rotated, asymmetric, imported,
// disabled, pending deletion), the credentials and the instance id of one local KMS
// arrive in another, which then decrypts what the first encrypted, with the first's
// credential too; after a restart everything is still there.
func TestBackupRestoreEverything(t *testing.T) {
	national := func(o *Options) { o.NationalStandardRegions = []string{"ap-beijing"} }
	a := newEnv(t, "inproc", national)
	aEmbeddedID, _, err := a.srv.EmbeddedCredential()
	must(t, err)
	sym := a.createKey("payroll", func(r *kms.CreateKeyRequest) {
		r.Description = sp("salaries 工资")
		r.Tags = []*kms.Tag{{TagKey: sp("team"), TagValue: sp("hr")}}
	})
	v1 := a.mustEncrypt(sym, []byte("version one"), `{"f":"a"}`)
	must(t, a.srv.RotateKeyNow(sym))
	v2 := a.mustEncrypt(sym, []byte("version two"), "")
	rot := a.createKey("rotating")
	er := kms.NewEnableKeyRotationRequest()
	er.KeyId, er.RotateDays = sp(rot), up(90)
	_, err = a.kms().EnableKeyRotation(er)
	must(t, err)
	ecc := a.createKey("signer", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(usageECCSign) })
	p384 := a.createKey("signer-384", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(usageECDSA384Sign) })
	bj := a.kmsRegion("ap-beijing") // national-standard: SM4 keys
	sm4Req := kms.NewCreateKeyRequest()
	sm4Req.Alias = sp("guomi")
	sm4Resp, err := bj.CreateKey(sm4Req)
	must(t, err)
	sm4 := *sm4Resp.Response.KeyId
	er2 := kms.NewEncryptRequest()
	er2.KeyId, er2.Plaintext = sp(sm4), sp(b64([]byte("国密")))
	sm4Enc, err := bj.Encrypt(er2)
	must(t, err)
	sm4Blob := *sm4Enc.Response.CiphertextBlob
	sm2 := a.createKey("sm2", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(usageSM2Decrypt) })
	ext := a.createKey("byok", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
	a.importMaterial(ext, bytes.Repeat([]byte{7}, 32))
	extBlob := a.mustEncrypt(ext, []byte("imported"), "")
	off := a.createKey("off")
	offBlob := a.mustEncrypt(off, []byte("disabled key"), "")
	a.setState(off, "disable")
	gone := a.createKey("going")
	a.setState(gone, "disable", "schedule")
	other := a.kmsRegion("ap-shanghai")
	cr := kms.NewCreateKeyRequest()
	cr.Alias = sp("payroll") // the same alias in another region
	resp, err := other.CreateKey(cr)
	must(t, err)
	sh := *resp.Response.KeyId

	file := a.backup()
	if !bytes.HasPrefix(file, []byte(armor.Header)) || bytes.Contains(file, []byte("payroll")) {
		t.Fatalf("the backup is not an armored age file: %.80q", file)
	}

	b := newEnv(t, "inproc", national)
	bEmbeddedID, _, err := b.srv.EmbeddedCredential()
	must(t, err)
	res, err := b.srv.Restore(bytes.NewReader(file), testPassphrase)
	must(t, err)
	all := []string{sym, rot, ecc, p384, sm2, sm4, ext, off, gone, sh}
	slices.Sort(all)
	added := slices.Sorted(slices.Values(res.KeysAdded))
	if !slices.Equal(added, all) || len(res.KeysPresent) != 0 || res.VersionsAdded != 0 ||
		len(res.AliasesAdded) != len(all) || res.CredentialsAdded != 2 {
		t.Fatalf("result %+v", res)
	}
	aIDs, bIDs := a.srv.InstanceIDs(), b.srv.InstanceIDs()
	if !slices.Equal(res.Instances, aIDs) || !slices.Equal(bIDs, append(slices.Clone(bIDs[:1]), aIDs[0])) || bIDs[0] == aIDs[0] {
		t.Fatalf("instances: result %v, a %v, b %v", res.Instances, aIDs, bIDs)
	}

	check := func(e *env) {
		t.Helper()
		for blob, want := range map[string]string{v2: "version two", extBlob: "imported"} {
			pt, _, err := e.decrypt(blob, "")
			if err != nil || string(pt) != want {
				t.Fatalf("decrypt: %q %v", pt, err)
			}
		}
		if pt, _, err := e.decrypt(v1, `{"f":"a"}`); err != nil || string(pt) != "version one" {
			t.Fatalf("decrypt v1: %q %v", pt, err)
		}
		_, _, err := e.decrypt(offBlob, "")
		wantCode(t, err, codeCmkDisabled) // restored disabled
		md := e.describe(sym)
		if *md.Alias != "payroll" || *md.Description != "salaries 工资" || *md.KeyState != stateEnabled {
			t.Fatalf("metadata %+v", md)
		}
		if md := e.describe(rot); !*md.KeyRotationEnabled {
			t.Fatal("rotation state lost")
		}
		if md := e.describe(gone); *md.KeyState != statePendingDelete || *md.DeletionDate == 0 {
			t.Fatalf("pending deletion lost: %+v", md)
		}
		dr4 := kms.NewDecryptRequest()
		dr4.CiphertextBlob = sp(sm4Blob)
		if out, err := e.kmsRegion("ap-beijing").Decrypt(dr4); err != nil || string(unb64(t, *out.Response.Plaintext)) != "国密" {
			t.Fatalf("SM4 key: %v", err)
		}
		for _, id := range []string{ecc, p384, sm2} {
			if e.publicKeyOf(id) != a.publicKeyOf(id) {
				t.Fatalf("key %s has another private key", id)
			}
		}
		if k := e.srv.snapshot(sym); len(k.rec.Tags) != 1 || k.rec.Tags[0].Value != "hr" {
			t.Fatalf("tags %+v", k.rec.Tags)
		}
		// A's API key pair signs requests here.
		c := e.kmsWith(common.NewCredential(a.cred.SecretID, a.cred.SecretKey), "ap-shanghai")
		dr := kms.NewDescribeKeyRequest()
		dr.KeyId = sp(sh)
		if _, err := c.DescribeKey(dr); err != nil {
			t.Fatalf("A's credential: %v", err)
		}
	}
	check(b)
	// The embedded pair of A became a permanent one: B keeps its own.
	creds, err := b.srv.ListCredentials()
	must(t, err)
	for _, c := range creds {
		if c.SecretID == aEmbeddedID && (c.Embedded || c.Name != restoredEmbedded) || c.SecretID == bEmbeddedID && !c.Embedded {
			t.Fatalf("credentials %+v", creds)
		}
	}
	if id, _, _ := b.srv.EmbeddedCredential(); id != bEmbeddedID {
		t.Fatalf("embedded credential changed to %s", id)
	}

	// Written under the store's integrity scheme: a restart loads it all, also after
	// a restored key was written again.
	must(t, b.srv.RotateKeyNow(sym))
	must(t, b.srv.Close())
	again, err := Open(Options{DataDir: b.dir, MasterKey: MasterKeyFile, Now: b.clock.Now})
	must(t, err)
	t.Cleanup(func() { again.Close() })
	if ids := again.InstanceIDs(); !slices.Equal(ids, bIDs) {
		t.Fatalf("instances after restart %v, want %v", ids, bIDs)
	}
	b.srv = again
	b.rt = again.Transport()
	check(b)
}

// TestRestoreMerges: restoring twice changes nothing the second time; versions a key
// gained elsewhere are added; a backup restored into the KMS it came from is all
// present, and its own id is not added twice.
func TestRestoreMerges(t *testing.T) {
	a := newEnv(t, "inproc")
	id := a.createKey("shared")
	first := a.backup()
	b := newEnv(t, "inproc")
	if _, err := b.srv.Restore(bytes.NewReader(first), testPassphrase); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, b.dir)
	res, err := b.srv.Restore(bytes.NewReader(first), testPassphrase)
	if err != nil || len(res.KeysAdded) != 0 || !slices.Equal(res.KeysPresent, []string{id}) || res.CredentialsAdded != 0 {
		t.Fatalf("second restore: %+v %v", res, err)
	}
	if !maps2Equal(before, dirState(t, b.dir)) {
		t.Fatal("a restore that adds nothing wrote to the database")
	}

	must(t, a.srv.RotateKeyNow(id))
	must(t, a.srv.RotateKeyNow(id))
	v3 := a.mustEncrypt(id, []byte("third"), "")
	res, err = b.srv.Restore(bytes.NewReader(a.backup()), testPassphrase)
	if err != nil || res.VersionsAdded != 2 || !slices.Equal(res.KeysPresent, []string{id}) {
		t.Fatalf("restore of a rotated key: %+v %v", res, err)
	}
	if pt, _, err := b.decrypt(v3, ""); err != nil || string(pt) != "third" {
		t.Fatalf("decrypt the new version: %q %v", pt, err)
	}

	res, err = a.srv.Restore(bytes.NewReader(first), testPassphrase)
	if err != nil || len(res.KeysAdded) != 0 || len(a.srv.InstanceIDs()) != 1 {
		t.Fatalf("restore into itself: %+v %v %v", res, err, a.srv.InstanceIDs())
	}
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRestoreImportedMaterialComesBack: material deleted from an EXTERNAL key here
// is brought back by a backup that has it; different material is a conflict.
func TestRestoreImportedMaterialComesBack(t *testing.T) {
	a := newEnv(t, "inproc")
	ext := a.createKey("byok", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
	a.importMaterial(ext, bytes.Repeat([]byte{9}, 32))
	blob := a.mustEncrypt(ext, []byte("x"), "")
	file := a.backup()
	dr := kms.NewDeleteImportedKeyMaterialRequest()
	dr.KeyId = sp(ext)
	_, err := a.kms().DeleteImportedKeyMaterial(dr)
	must(t, err)
	res, err := a.srv.Restore(bytes.NewReader(file), testPassphrase)
	if err != nil || res.VersionsAdded != 1 {
		t.Fatalf("restore: %+v %v", res, err)
	}
	if pt, _, err := a.decrypt(blob, ""); err != nil || string(pt) != "x" || *a.describe(ext).KeyState != stateEnabled {
		t.Fatalf("decrypt after restore: %q %v", pt, err)
	}
}

// sealDoc seals a backup document the way Backup does (for crafted backups).
func sealDoc(t *testing.T, doc any, passphrase string) []byte {
	t.Helper()
	plain, err := json.Marshal(doc)
	must(t, err)
	return sealPlain(t, plain, passphrase)
}

func sealPlain(t testing.TB, plain []byte, passphrase string) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(backupWorkFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openDoc decrypts a backup made by Backup into its document.
func openDoc(t *testing.T, file []byte) *backupDoc {
	t.Helper()
	doc, err := openBackup(bytes.NewReader(file), testPassphrase)
	must(t, err)
	return doc
}

// TestRestoreConflictsChangeNothing: a key id with other material, or an alias that
// another key has here, refuses the whole restore, naming the culprit, and leaves
// the data dir byte for byte as it was.
func TestRestoreConflictsChangeNothing(t *testing.T) {
	a := newEnv(t, "inproc")
	a.createKey("fresh") // would be added, but the restore is refused as a whole
	taken := a.createKey("taken")
	file := a.backup()
	b := newEnv(t, "inproc")
	b.createKey("taken")
	before := dirState(t, b.dir)
	_, err := b.srv.Restore(bytes.NewReader(file), testPassphrase)
	if codeOf(err) != CodeRestoreConflict || !strings.Contains(err.Error(), `alias "taken"`) || !strings.Contains(err.Error(), taken) {
		t.Fatalf("alias clash: %v", err)
	}
	if !maps2Equal(before, dirState(t, b.dir)) || len(b.srv.InstanceIDs()) != 1 {
		t.Fatal("a refused restore changed the data dir")
	}

	// The same KeyId with other material.
	doc := openDoc(t, file)
	for _, r := range doc.Keys {
		if r.KeyID == taken {
			r.Alias = "renamed"
			r.Versions[0].Material = bytes.Repeat([]byte{1}, 32)
		}
	}
	before = dirState(t, a.dir)
	_, err = a.srv.Restore(bytes.NewReader(sealDoc(t, doc, testPassphrase)), testPassphrase)
	if codeOf(err) != CodeRestoreConflict || !strings.Contains(err.Error(), taken) {
		t.Fatalf("material conflict: %v", err)
	}
	if !maps2Equal(before, dirState(t, a.dir)) {
		t.Fatal("a refused restore changed the data dir")
	}
}

// TestRestoreRefusesBadFiles: a wrong passphrase, a damaged, truncated or foreign
// file, and a newer format each get their own code, and change nothing.
func TestRestoreRefusesBadFiles(t *testing.T) {
	a := newEnv(t, "inproc")
	a.createKey("k")
	file := a.backup()
	b := newEnv(t, "inproc")
	before := dirState(t, b.dir)
	flipped := slices.Clone(file)
	flipped[len(flipped)/2] ^= 'A' ^ 'B'
	if flipped[len(flipped)/2] == '\n' {
		flipped[len(flipped)/2+1] ^= 1
	}
	doc := openDoc(t, file)
	newer := map[string]any{"format": backupFormat, "version": 2, "keys": []any{}}
	x25519, err := age.GenerateX25519Identity()
	must(t, err)
	var other bytes.Buffer
	w, err := age.Encrypt(&other, x25519.Recipient())
	must(t, err)
	w.Write([]byte("{}"))
	must(t, w.Close())
	binary := sealDoc(t, doc, testPassphrase)
	costly, err := age.NewScryptRecipient(testPassphrase)
	must(t, err)
	costly.SetWorkFactor(backupWorkFactor + 1) // age's readers take up to 2^22: 4 GiB
	var tooCostly bytes.Buffer
	w, err = age.Encrypt(&tooCostly, costly)
	must(t, err)
	must(t, w.Close())
	for _, c := range []struct {
		name, passphrase string
		file             []byte
		code             string
	}{
		{"wrong passphrase", "correct horse battery stapler", file, CodeBackupPassphrase},
		{"empty passphrase", "", file, CodeBackupPassphrase},
		{"flipped byte", testPassphrase, flipped, CodeBackupDamaged},
		{"truncated", testPassphrase, file[:len(file)-80], CodeBackupDamaged},
		{"truncated binary", testPassphrase, binary[:len(binary)-1], CodeBackupDamaged},
		{"empty", testPassphrase, nil, CodeBackupDamaged},
		{"not age", testPassphrase, []byte(`{"profiles":[]}`), CodeBackupDamaged},
		{"not a passphrase file", testPassphrase, other.Bytes(), CodeBackupDamaged},
		{"other JSON inside", testPassphrase, sealPlain(t, []byte(`{"profiles":[]}`), testPassphrase), CodeBackupDamaged},
		{"work factor above the one written", testPassphrase, tooCostly.Bytes(), CodeBackupDamaged},
		{"newer format", testPassphrase, sealDoc(t, newer, testPassphrase), CodeBackupVersion},
		{"unknown field", testPassphrase, sealPlain(t, []byte(`{"format":"`+backupFormat+`","version":1,"instances":["`+a.srv.instance+`"],"extra":1}`), testPassphrase), CodeBackupDamaged},
		{"trailing data", testPassphrase, sealPlain(t, []byte(`{"format":"`+backupFormat+`","version":1,"instances":["`+a.srv.instance+`"]} {}`), testPassphrase), CodeBackupDamaged},
		{"no instance", testPassphrase, sealPlain(t, []byte(`{"format":"`+backupFormat+`","version":1,"instances":[]}`), testPassphrase), CodeBackupDamaged},
	} {
		_, err := b.srv.Restore(bytes.NewReader(c.file), c.passphrase)
		if codeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if !maps2Equal(before, dirState(t, b.dir)) || len(b.srv.InstanceIDs()) != 1 {
		t.Fatal("a refused restore changed the data dir")
	}
	// A binary (not armored) backup restores too.
	if res, err := b.srv.Restore(bytes.NewReader(binary), testPassphrase); err != nil || len(res.KeysAdded) != 1 {
		t.Fatalf("binary backup: %+v %v", res, err)
	}
}

// TestRestoreRefusesInconsistentKeys: a backup that decrypts but holds a key that
// would misbehave (material of the wrong size, an enabled key without material, a
// rotation period of 0 days) is refused as damaged.
func TestRestoreRefusesInconsistentKeys(t *testing.T) {
	a := newEnv(t, "inproc")
	a.createKey("k")
	file := a.backup()
	for name, spoil := range map[string]func(r *keyRecord){
		"short material":    func(r *keyRecord) { r.Versions[0].Material = r.Versions[0].Material[:16] },
		"no material":       func(r *keyRecord) { r.Versions = nil },
		"zero-day rotation": func(r *keyRecord) { r.RotationEnabled, r.RotateDays = true, 0 },
		"version order":     func(r *keyRecord) { r.Versions[0].Version = 2 },
		"bad alias":         func(r *keyRecord) { r.Alias = "a b" },
		"bad state":         func(r *keyRecord) { r.State = "Lost" },
	} {
		doc := openDoc(t, file)
		spoil(doc.Keys[0])
		b := newEnv(t, "inproc")
		if _, err := b.srv.Restore(bytes.NewReader(sealDoc(t, doc, testPassphrase)), testPassphrase); codeOf(err) != CodeBackupDamaged {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestBackupPassphraseRules: shorter than 12 characters is refused before anything is
// written; 12 Chinese characters are enough (characters, not bytes, count).
func TestBackupPassphraseRules(t *testing.T) {
	e := newEnv(t, "inproc")
	for _, p := range []string{"", "short", "elevenchars", "\xff\xfe" + strings.Repeat("a", 12), strings.Repeat("a", 1025)} {
		var buf bytes.Buffer
		if _, err := e.srv.Backup(&buf, p); codeOf(err) != CodeWeakPassphrase || buf.Len() != 0 {
			t.Errorf("passphrase %q: %v, %d bytes written", p, err, buf.Len())
		}
	}
	zh := "我的备份口令十二个汉字呀"
	var buf bytes.Buffer
	if _, err := e.srv.Backup(&buf, zh); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Restore(&buf, zh); err != nil {
		t.Fatal(err)
	}
}

// TestBackupFile: the file is an armored age file with one scrypt stanza at the work
// factor in force (age's default, 2^18, outside the tests); age itself decrypts it to
// the documented JSON, and BackupInfo counts what it holds.
func TestBackupFile(t *testing.T) {
	if defaultBackupWorkFactor != 18 {
		t.Fatalf("work factor %d; age's default is 18", defaultBackupWorkFactor)
	}
	e := newEnv(t, "inproc")
	e.createKey("one")
	e.createKey("two")
	var buf bytes.Buffer
	info, err := e.srv.Backup(&buf, testPassphrase)
	must(t, err)
	if info.Keys != 2 || info.Credentials != 1 || !slices.Equal(info.Instances, e.srv.InstanceIDs()) {
		t.Fatalf("info %+v", info)
	}
	raw, err := io.ReadAll(armor.NewReader(bytes.NewReader(buf.Bytes())))
	must(t, err)
	header := string(raw[:bytes.Index(raw, []byte("\n---"))])
	lines := strings.Split(header, "\n")
	if len(lines) != 3 || lines[0] != "age-encryption.org/v1" || !strings.HasPrefix(lines[1], "-> scrypt ") || !strings.HasSuffix(lines[1], " 10") {
		t.Fatalf("header %q", header)
	}
	id, err := age.NewScryptIdentity(testPassphrase)
	must(t, err)
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(buf.Bytes())), id)
	must(t, err)
	var doc map[string]any
	must(t, json.NewDecoder(r).Decode(&doc))
	if doc["format"] != backupFormat || doc["version"] != float64(1) || len(doc["keys"].([]any)) != 2 || doc["createdAt"] != float64(e.clock.Now().Unix()) {
		t.Fatalf("document %v", doc)
	}
	key := doc["keys"].([]any)[0].(map[string]any)
	for _, f := range []string{"keyId", "region", "alias", "state", "usage", "origin", "versions", "rotateDays"} {
		if _, ok := key[f]; !ok {
			t.Fatalf("key record lacks %s: %v", f, key)
		}
	}
}

// TestBackupWhileServing: a backup taken while keys are being created holds whole
// keys only and restores.
func TestBackupWhileServing(t *testing.T) {
	a := newEnv(t, "inproc")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			a.createKey("busy-" + string(rune('a'+i)))
		}
	}()
	var files [][]byte
	for range 5 {
		files = append(files, a.backup())
	}
	wg.Wait()
	for _, f := range files {
		b := newEnv(t, "inproc")
		if _, err := b.srv.Restore(bytes.NewReader(f), testPassphrase); err != nil {
			t.Fatal(err)
		}
	}
}

// fuzzServer opens a local KMS with a credential for a fuzz target, and returns it
// with a backup of it.
func fuzzServer(f *testing.F) (*Server, []byte) {
	srv, err := Open(Options{DataDir: f.TempDir(), MasterKey: MasterKeyFile})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	if _, err := srv.CreateCredential("fuzz"); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := srv.Backup(&buf, testPassphrase); err != nil {
		f.Fatal(err)
	}
	return srv, buf.Bytes()
}

// FuzzRestore feeds Restore arbitrary files (seeded with a valid backup, a truncated
// one, a newer format and garbage): it never panics, and a refused restore changes
// nothing.
func FuzzRestore(f *testing.F) {
	srv, file := fuzzServer(f)
	valid := bytes.NewBuffer(file)
	f.Add(valid.Bytes())
	f.Add(valid.Bytes()[:valid.Len()/2])
	f.Add(sealPlain(f, []byte(`{"format":"`+backupFormat+`","version":2}`), testPassphrase))
	f.Add(sealPlain(f, []byte(`{"format":"`+backupFormat+`","version":1,"instances":["`+srv.instance+`"],"keys":[{"keyId":"x"}]}`), testPassphrase))
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAA 10\n"))
	f.Add([]byte("not a backup"))
	f.Fuzz(func(t *testing.T, file []byte) {
		n := len(srv.InstanceIDs())
		if _, err := srv.Restore(bytes.NewReader(file), testPassphrase); err != nil && len(srv.InstanceIDs()) != n {
			t.Fatal("a refused restore changed the instance ids")
		}
	})
}

// FuzzParseBackup feeds the document parser arbitrary JSON (seeded with a real
// document, a newer format and truncated ones): it never panics, and a document it
// accepts holds only keys that load.
func FuzzParseBackup(f *testing.F) {
	srv, file := fuzzServer(f)
	id, _ := age.NewScryptIdentity(testPassphrase)
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(file)), id)
	if err != nil {
		f.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	f.Add(plain)
	f.Add(plain[:len(plain)/2])
	f.Add([]byte(`{"format":"` + backupFormat + `","version":2}`))
	f.Add([]byte(`{"format":"` + backupFormat + `","version":1,"instances":["` + srv.instance + `"],"keys":[null]}`))
	f.Fuzz(func(t *testing.T, plain []byte) {
		doc, err := parseBackup(plain)
		if err != nil {
			return
		}
		for _, r := range doc.Keys {
			if _, err := newKey(*r); err != nil {
				t.Fatalf("accepted a key that does not load: %v", err)
			}
		}
	})
}
