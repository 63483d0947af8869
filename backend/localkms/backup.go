package localkms

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/emmansun/gmsm/smx509"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Backup and restore. The keys of a local KMS exist only in its data folder; a backup
// is one file that holds everything needed to decrypt again somewhere else: every key
// with all its material versions and metadata, the stored API key pairs and the
// instance ids that name this local KMS in the files it encrypted.
//
// # File format
//
// An age file (https://age-encryption.org/v1), ASCII-armored, encrypted to one scrypt
// passphrase recipient (age's default work factor, 2^18). Inside is one JSON document,
// format version 1:
//
//	{"format": "kmsdesk-localkms-backup", "version": 1, "createdAt": <Unix seconds>,
//	 "instances": ["<this folder's id>", "<ids of backups restored into it>", ...],
//	 "keys": [<key record>...], "credentials": [<credential>...]}
//
// A key record is the JSON of the sealed database record (keyRecord: keyId, region,
// alias, description, state, usage, spec, origin, seq, createTime, deletionDate,
// rotationEnabled, rotateDays, nextRotateTime, lastRotateTime, validTo, tags,
// versions [{version, material (base64), created}], import, materialDigest); a
// credential is {name, secretId, secretKey, kind: "permanent"|"embedded", createdAt}.
// Unknown fields are refused. docs/LOCAL-KMS.md describes the format for people.
//
// Restore reads armored and binary age files alike.

// Backup limits.
const (
	// MinPassphraseLen is the shortest passphrase Backup accepts, in characters
	// (Unicode code points). A backup can be attacked offline for as long as a copy
	// exists; with age's scrypt (about a second of work per guess on a laptop), 12
	// characters are the least that keep a guessing attack out of reach when the
	// passphrase is a few random words or a random string.
	MinPassphraseLen = 12
	// maxPassphraseBytes bounds a passphrase (bytes of UTF-8).
	maxPassphraseBytes = 1024
	// maxBackupSize is the largest inner document, in bytes (about 20,000 RSA keys).
	maxBackupSize = 64 << 20
	// maxBackupFileSize bounds what Restore reads of a file: the armored form of the
	// largest document (4/3 of it, line breaks and age's overhead included).
	maxBackupFileSize = maxBackupSize/3*4 + maxBackupSize/48 + 64<<10
	// maxBackupInstances bounds the instance ids of one backup.
	maxBackupInstances = 1000
	backupFormat       = "kmsdesk-localkms-backup"
	backupVersion      = 1
	restoredEmbedded   = "embedded (restored)" // name of a restored embedded pair turned permanent
	maxConflictsListed = 5                     // ids named in a conflict message
)

// defaultBackupWorkFactor is log2 of the scrypt work factor of a new backup: age's
// default (about a second and 256 MiB to derive the key).
const defaultBackupWorkFactor = 18

// backupWorkFactor is the work factor of new backups, and the highest Restore
// accepts (a higher one costs memory without bound: 2^22 is 4 GiB); package tests
// lower it.
var backupWorkFactor = defaultBackupWorkFactor

// Patterns of what a backup may hold.
var (
	regionRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	secretIDRE  = regexp.MustCompile(`^` + secretIDPrefix + `[A-Za-z0-9]{32}$`)
	secretKeyRE = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
)

// BackupInfo says what a backup holds.
type BackupInfo struct {
	// Keys and Credentials are the numbers of keys and API key pairs in it.
	Keys        int
	Credentials int
	// Instances are the ids the backup makes a restoring local KMS answer to: the
	// backed-up folder's own first, then those of backups restored into it.
	Instances []string
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	// KeysAdded are the KeyIds of the keys that were not here and now are.
	KeysAdded []string
	// KeysPresent are the KeyIds of the keys that were here already with the same
	// material (newer versions from the backup were added to them).
	KeysPresent []string
	// VersionsAdded counts the material versions added to keys already present.
	VersionsAdded int
	// AliasesAdded are the aliases of the keys added.
	AliasesAdded []string
	// CredentialsAdded counts the API key pairs added.
	CredentialsAdded int
	// Instances are the backup's instance ids; this local KMS now answers to all of
	// them, so files whose key slots name them decrypt here.
	Instances []string
}

