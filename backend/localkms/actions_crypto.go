package localkms

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Symmetric cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
// GenerateRandom.

// Limits of the symmetric actions.
const (
	maxDataKeyBytes = 1024 // bytes; GenerateDataKey NumberOfBytes and GenerateRandom upper bound
)

// canonicalContext parses an EncryptionContext (a JSON object of string values)
// into its canonical form: the same object re-encoded with sorted keys. Absent
// and "{}" are both the empty context (nil).
func canonicalContext(name, ec string) ([]byte, *apiError) {
	if ec == "" {
		return nil, nil
	}
	if len(ec) > maxContextBytes {
		return nil, errInvalidParam(name, fmt.Sprintf("must be at most %d bytes", maxContextBytes), fmt.Sprintf("不能超过 %d 字节", maxContextBytes))
	}
	trimmed := strings.TrimSpace(ec)
	var m map[string]string
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal([]byte(trimmed), &m) != nil {
		return nil, errInvalidParam(name, "must be a JSON object whose values are strings", "必须是值为字符串的 JSON 对象")
	}
	if len(m) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(m) // map keys are emitted sorted
	if err != nil {
		return nil, errInvalidParam(name, "must be a JSON object whose values are strings", "必须是值为字符串的 JSON 对象")
	}
	return out, nil
}

// checkEncryptable maps a key's usage and state to the Encrypt rules.
func checkEncryptable(k *key, pendingDeleteCode string) *apiError {
	r := &k.rec
	if !isSymmetric(r.Usage) {
		return errInvalidKeyUsage(r.KeyID, r.Usage)
	}
	switch r.State {
	case stateEnabled:
		return nil
	case stateDisabled:
		return errCmkDisabled(r.KeyID)
	case stateArchived:
		return apiErr(codeCmkArchived,
			fmt.Sprintf("The CMK %s is archived; it can decrypt but not encrypt.", r.KeyID),
			fmt.Sprintf("CMK %s 已归档，只能解密不能加密。", r.KeyID))
	case statePendingDelete:
		if pendingDeleteCode == codeKeyPendingDelete {
			return apiErr(codeKeyPendingDelete,
				fmt.Sprintf("The CMK %s is pending deletion.", r.KeyID),
				fmt.Sprintf("CMK %s 处于计划删除状态。", r.KeyID))
		}
	}
	return errStateNotSupport(r.KeyID, r.State)
}

// encryptionKey resolves a KeyId parameter to a key that may encrypt now
// (Encrypt, GenerateDataKey); see checkEncryptable.
func (s *Server) encryptionKey(region, id, pendingDeleteCode string) (*key, *apiError) {
	k, e := s.findKey(region, id)
	if e != nil {
		return nil, e
	}
	if e := checkEncryptable(k, pendingDeleteCode); e != nil {
		return nil, e
	}
	return k, nil
}

// sealWith encrypts plain under the key's newest version.
func sealWith(k *key, plain, ec []byte) string {
	ver := k.latest()
	h := makeBlobHeader(k.rec.KeyID, ver)
	var nonce [blobNonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic("localkms: crypto/rand failed: " + err.Error())
	}
	aad := h[:]
	if len(ec) > 0 {
		aad = append(h[:len(h):len(h)], ec...)
	}
	sealed := k.aeads[ver-1].Seal(nil, nonce[:], plain, aad)
	return formatBlob(h[:], nonce[:], sealed)
}

// openBlob resolves and opens a blob in a region with the given canonical
// context, enforcing the Decrypt state rules.
func (s *Server) openBlob(region, text string, ec []byte) (*key, *blob, []byte, *apiError) {
	b, err := parseBlob(text)
	if err != nil {
		return nil, nil, nil, errInvalidCiphertext()
	}
	k, e := s.findKey(region, b.keyID)
	if e != nil {
		return nil, nil, nil, e
	}
	r := &k.rec
	if !isSymmetric(r.Usage) {
		return nil, nil, nil, errInvalidCiphertext()
	}
	switch r.State {
	case stateEnabled, stateArchived:
	case stateDisabled, statePendingDelete:
		return nil, nil, nil, errCmkDisabled(r.KeyID)
	default:
		return nil, nil, nil, errStateNotSupport(r.KeyID, r.State)
	}
	if b.keyVersion > k.latest() {
		return nil, nil, nil, errInvalidCiphertext()
	}
	aad := b.header[:]
	if len(ec) > 0 {
		aad = append(b.header[:len(b.header):len(b.header)], ec...)
	}
	plain, err := k.aeads[b.keyVersion-1].Open(nil, b.nonce, b.sealed, aad)
	if err != nil {
		return nil, nil, nil, errInvalidCiphertext()
	}
	return k, b, plain, nil
}

