package localkms

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
	"github.com/emmansun/gmsm/smx509"
)

// Key states (KeyMetadata.KeyState).
const (
	stateEnabled       = "Enabled"
	stateDisabled      = "Disabled"
	statePendingDelete = "PendingDelete"
	statePendingImport = "PendingImport"
	stateArchived      = "Archived"
)

// Key usages (CreateKey.KeyUsage).
const (
	usageEncryptDecrypt = "ENCRYPT_DECRYPT"
	usageRSADecrypt     = "ASYMMETRIC_DECRYPT_RSA_2048"
	usageSM2Decrypt     = "ASYMMETRIC_DECRYPT_SM2"
	usageSM2Sign        = "ASYMMETRIC_SIGN_VERIFY_SM2"
	usageECCSign        = "ASYMMETRIC_SIGN_VERIFY_ECC"
	usageRSASign        = "ASYMMETRIC_SIGN_VERIFY_RSA_2048"
	usageECDSA384Sign   = "ASYMMETRIC_SIGN_VERIFY_ECDSA384"
)

// Symmetric key specs (keyRecord.Spec): the cipher of every version of a key.
const (
	specAES256 = ""    // AES-256-GCM, 32-byte material; records made before specs existed have none
	specSM4    = "SM4" // SM4-GCM, 16-byte material: keys created in a national-standard region
)

// Key origins (KeyMetadata.Origin).
const (
	originTencent  = "TENCENT_KMS"
	originExternal = "EXTERNAL"
)

// Limits (kms-api.md §3).
const (
	maxDescriptionBytes = 1024   // bytes of Description
	maxBatchKeyIDs      = 100    // KeyIds per DescribeKeys/EnableKeys/DisableKeys
	defaultRotateDays   = 365    // days
	minRotateDays       = 7      // days
	maxRotateDays       = 365    // days
	minPendingDays      = 7      // days
	maxPendingDays      = 30     // days
	secondsPerDay       = 86400  // seconds
	aesKeyLen           = 32     // bytes of AES-256 key material
	sm4KeyLen           = 16     // bytes of SM4 key material
	maxTags             = 50     // tags per key
	maxTagKeyLen        = 127    // characters
	maxTagValueLen      = 255    // characters
	reservedAliasPrefix = "kms-" // reserved for cloud products
	aliasPattern        = `^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$`
	keyTypeFIPS         = int64(2)      // KeyMetadata.Type of AES/RSA/ECC keys
	keyTypeSM           = int64(4)      // KeyMetadata.Type of SM2 and SM4 keys and of national-standard regions
	ownerUser           = "user"        // KeyMetadata.Owner of user-created keys
	maxValidTo          = 2147443200    // Unix seconds; ImportKeyMaterial.ValidTo upper bound
	importParamsTTL     = secondsPerDay // seconds an ImportToken stays valid
)

var aliasRE = regexp.MustCompile(aliasPattern)

// keyRecord is the persisted form of a key (sealed at rest).
type keyRecord struct {
	KeyID           string       `json:"keyId"`
	Region          string       `json:"region"`
	Alias           string       `json:"alias"`
	Description     string       `json:"description"`
	State           string       `json:"state"`
	Usage           string       `json:"usage"`
	Spec            string       `json:"spec,omitempty"`
	Origin          string       `json:"origin"`
	Seq             uint64       `json:"seq"`
	CreateTime      int64        `json:"createTime"`
	DeletionDate    int64        `json:"deletionDate,omitempty"`
	RotationEnabled bool         `json:"rotationEnabled"`
	RotateDays      uint64       `json:"rotateDays"`
	NextRotateTime  int64        `json:"nextRotateTime"`
	LastRotateTime  int64        `json:"lastRotateTime,omitempty"`
	ValidTo         int64        `json:"validTo,omitempty"`
	Tags            []tagRecord  `json:"tags,omitempty"`
	Versions        []keyVersion `json:"versions,omitempty"`
	Import          *importState `json:"import,omitempty"`
	MaterialDigest  []byte       `json:"materialDigest,omitempty"`
}

type tagRecord struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// keyVersion is one generation of key material: a 32-byte AES or 16-byte SM4 key
// (see keyRecord.Spec) or a PKCS#8 private key.
type keyVersion struct {
	Version  uint32 `json:"version"`
	Material []byte `json:"material"`
	Created  int64  `json:"created"`
}

// importState holds the parameters of the last GetParametersForImport.
type importState struct {
	Token       string `json:"token"`
	WrappingKey []byte `json:"wrappingKey"` // PKCS#8 RSA-2048 or SM2 private key
	Algorithm   string `json:"algorithm"`
	ValidTo     int64  `json:"validTo"`
}