// backupDoc is the document inside a backup (format version 1).
type backupDoc struct {
	Format      string        `json:"format"`
	Version     int           `json:"version"`
	CreatedAt   int64         `json:"createdAt"`
	Instances   []string      `json:"instances"`
	Keys        []*keyRecord  `json:"keys"`
	Credentials []*credential `json:"credentials"`
}

// wipe clears the key material and secrets the document holds.
func (d *backupDoc) wipe() {
	for _, r := range d.Keys {
		wipeRecord(r)
	}
	for _, c := range d.Credentials {
		c.SecretKey = ""
	}
}

// cloneRecord is a deep copy of a record, material included (the backup's is wiped).
func cloneRecord(r *keyRecord) *keyRecord {
	c := r.copy()
	for i := range c.Versions {
		c.Versions[i].Material = slices.Clone(c.Versions[i].Material)
	}
	if c.Import != nil {
		c.Import.WrappingKey = slices.Clone(c.Import.WrappingKey)
	}
	return &c
}

func wipeRecord(r *keyRecord) {
	if r == nil {
		return
	}
	for i := range r.Versions {
		wipe(r.Versions[i].Material)
	}
	if r.Import != nil {
		wipe(r.Import.WrappingKey)
	}
}

// CheckPassphrase reports why a passphrase may not seal a backup (code
// LocalKMS.WeakPassphrase), or nil: it must be valid UTF-8 of at least
// [MinPassphraseLen] characters and at most 1024 bytes.
func CheckPassphrase(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return newError(CodeWeakPassphrase, nil, "the passphrase is not valid text")
	case n < MinPassphraseLen:
		return newError(CodeWeakPassphrase, nil, "the passphrase has %d characters; use at least %d (for example four random words)", n, MinPassphraseLen)
	case len(p) > maxPassphraseBytes:
		return newError(CodeWeakPassphrase, nil, "the passphrase is longer than %d bytes", maxPassphraseBytes)
	}
	return nil
}

// Backup writes one file to w, sealed with passphrase, that holds everything needed to
// decrypt this local KMS's ciphertexts elsewhere: every key (all material versions,
// state, metadata, alias, rotation and import state), the stored API key pairs and the
// instance ids. It reads one consistent snapshot of the database while the server keeps
// serving. The passphrase must pass [CheckPassphrase]. Restore it with [Server.Restore].
func (s *Server) Backup(w io.Writer, passphrase string) (BackupInfo, error) {
	if s.closed.Load() {
		return BackupInfo{}, newError(CodeClosed, nil, "server is closed")
	}
	if err := CheckPassphrase(passphrase); err != nil {
		return BackupInfo{}, err
	}
	doc, err := s.store.snapshot()
	if err != nil {
		return BackupInfo{}, err
	}
	defer doc.wipe()
	doc.CreatedAt = s.nowUnix()
	plain, err := json.Marshal(doc)
	if err != nil {
		return BackupInfo{}, newError(CodeStorage, err, "encode the backup")
	}
	defer wipe(plain)
	if len(plain) > maxBackupSize {
		return BackupInfo{}, newError(CodeInvalidArgument, nil, "the backup would be %d bytes, more than the %d a restore reads", len(plain), maxBackupSize)
	}
	rcpt, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return BackupInfo{}, newError(CodeWeakPassphrase, err, "use the passphrase")
	}
	rcpt.SetWorkFactor(backupWorkFactor)
	aw := armor.NewWriter(w)
	ew, err := age.Encrypt(aw, rcpt)
	if err == nil {
		_, err = ew.Write(plain)
		if cerr := ew.Close(); err == nil {
			err = cerr
		}
		if cerr := aw.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("localkms: write the backup: %w", err)
	}
	return BackupInfo{Keys: len(doc.Keys), Credentials: len(doc.Credentials), Instances: doc.Instances}, nil
}