// ---- Encrypt -------------------------------------------------------------------

type encryptParams struct {
	KeyID             string `param:"KeyId,required"`
	Plaintext         string `param:"Plaintext,required"`
	EncryptionContext string `param:"EncryptionContext"`
}

type encryptResult struct {
	CiphertextBlob string `json:"CiphertextBlob"`
	KeyID          string `json:"KeyId"`
}

func actEncrypt(s *Server, c *call, p *encryptParams) (*encryptResult, *apiError) {
	plain, err := base64.StdEncoding.DecodeString(p.Plaintext)
	if err != nil || len(plain) > maxBlobPlain {
		return nil, apiErr(codeInvalidPlaintext,
			fmt.Sprintf("Plaintext must be base64 of at most %d bytes.", maxBlobPlain),
			fmt.Sprintf("Plaintext 必须是 base64 编码且解码后不超过 %d 字节。", maxBlobPlain))
	}
	ec, e := canonicalContext("EncryptionContext", p.EncryptionContext)
	if e != nil {
		return nil, e
	}
	k, e := s.encryptionKey(c.region, p.KeyID, codeCmkStateNotSupport)
	if e != nil {
		return nil, e
	}
	blobText := sealWith(k, plain, ec)
	wipe(plain)
	return &encryptResult{CiphertextBlob: blobText, KeyID: k.rec.KeyID}, nil
}

// ---- Decrypt -------------------------------------------------------------------

type decryptParams struct {
	CiphertextBlob      string `param:"CiphertextBlob,required"`
	EncryptionContext   string `param:"EncryptionContext"`
	EncryptionPublicKey string `param:"EncryptionPublicKey"`
	EncryptionAlgorithm string `param:"EncryptionAlgorithm"`
}

// decryptResult is the result of Decrypt, AsymmetricRsaDecrypt and
// AsymmetricSm2Decrypt.
type decryptResult struct {
	KeyID     string `json:"KeyId"`
	Plaintext string `json:"Plaintext"`
}

func actDecrypt(s *Server, c *call, p *decryptParams) (*decryptResult, *apiError) {
	ec, e := canonicalContext("EncryptionContext", p.EncryptionContext)
	if e != nil {
		return nil, e
	}
	callerKey, e := parseCallerKey(p.EncryptionPublicKey, p.EncryptionAlgorithm)
	if e != nil {
		return nil, e
	}
	k, _, plain, e := s.openBlob(c.region, p.CiphertextBlob, ec)
	if e != nil {
		return nil, e
	}
	defer wipe(plain)
	out, e := callerKey.encode(plain)
	if e != nil {
		return nil, e
	}
	return &decryptResult{KeyID: k.rec.KeyID, Plaintext: out}, nil
}

// ---- ReEncrypt -----------------------------------------------------------------

type reEncryptParams struct {
	CiphertextBlob               string `param:"CiphertextBlob,required"`
	DestinationKeyID             string `param:"DestinationKeyId"`
	SourceEncryptionContext      string `param:"SourceEncryptionContext"`
	DestinationEncryptionContext string `param:"DestinationEncryptionContext"`
}

type reEncryptResult struct {
	CiphertextBlob string `json:"CiphertextBlob"`
	KeyID          string `json:"KeyId"`
	SourceKeyID    string `json:"SourceKeyId"`
	ReEncrypted    bool   `json:"ReEncrypted"`
}

func actReEncrypt(s *Server, c *call, p *reEncryptParams) (*reEncryptResult, *apiError) {
	srcEC, e := canonicalContext("SourceEncryptionContext", p.SourceEncryptionContext)
	if e != nil {
		return nil, e
	}
	dstEC, e := canonicalContext("DestinationEncryptionContext", p.DestinationEncryptionContext)
	if e != nil {
		return nil, e
	}
	if p.DestinationKeyID != "" && !validKeyID(p.DestinationKeyID) {
		return nil, errInvalidKeyID(p.DestinationKeyID)
	}
	src, b, plain, e := s.openBlob(c.region, p.CiphertextBlob, srcEC)
	if e != nil {
		return nil, e
	}
	defer wipe(plain)
	if p.DestinationKeyID == "" && b.keyVersion == src.latest() && string(srcEC) == string(dstEC) {
		return &reEncryptResult{CiphertextBlob: p.CiphertextBlob, KeyID: src.rec.KeyID, SourceKeyID: src.rec.KeyID, ReEncrypted: false}, nil
	}
	dst := src
	if p.DestinationKeyID != "" {
		if dst, e = s.findKey(c.region, p.DestinationKeyID); e != nil {
			return nil, e
		}
	}
	if e := checkEncryptable(dst, codeCmkStateNotSupport); e != nil {
		return nil, e
	}
	return &reEncryptResult{
		CiphertextBlob: sealWith(dst, plain, dstEC),
		KeyID:          dst.rec.KeyID,
		SourceKeyID:    src.rec.KeyID,
		ReEncrypted:    true,
	}, nil
}