func (r *keyRecord) copy() keyRecord {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.Versions = slices.Clone(r.Versions)
	if r.Import != nil {
		imp := *r.Import
		c.Import = &imp
	}
	c.MaterialDigest = slices.Clone(r.MaterialDigest)
	return c
}

// key is an immutable in-memory snapshot of a key with its prepared crypto.
// Writers replace the snapshot; readers never see a partial update.
type key struct {
	rec    keyRecord
	aeads  []cipher.AEAD // symmetric: index version-1
	priv   crypto.PrivateKey
	pubDER []byte
}

func isSymmetric(usage string) bool { return usage == usageEncryptDecrypt }

// materialLen is the size of the symmetric key material of a spec, in bytes.
func materialLen(spec string) int {
	if spec == specSM4 {
		return sm4KeyLen
	}
	return aesKeyLen
}

// newAEAD returns the GCM of symmetric material of a spec.
func newAEAD(spec string, material []byte) (cipher.AEAD, error) {
	if len(material) != materialLen(spec) {
		return nil, fmt.Errorf("material is %d bytes, want %d", len(material), materialLen(spec))
	}
	var (
		block cipher.Block
		err   error
	)
	switch spec {
	case specAES256:
		block, err = aes.NewCipher(material)
	case specSM4:
		block, err = sm4.NewCipher(material)
	default:
		return nil, fmt.Errorf("unknown key spec %q", spec)
	}
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// newKey prepares a snapshot from a record.
func newKey(rec keyRecord) (*key, error) {
	k := &key{rec: rec}
	if isSymmetric(rec.Usage) {
		k.aeads = make([]cipher.AEAD, len(rec.Versions))
		for i, v := range rec.Versions {
			if v.Version != uint32(i+1) {
				return nil, fmt.Errorf("key %s: version %d out of order", rec.KeyID, v.Version)
			}
			aead, err := newAEAD(rec.Spec, v.Material)
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", rec.KeyID, err)
			}
			k.aeads[i] = aead
		}
		return k, nil
	}
	if len(rec.Versions) != 1 {
		return nil, fmt.Errorf("key %s: asymmetric key needs exactly one version", rec.KeyID)
	}
	priv, err := smx509.ParsePKCS8PrivateKey(rec.Versions[0].Material)
	if err != nil {
		return nil, fmt.Errorf("key %s: parse private key: %w", rec.KeyID, err)
	}
	k.priv = priv
	pub := priv.(crypto.Signer).Public()
	if k.pubDER, err = smx509.MarshalPKIXPublicKey(pub); err != nil {
		return nil, fmt.Errorf("key %s: marshal public key: %w", rec.KeyID, err)
	}
	return k, nil
}

// latest returns the newest symmetric version number (0 if none).
func (k *key) latest() uint32 { return uint32(len(k.aeads)) }

// generateMaterial creates fresh, independent key material for a usage (and,
// for symmetric keys, a spec).
func generateMaterial(usage, spec string) ([]byte, error) {
	switch usage {
	case usageEncryptDecrypt:
		m := make([]byte, materialLen(spec))
		_, err := rand.Read(m)
		return m, err
	case usageRSADecrypt, usageRSASign:
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return smx509.MarshalPKCS8PrivateKey(priv)
	case usageECCSign, usageECDSA384Sign:
		curve := elliptic.P256()
		if usage == usageECDSA384Sign {
			curve = elliptic.P384()
		}
		priv, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, err
		}
		return smx509.MarshalPKCS8PrivateKey(priv)
	case usageSM2Decrypt, usageSM2Sign:
		priv, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return smx509.MarshalPKCS8PrivateKey(priv)
	}
	return nil, fmt.Errorf("unsupported key usage %s", usage)
}

// knownUsage reports whether u is one of the key usages of the API. Which of them
// a region offers is regionAlgorithms's answer.
func knownUsage(u string) bool {
	switch u {
	case usageEncryptDecrypt, usageRSADecrypt, usageSM2Decrypt, usageSM2Sign, usageECCSign, usageRSASign, usageECDSA384Sign:
		return true
	}
	return false
}

// keyTypeOf is KeyMetadata.Type: 4 for SM (国密) keys and for every key of a
// national-standard region, 2 for the others.
func (s *Server) keyTypeOf(r *keyRecord) int64 {
	if r.Spec == specSM4 || r.Usage == usageSM2Decrypt || r.Usage == usageSM2Sign || s.nationalStandard(r.Region) {
		return keyTypeSM
	}
	return keyTypeFIPS
}