// snapshot reads, in one read transaction, every key and stored permanent credential
// (checked against the database digest) and the instance ids.
func (st *store) snapshot() (*backupDoc, error) {
	doc := &backupDoc{Format: backupFormat, Version: backupVersion, Keys: []*keyRecord{}, Credentials: []*credential{}}
	err := st.db.View(func(tx *bolt.Tx) error {
		keys, creds, err := st.loadTx(tx)
		if err != nil {
			return err
		}
		slices.SortFunc(keys, func(a, b *keyRecord) int { return strings.Compare(a.KeyID, b.KeyID) })
		doc.Keys = append(doc.Keys, keys...)
		for _, c := range creds {
			if c.Kind == kindPermanent || c.Kind == kindEmbedded {
				doc.Credentials = append(doc.Credentials, c)
			}
		}
		own, others := instancesOf(tx.Bucket(bucketMeta))
		doc.Instances = append([]string{own}, others...)
		return nil
	})
	if err != nil {
		doc.wipe()
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, newError(CodeStorage, err, "read the database")
	}
	return doc, nil
}

// Restore merges a backup made by [Server.Backup] into this local KMS, atomically:
// either all of it is written in one transaction or nothing changes.
//
//   - A key that is not here is added, with its state, alias and material.
//   - A key here with the same KeyId and the same material is kept as it is; material
//     versions it lacks (it was rotated after the backup elsewhere) are added.
//   - A key here with the same KeyId and different material, usage, region or origin
//     is a conflict, and so is an added key whose alias another key has here in the
//     same region: the whole restore is refused (code LocalKMS.RestoreConflict).
//   - API key pairs that are not here are added (one here is kept); the embedded pair
//     of the backup becomes a permanent one when this local KMS has its own.
//   - The backup's instance ids join the ids this local KMS answers to.
//
// A wrong passphrase is LocalKMS.BackupPassphrase; a damaged, truncated or foreign
// file is LocalKMS.BackupDamaged; a backup of a newer format is LocalKMS.BackupVersion.
func (s *Server) Restore(r io.Reader, passphrase string) (RestoreResult, error) {
	if s.closed.Load() {
		return RestoreResult{}, newError(CodeClosed, nil, "server is closed")
	}
	doc, err := openBackup(r, passphrase)
	if err != nil {
		return RestoreResult{}, err
	}
	defer doc.wipe()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Load() {
		return RestoreResult{}, newError(CodeClosed, nil, "server is closed")
	}
	p, err := s.planRestore(doc)
	if err != nil {
		return RestoreResult{}, err
	}
	if len(p.keys) == 0 && len(p.creds) == 0 && p.instances == nil {
		return p.res, nil
	}
	ks := make([]*key, len(p.keys))
	for i, rec := range p.keys {
		if ks[i], err = newKey(*rec); err != nil {
			return RestoreResult{}, newError(CodeBackupDamaged, err, "the backup holds an unusable key")
		}
	}
	if err := s.store.commit(write{putKeys: p.keys, putCreds: p.creds, instances: p.instances}); err != nil {
		return RestoreResult{}, err
	}
	for _, k := range ks {
		s.publish(k)
		s.seq = max(s.seq, k.rec.Seq)
	}
	s.mu.Lock()
	for _, c := range p.creds {
		s.creds[c.SecretID] = c
	}
	if p.instances != nil {
		s.instances = p.instances
	}
	s.mu.Unlock()
	s.log.Info("localkms: restored a backup", "keys_added", len(p.res.KeysAdded), "keys_present", len(p.res.KeysPresent),
		"versions_added", p.res.VersionsAdded, "credentials_added", p.res.CredentialsAdded, "instances", strings.Join(p.res.Instances, ","))
	return p.res, nil
}

// restorePlan is what a restore writes, checked against the current state.
type restorePlan struct {
	keys      []*keyRecord  // records to put: added keys, and present keys with added versions
	creds     []*credential // credentials to add
	instances []string      // the new list of restored instance ids; nil: unchanged
	res       RestoreResult
}