// ---- GenerateDataKey -----------------------------------------------------------

// checkNumberOfBytes checks NumberOfBytes of GenerateDataKey and GenerateRandom.
func checkNumberOfBytes(n uint64) *apiError {
	if n < 1 || n > maxDataKeyBytes {
		return errInvalidParam("NumberOfBytes", fmt.Sprintf("must be between 1 and %d", maxDataKeyBytes), fmt.Sprintf("取值范围为 1-%d", maxDataKeyBytes))
	}
	return nil
}

type generateDataKeyParams struct {
	KeyID               string  `param:"KeyId,required"`
	KeySpec             string  `param:"KeySpec"`
	NumberOfBytes       *uint64 `param:"NumberOfBytes"`
	EncryptionContext   string  `param:"EncryptionContext"`
	EncryptionPublicKey string  `param:"EncryptionPublicKey"`
	EncryptionAlgorithm string  `param:"EncryptionAlgorithm"`
}

type generateDataKeyResult struct {
	KeyID          string `json:"KeyId"`
	Plaintext      string `json:"Plaintext"`
	CiphertextBlob string `json:"CiphertextBlob"`
}

func actGenerateDataKey(s *Server, c *call, p *generateDataKeyParams) (*generateDataKeyResult, *apiError) {
	var n uint64
	switch {
	case p.NumberOfBytes != nil:
		n = *p.NumberOfBytes
		if e := checkNumberOfBytes(n); e != nil {
			return nil, e
		}
	case p.KeySpec == "AES_128":
		n = 16
	case p.KeySpec == "AES_256":
		n = 32
	case p.KeySpec == "":
		return nil, errInvalidParam("KeySpec", "either KeySpec or NumberOfBytes is required", "KeySpec 和 NumberOfBytes 必须指定其一")
	default:
		return nil, errInvalidParam("KeySpec", "must be AES_128 or AES_256", "取值必须为 AES_128 或 AES_256")
	}
	ec, e := canonicalContext("EncryptionContext", p.EncryptionContext)
	if e != nil {
		return nil, e
	}
	callerKey, e := parseCallerKey(p.EncryptionPublicKey, p.EncryptionAlgorithm)
	if e != nil {
		return nil, e
	}
	k, e := s.encryptionKey(c.region, p.KeyID, codeKeyPendingDelete)
	if e != nil {
		return nil, e
	}
	dek := make([]byte, n)
	if _, err := rand.Read(dek); err != nil {
		s.logInternal("generate data key", err)
		return nil, errInternal()
	}
	defer wipe(dek)
	out, e := callerKey.encode(dek)
	if e != nil {
		return nil, e
	}
	return &generateDataKeyResult{KeyID: k.rec.KeyID, Plaintext: out, CiphertextBlob: sealWith(k, dek, ec)}, nil
}

// ---- GenerateRandom ------------------------------------------------------------

type generateRandomParams struct {
	NumberOfBytes *uint64 `param:"NumberOfBytes,required"`
}

type generateRandomResult struct {
	Plaintext string `json:"Plaintext"`
}

func actGenerateRandom(s *Server, c *call, p *generateRandomParams) (*generateRandomResult, *apiError) {
	n := *p.NumberOfBytes
	if e := checkNumberOfBytes(n); e != nil {
		return nil, e
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		s.logInternal("generate random", err)
		return nil, errInternal()
	}
	return &generateRandomResult{Plaintext: base64.StdEncoding.EncodeToString(b)}, nil
}

// ---- EncryptionPublicKey -------------------------------------------------------

// callerKey re-encrypts a returned Plaintext under a caller's public key
// (Decrypt/GenerateDataKey EncryptionPublicKey); the zero value returns base64.
type callerKey struct {
	rsaKey *rsa.PublicKey
	sm2Key *ecdsa.PublicKey
	alg    string
}

const (
	algSM2           = "SM2"
	algSM2ASN1       = "SM2_C1C3C2_ASN1"
	algRSAPKCS1      = "RSAES_PKCS1_V1_5"
	algRSAOAEPSHA1   = "RSAES_OAEP_SHA_1"
	algRSAOAEPSHA256 = "RSAES_OAEP_SHA_256"
	minCallerRSABits = 2048 // bits
)