// keyMetadata is KeyMetadata on the wire.
type keyMetadata struct {
	KeyID              string `json:"KeyId"`
	Alias              string `json:"Alias"`
	CreateTime         int64  `json:"CreateTime"`
	Description        string `json:"Description"`
	KeyState           string `json:"KeyState"`
	KeyUsage           string `json:"KeyUsage"`
	Type               int64  `json:"Type"`
	CreatorUin         uint64 `json:"CreatorUin"`
	KeyRotationEnabled bool   `json:"KeyRotationEnabled"`
	Owner              string `json:"Owner"`
	NextRotateTime     int64  `json:"NextRotateTime"`
	DeletionDate       int64  `json:"DeletionDate"`
	Origin             string `json:"Origin"`
	ValidTo            int64  `json:"ValidTo"`
	ResourceID         string `json:"ResourceId"`
	HsmClusterID       string `json:"HsmClusterId"`
	RotateDays         uint64 `json:"RotateDays"`
	LastRotateTime     int64  `json:"LastRotateTime"`
	IsSyncReplica      int64  `json:"IsSyncReplica"`
	SourceRegion       string `json:"SourceRegion"`
	SyncStatus         int64  `json:"SyncStatus"`
	SyncMessages       string `json:"SyncMessages"`
	SyncStartTime      int64  `json:"SyncStartTime"`
	SyncEndTime        int64  `json:"SyncEndTime"`
	SourceHsmClusterID string `json:"SourceHsmClusterId"`
	CreatorUinString   string `json:"CreatorUinString"`
}

// canRotate reports whether a key's material rotates: symmetric keys whose
// material KMS created.
func canRotate(r *keyRecord) bool { return r.Origin == originTencent && isSymmetric(r.Usage) }

func (s *Server) metadata(k *key) keyMetadata {
	r := &k.rec
	var rotateDays uint64
	if canRotate(r) {
		rotateDays = r.RotateDays
	}
	uin := strconv.FormatUint(s.uin, 10)
	return keyMetadata{
		KeyID:              r.KeyID,
		Alias:              r.Alias,
		CreateTime:         r.CreateTime,
		Description:        r.Description,
		KeyState:           r.State,
		KeyUsage:           r.Usage,
		Type:               s.keyTypeOf(r),
		CreatorUin:         s.uin,
		KeyRotationEnabled: r.RotationEnabled,
		Owner:              ownerUser,
		NextRotateTime:     r.NextRotateTime,
		DeletionDate:       r.DeletionDate,
		Origin:             r.Origin,
		ValidTo:            r.ValidTo,
		ResourceID:         "creatorUin/" + uin + "/" + r.KeyID,
		RotateDays:         rotateDays,
		LastRotateTime:     r.LastRotateTime,
		CreatorUinString:   uin,
	}
}

func aliasIndex(region, alias string) string { return region + "\x00" + alias }

// aliasKeyID returns the KeyId of the key with the alias in region, if any.
func (s *Server) aliasKeyID(region, alias string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.aliases[aliasIndex(region, alias)]
	return id, ok
}

// validateAlias checks the alias format and the reserved prefix.
func validateAlias(a string) *apiError {
	if !aliasRE.MatchString(a) || strings.HasPrefix(a, reservedAliasPrefix) {
		return apiErr(codeInvalidAlias,
			"The Alias must be 1-60 letters, digits, '-' or '_', start with a letter or digit, and not start with 'kms-'.",
			"别名须为 1-60 个字母、数字、'-' 或 '_'，以字母或数字开头，且不能以 'kms-' 开头。")
	}
	return nil
}

// ---- lookups and maintenance ------------------------------------------------

// snapshot returns the current snapshot of a key (any region), or nil.
func (s *Server) snapshot(id string) *key {
	s.mu.RLock()
	k := s.keys[id]
	s.mu.RUnlock()
	return k
}

// needsMaintenance reports whether time-driven changes are due for k at now.
func needsMaintenance(r *keyRecord, now int64) bool {
	switch {
	case r.State == statePendingDelete && r.DeletionDate != 0 && now >= r.DeletionDate:
		return true
	case r.RotationEnabled && r.State == stateEnabled && canRotate(r) && now >= r.NextRotateTime:
		return true
	case r.Origin == originExternal && r.ValidTo != 0 && now >= r.ValidTo && len(r.Versions) > 0:
		return true
	}
	return false
}

// maintainLocked applies due time-driven changes to the key with the given id:
// purge after DeletionDate, automatic rotation, expiry of imported material. It
// returns the current snapshot, or nil if the key is gone. s.writeMu must be held.
func (s *Server) maintainLocked(id string, now int64) (*key, error) {
	k := s.snapshot(id)
	if k == nil || !needsMaintenance(&k.rec, now) {
		return k, nil
	}
	r := k.rec.copy()
	if r.State == statePendingDelete {
		if err := s.store.commit(write{deleteKeys: []string{id}}); err != nil {
			return nil, err
		}
		s.publishDelete(k)
		return nil, nil
	}
	if r.Origin == originExternal {
		r.Versions = nil
		r.State = statePendingImport
		r.ValidTo = 0
	} else if err := rotate(&r, now); err != nil {
		return nil, err
	}
	return s.commitKey(&r)
}