// planRestore compares a backup with the current state and returns what to write, or
// the conflicts that refuse it. s.writeMu must be held.
func (s *Server) planRestore(doc *backupDoc) (*restorePlan, error) {
	p := &restorePlan{res: RestoreResult{KeysAdded: []string{}, KeysPresent: []string{}, AliasesAdded: []string{}, Instances: doc.Instances}}
	var conflicts, clashes []string
	s.mu.RLock()
	for _, b := range doc.Keys {
		here := s.keys[b.KeyID]
		if here == nil {
			if owner, taken := s.aliases[aliasIndex(b.Region, b.Alias)]; taken {
				clashes = append(clashes, fmt.Sprintf("alias %q (%s) of key %s belongs to key %s here", b.Alias, b.Region, b.KeyID, owner))
				continue
			}
			p.keys = append(p.keys, cloneRecord(b))
			p.res.KeysAdded = append(p.res.KeysAdded, b.KeyID)
			p.res.AliasesAdded = append(p.res.AliasesAdded, b.Alias)
			continue
		}
		merged, added, ok := mergeKey(&here.rec, b)
		if !ok {
			conflicts = append(conflicts, b.KeyID)
			continue
		}
		p.res.KeysPresent = append(p.res.KeysPresent, b.KeyID)
		if added > 0 {
			p.keys = append(p.keys, merged)
			p.res.VersionsAdded += added
		}
	}
	hasEmbedded := false
	for _, c := range s.creds {
		hasEmbedded = hasEmbedded || c.Kind == kindEmbedded
	}
	for _, c := range doc.Credentials {
		if s.creds[c.SecretID] != nil {
			continue
		}
		nc := *c
		if nc.Kind == kindEmbedded && hasEmbedded {
			nc.Kind, nc.Name = kindPermanent, restoredEmbedded
		}
		p.creds = append(p.creds, &nc)
	}
	p.res.CredentialsAdded = len(p.creds)
	instances := slices.Clone(s.instances)
	for _, id := range doc.Instances {
		if id != s.instance && !slices.Contains(instances, id) {
			instances = append(instances, id)
		}
	}
	if len(instances) > len(s.instances) {
		p.instances = instances
	}
	s.mu.RUnlock()
	if len(instances) > maxBackupInstances {
		return nil, newError(CodeRestoreConflict, nil, "this local KMS would answer to more than %d instance ids; nothing was restored", maxBackupInstances)
	}
	if len(conflicts) > 0 {
		return nil, newError(CodeRestoreConflict, nil, "%d key(s) of the backup have the KeyId of a different key here (%s); nothing was restored",
			len(conflicts), listSome(conflicts))
	}
	if len(clashes) > 0 {
		return nil, newError(CodeRestoreConflict, nil, "%s; rename or delete the key here, then restore again; nothing was restored", listSome(clashes))
	}
	return p, nil
}

// listSome joins the first few items of a list, saying how many more there are.
func listSome(items []string) string {
	if len(items) <= maxConflictsListed {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:maxConflictsListed], "; ") + fmt.Sprintf("; and %d more", len(items)-maxConflictsListed)
}

// mergeKey merges the backup's record b of a key into the record here. ok is false
// when they are different keys (usage, spec, region, origin or material differ). Otherwise
// merged is the record here with the versions only the backup has added (added of
// them), or nil when there are none.
func mergeKey(here, b *keyRecord) (merged *keyRecord, added int, ok bool) {
	if here.Usage != b.Usage || here.Spec != b.Spec || here.Region != b.Region || here.Origin != b.Origin {
		return nil, 0, false
	}
	common := min(len(here.Versions), len(b.Versions))
	for i := range common {
		if subtle.ConstantTimeCompare(here.Versions[i].Material, b.Versions[i].Material) != 1 {
			return nil, 0, false
		}
	}
	if here.Origin == originExternal {
		// Imported material: the key remembers a digest of it, even once deleted.
		digest := here.MaterialDigest
		if len(here.Versions) > 0 {
			digest = materialDigest(here.Versions[0].Material)
		}
		bd := b.MaterialDigest
		if len(b.Versions) > 0 {
			bd = materialDigest(b.Versions[0].Material)
		}
		if digest != nil && bd != nil && subtle.ConstantTimeCompare(digest, bd) != 1 {
			return nil, 0, false
		}
	}
	if len(b.Versions) <= len(here.Versions) {
		return nil, 0, true
	}
	r := here.copy()
	for _, v := range b.Versions[len(here.Versions):] {
		r.Versions = append(r.Versions, keyVersion{Version: v.Version, Material: slices.Clone(v.Material), Created: v.Created})
	}
	r.LastRotateTime = max(r.LastRotateTime, b.LastRotateTime)
	if r.Origin == originExternal {
		// The material deleted here comes back, as ImportKeyMaterial would bring it.
		r.MaterialDigest = materialDigest(r.Versions[0].Material)
		r.ValidTo = b.ValidTo
		if r.State == statePendingImport {
			r.State = stateEnabled
		}
	}
	return &r, len(b.Versions) - len(here.Versions), true
}