// checkRSAES checks the parameter name naming an RSAES algorithm.
func checkRSAES(name, alg string) *apiError {
	switch alg {
	case algRSAPKCS1, algRSAOAEPSHA1, algRSAOAEPSHA256:
		return nil
	}
	return errInvalidParam(name, "must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256", "取值必须为 RSAES_PKCS1_V1_5、RSAES_OAEP_SHA_1 或 RSAES_OAEP_SHA_256")
}

// oaepHash returns the hash of the RSAES algorithm alg, nil for RSAES_PKCS1_V1_5.
func oaepHash(alg string) hash.Hash {
	switch alg {
	case algRSAOAEPSHA1:
		return sha1.New()
	case algRSAOAEPSHA256:
		return sha256.New()
	}
	return nil
}

// rsaEncrypt encrypts plain under pub with the RSAES algorithm alg.
func rsaEncrypt(pub *rsa.PublicKey, alg string, plain []byte) ([]byte, error) {
	if h := oaepHash(alg); h != nil {
		return rsa.EncryptOAEP(h, rand.Reader, pub, plain, nil)
	}
	//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
	return rsa.EncryptPKCS1v15(rand.Reader, pub, plain)
}

// rsaDecrypt opens ct, encrypted under priv's public key with the RSAES
// algorithm alg.
func rsaDecrypt(priv *rsa.PrivateKey, alg string, ct []byte) ([]byte, error) {
	if h := oaepHash(alg); h != nil {
		return rsa.DecryptOAEP(h, nil, priv, ct, nil)
	}
	//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
	return rsa.DecryptPKCS1v15(nil, priv, ct)
}

func errCallerKey(en, zh string) *apiError {
	return errInvalidParam("EncryptionPublicKey", en, zh)
}

// parseCallerKey parses EncryptionPublicKey (PEM, or bare base64 DER) for the
// EncryptionAlgorithm (default SM2).
func parseCallerKey(text, alg string) (callerKey, *apiError) {
	if text == "" {
		if alg != "" {
			switch alg {
			case algSM2, algSM2ASN1, algRSAPKCS1, algRSAOAEPSHA1, algRSAOAEPSHA256:
			default:
				return callerKey{}, errInvalidParam("EncryptionAlgorithm", "is not supported", "不受支持")
			}
		}
		return callerKey{}, nil
	}
	if alg == "" {
		alg = algSM2
	}
	var der []byte
	if block, _ := pem.Decode([]byte(text)); block != nil {
		der = block.Bytes
	} else if d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text)); err == nil {
		der = d
	} else {
		return callerKey{}, errCallerKey("must be a PEM public key", "必须是 PEM 格式的公钥")
	}
	var pub any
	if p, err := smx509.ParsePKIXPublicKey(der); err == nil {
		pub = p
	} else if p, err := x509.ParsePKCS1PublicKey(der); err == nil {
		pub = p
	} else {
		return callerKey{}, errCallerKey("cannot be parsed as a public key", "无法解析为公钥")
	}
	ck := callerKey{alg: alg}
	switch alg {
	case algSM2, algSM2ASN1:
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || !sm2.IsSM2PublicKey(ec) {
			return callerKey{}, errCallerKey("must be an SM2 public key for "+alg, "必须是 SM2 公钥")
		}
		ck.sm2Key = ec
	case algRSAPKCS1, algRSAOAEPSHA1, algRSAOAEPSHA256:
		rk, ok := pub.(*rsa.PublicKey)
		if !ok || rk.N.BitLen() < minCallerRSABits {
			return callerKey{}, errCallerKey("must be an RSA public key of at least 2048 bits for "+alg, "必须是至少 2048 位的 RSA 公钥")
		}
		ck.rsaKey = rk
	default:
		return callerKey{}, errInvalidParam("EncryptionAlgorithm", "is not supported", "不受支持")
	}
	return ck, nil
}

// encode returns base64 of plain, encrypted under the caller's key if one is set.
func (ck callerKey) encode(plain []byte) (string, *apiError) {
	var out []byte
	var err error
	switch {
	case ck.sm2Key != nil && ck.alg == algSM2ASN1:
		out, err = sm2.EncryptASN1(rand.Reader, ck.sm2Key, plain)
	case ck.sm2Key != nil:
		out, err = sm2.Encrypt(rand.Reader, ck.sm2Key, plain, sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C3C2))
	case ck.rsaKey != nil:
		out, err = rsaEncrypt(ck.rsaKey, ck.alg, plain)
	default:
		return base64.StdEncoding.EncodeToString(plain), nil
	}
	if err != nil {
		return "", errCallerKey("cannot encrypt the plaintext ("+err.Error()+")", "无法用该公钥加密明文")
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