// rotate adds a new version of fresh material to a rotating key's record: new
// encryptions use it, blobs of older versions still decrypt. The next automatic
// rotation, if on, is RotateDays from now.
func rotate(r *keyRecord, now int64) error {
	mat, err := generateMaterial(r.Usage, r.Spec)
	if err != nil {
		return err
	}
	r.Versions = append(r.Versions, keyVersion{Version: uint32(len(r.Versions) + 1), Material: mat, Created: now})
	r.LastRotateTime = now
	if r.RotationEnabled {
		r.NextRotateTime = now + int64(r.RotateDays)*secondsPerDay
	}
	return nil
}

// sweepLocked applies due maintenance to every key. s.writeMu must be held.
func (s *Server) sweepLocked(now int64) error {
	s.mu.RLock()
	var due []string
	for id, k := range s.keys {
		if needsMaintenance(&k.rec, now) {
			due = append(due, id)
		}
	}
	s.mu.RUnlock()
	for _, id := range due {
		if _, err := s.maintainLocked(id, now); err != nil {
			return err
		}
	}
	return nil
}

// commitKey persists a record and returns its new, published snapshot.
// s.writeMu must be held.
func (s *Server) commitKey(r *keyRecord) (*key, error) {
	if err := s.commitKeys([]*keyRecord{r}); err != nil {
		return nil, err
	}
	return s.snapshot(r.KeyID), nil
}

// commitKeys persists records in one transaction and publishes their new
// snapshots. s.writeMu must be held.
func (s *Server) commitKeys(rs []*keyRecord) error {
	ks := make([]*key, len(rs))
	for i, r := range rs {
		k, err := newKey(*r)
		if err != nil {
			return err
		}
		ks[i] = k
	}
	if err := s.store.commit(write{putKeys: rs}); err != nil {
		return err
	}
	for _, k := range ks {
		s.publish(k)
	}
	return nil
}

func (s *Server) publish(k *key) {
	s.mu.Lock()
	if old := s.keys[k.rec.KeyID]; old != nil && old.rec.Alias != k.rec.Alias {
		delete(s.aliases, aliasIndex(old.rec.Region, old.rec.Alias))
	}
	s.keys[k.rec.KeyID] = k
	s.aliases[aliasIndex(k.rec.Region, k.rec.Alias)] = k.rec.KeyID
	s.mu.Unlock()
}

func (s *Server) publishDelete(k *key) {
	s.mu.Lock()
	delete(s.keys, k.rec.KeyID)
	if s.aliases[aliasIndex(k.rec.Region, k.rec.Alias)] == k.rec.KeyID {
		delete(s.aliases, aliasIndex(k.rec.Region, k.rec.Alias))
	}
	s.mu.Unlock()
	for i := range k.rec.Versions {
		wipe(k.rec.Versions[i].Material)
	}
}

// findKey resolves a KeyId parameter in a region, applying due maintenance.
// Safe without s.writeMu; takes it only when maintenance is due.
func (s *Server) findKey(region, id string) (*key, *apiError) {
	k := s.snapshot(id)
	if k == nil || !needsMaintenance(&k.rec, s.nowUnix()) {
		return keyIn(region, id, k)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.findKeyLocked(region, id)
}

// findKeyLocked is findKey for callers holding s.writeMu.
func (s *Server) findKeyLocked(region, id string) (*key, *apiError) {
	k, err := s.maintainLocked(id, s.nowUnix())
	if err != nil {
		s.logInternal("maintain key", err)
		return nil, errInternal()
	}
	return keyIn(region, id, k)
}

// keyIn returns k, the key of the KeyId parameter id (nil if there is none), if
// it belongs to region, or the error answering id.
func keyIn(region, id string, k *key) (*key, *apiError) {
	if !validKeyID(id) {
		return nil, errInvalidKeyID(id)
	}
	if k == nil || k.rec.Region != region {
		return nil, errCmkNotFound(id)
	}
	return k, nil
}

// keysInRegion returns the snapshots of a region's keys, newest first.
func (s *Server) keysInRegion(region string) []*key {
	s.mu.RLock()
	out := make([]*key, 0, len(s.keys))
	for _, k := range s.keys {
		if k.rec.Region == region {
			out = append(out, k)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *key) int {
		if a.rec.CreateTime != b.rec.CreateTime {
			if a.rec.CreateTime > b.rec.CreateTime {
				return -1
			}
			return 1
		}
		if a.rec.Seq > b.rec.Seq {
			return -1
		}
		if a.rec.Seq < b.rec.Seq {
			return 1
		}
		return 0
	})
	return out
}