// openBackup decrypts and parses a backup (armored or binary age).
func openBackup(r io.Reader, passphrase string) (*backupDoc, error) {
	if passphrase == "" {
		return nil, newError(CodeBackupPassphrase, nil, "enter the passphrase the backup was made with")
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, newError(CodeBackupPassphrase, err, "use the passphrase")
	}
	id.SetMaxWorkFactor(backupWorkFactor)
	br := bufio.NewReader(io.LimitReader(r, maxBackupFileSize))
	var src io.Reader = br
	if start, _ := br.Peek(1024); bytes.HasPrefix(bytes.TrimLeft(start, " \t\r\n"), []byte(armor.Header)) {
		src = armor.NewReader(br)
	}
	dec, err := age.Decrypt(src, id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) && slices.Contains(nm.StanzaTypes, "scrypt") {
			return nil, newError(CodeBackupPassphrase, nil, "wrong passphrase: the backup cannot be opened with it")
		}
		return nil, errDamaged(err)
	}
	plain, err := io.ReadAll(io.LimitReader(dec, maxBackupSize+1))
	defer wipe(plain)
	if err != nil {
		return nil, errDamaged(err)
	}
	if len(plain) > maxBackupSize {
		return nil, newError(CodeBackupDamaged, nil, "the backup is larger than %d bytes", maxBackupSize)
	}
	return parseBackup(plain)
}

func errDamaged(err error) *Error {
	return newError(CodeBackupDamaged, err, "the file is damaged, truncated or not a backup of local keys")
}

// parseBackup decodes and validates the document inside a backup.
func parseBackup(plain []byte) (*backupDoc, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(plain, &head); err != nil || head.Format != backupFormat {
		return nil, newError(CodeBackupDamaged, err, "the file is not a backup of local keys")
	}
	if head.Version > backupVersion {
		return nil, newError(CodeBackupVersion, nil, "the backup has format %d, made by a newer KMS Desk; this one reads format %d: update KMS Desk", head.Version, backupVersion)
	}
	if head.Version != backupVersion {
		return nil, newError(CodeBackupDamaged, nil, "the backup has an unknown format version %d", head.Version)
	}
	doc := &backupDoc{}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(doc); err != nil {
		doc.wipe()
		return nil, newError(CodeBackupDamaged, err, "decode the backup")
	}
	if _, err := dec.Token(); err != io.EOF {
		doc.wipe()
		return nil, newError(CodeBackupDamaged, nil, "the backup has data after its end")
	}
	if err := doc.validate(); err != nil {
		doc.wipe()
		return nil, newError(CodeBackupDamaged, err, "the backup is inconsistent")
	}
	return doc, nil
}

// validate checks everything a restore relies on, so that no record it writes can
// fail to load or misbehave: ids, aliases, states, material and credentials.
func (d *backupDoc) validate() error {
	if len(d.Instances) == 0 || len(d.Instances) > maxBackupInstances {
		return fmt.Errorf("%d instance ids", len(d.Instances))
	}
	for i, id := range d.Instances {
		if u, err := uuid.Parse(id); err != nil || u.String() != id || slices.Contains(d.Instances[:i], id) {
			return fmt.Errorf("instance id %q", truncate(id, 40))
		}
	}
	ids := make(map[string]bool, len(d.Keys))
	aliases := make(map[string]bool, len(d.Keys))
	for _, r := range d.Keys {
		if r == nil {
			return errors.New("a null key")
		}
		if err := validateRecord(r); err != nil {
			return fmt.Errorf("key %q: %w", truncate(r.KeyID, 40), err)
		}
		if ids[r.KeyID] || aliases[aliasIndex(r.Region, r.Alias)] {
			return fmt.Errorf("key %s or its alias appears twice", r.KeyID)
		}
		ids[r.KeyID], aliases[aliasIndex(r.Region, r.Alias)] = true, true
	}
	secretIDs := make(map[string]bool, len(d.Credentials))
	embedded := 0
	for _, c := range d.Credentials {
		if c == nil {
			return errors.New("a null credential")
		}
		if !secretIDRE.MatchString(c.SecretID) || !secretKeyRE.MatchString(c.SecretKey) || secretIDs[c.SecretID] ||
			(c.Kind != kindPermanent && c.Kind != kindEmbedded) || c.Expiry != 0 || c.Token != "" ||
			c.Name == "" || utf8.RuneCountInString(c.Name) > maxCredentialName || !utf8.ValidString(c.Name) || strings.ContainsFunc(c.Name, isControl) {
			return fmt.Errorf("credential %q", truncate(c.SecretID, 40))
		}
		secretIDs[c.SecretID] = true
		if c.Kind == kindEmbedded {
			embedded++
		}
	}
	if embedded > 1 {
		return errors.New("more than one embedded credential")
	}
	return nil
}

// validateRecord checks one key record of a backup.
func validateRecord(r *keyRecord) error {
	switch {
	case !validKeyID(r.KeyID):
		return errors.New("KeyId")
	case !regionRE.MatchString(r.Region):
		return errors.New("region")
	case !aliasRE.MatchString(r.Alias):
		return errors.New("alias")
	case len(r.Description) > maxDescriptionBytes || !utf8.ValidString(r.Description) || strings.ContainsFunc(r.Description, isControl):
		return errors.New("description")
	case !knownUsage(r.Usage):
		return errors.New("usage")
	case r.Spec != specAES256 && !(r.Spec == specSM4 && isSymmetric(r.Usage)):
		return errors.New("spec")
	case r.Origin != originTencent && !(r.Origin == originExternal && isSymmetric(r.Usage)):
		return errors.New("origin")
	case r.RotateDays != 0 && (r.RotateDays < minRotateDays || r.RotateDays > maxRotateDays),
		r.RotationEnabled && r.RotateDays == 0:
		return errors.New("rotation period")
	case len(r.Tags) > maxTags:
		return errors.New("tags")
	case r.MaterialDigest != nil && len(r.MaterialDigest) != len(materialDigest(nil)):
		return errors.New("material digest")
	}
	switch r.State {
	case stateEnabled, stateDisabled, stateArchived, statePendingDelete:
	case statePendingImport:
		if r.Origin != originExternal || len(r.Versions) != 0 {
			return errors.New("state")
		}
	default:
		return errors.New("state")
	}
	for _, t := range r.Tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen || utf8.RuneCountInString(t.Value) > maxTagValueLen {
			return errors.New("tag")
		}
	}
	if isSymmetric(r.Usage) {
		for _, v := range r.Versions {
			if len(v.Material) != materialLen(r.Spec) {
				return errors.New("material")
			}
		}
		switch {
		case r.Origin == originTencent && len(r.Versions) == 0,
			r.Origin == originExternal && len(r.Versions) > 1,
			r.State == stateEnabled && len(r.Versions) == 0:
			return errors.New("material versions")
		}
	}
	if r.Import != nil {
		if r.Origin != originExternal || r.Import.Token == "" {
			return errors.New("import parameters")
		}
		if _, err := smx509.ParsePKCS8PrivateKey(r.Import.WrappingKey); err != nil {
			return errors.New("import wrapping key")
		}
	}
	_, err := newKey(*r)
	return err
}
