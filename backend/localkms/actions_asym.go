package localkms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"slices"

	"github.com/emmansun/gmsm/sm2"
)

// Asymmetric keys, and the informational actions (GetServiceStatus, GetRegions,
// ListAlgorithms).

// Limits of the asymmetric actions.
const (
	maxRawMessage       = 4096 // bytes of a RAW message to sign or verify
	digestLen           = 32   // bytes of a DIGEST message (SHA-256 or SM3)
	digestLen384        = 48   // bytes of a DIGEST message for ECDSA384_SHA384 (SHA-384)
	maxSM2Ciphertext    = 256  // bytes of AsymmetricSm2Decrypt ciphertext
	maxSignatureBytes   = 1024 // bytes of a signature accepted for verification
	maxRSACiphertextLen = 512  // bytes of AsymmetricRsaDecrypt ciphertext accepted for parsing
)

// Signing algorithms.
const (
	sigRSAPSS    = "RSA_PSS_SHA_256"
	sigRSAPKCS1  = "RSA_PKCS1_SHA_256"
	sigECC       = "ECC_P256_R1"
	sigSM2       = "SM2DSA"
	sigECDSA384  = algNameECDSA384 // unconfirmed name, see national.go
	sigAlgsValid = "RSA_PSS_SHA_256, RSA_PKCS1_SHA_256, ECC_P256_R1, ECDSA384_SHA384 or SM2DSA"
)

// sigAlgorithmsFor lists the signing algorithms a key usage accepts.
func sigAlgorithmsFor(usage string) []string {
	switch usage {
	case usageRSASign:
		return []string{sigRSAPSS, sigRSAPKCS1}
	case usageECCSign:
		return []string{sigECC}
	case usageSM2Sign:
		return []string{sigSM2}
	case usageECDSA384Sign:
		return []string{sigECDSA384}
	}
	return nil
}

// signingUsages are the usages of signing keys.
var signingUsages = []string{usageRSASign, usageECCSign, usageSM2Sign, usageECDSA384Sign}

// asymmetricKey resolves a KeyId parameter to an Enabled key with one of the
// usages.
func (s *Server) asymmetricKey(region, id string, usages ...string) (*key, *apiError) {
	k, e := s.findKey(region, id)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(usages, k.rec.Usage) {
		return nil, errInvalidKeyUsage(k.rec.KeyID, k.rec.Usage)
	}
	if k.rec.State != stateEnabled {
		return nil, errStateNotSupport(k.rec.KeyID, k.rec.State)
	}
	return k, nil
}

// ---- GetPublicKey --------------------------------------------------------------

type getPublicKeyResult struct {
	KeyID        string `json:"KeyId"`
	PublicKey    string `json:"PublicKey"`
	PublicKeyPem string `json:"PublicKeyPem"`
}

func actGetPublicKey(s *Server, c *call, p *keyIDParams) (*getPublicKeyResult, *apiError) {
	k, e := s.asymmetricKey(c.region, p.KeyID, append([]string{usageRSADecrypt, usageSM2Decrypt}, signingUsages...)...)
	if e != nil {
		return nil, e
	}
	return &getPublicKeyResult{
		KeyID:        k.rec.KeyID,
		PublicKey:    base64.StdEncoding.EncodeToString(k.pubDER),
		PublicKeyPem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.pubDER})),
	}, nil
}

// ---- asymmetric decryption -----------------------------------------------------

type rsaDecryptParams struct {
	KeyID      string `param:"KeyId,required"`
	Ciphertext string `param:"Ciphertext,required"`
	Algorithm  string `param:"Algorithm,required"`
}

// asymmetricDecrypt is the end of AsymmetricRsaDecrypt and AsymmetricSm2Decrypt:
// open decrypts with the private key of the KeyId parameter id, which must have
// the usage.
func (s *Server) asymmetricDecrypt(c *call, id, usage string, open func(priv crypto.PrivateKey) ([]byte, error)) (*decryptResult, *apiError) {
	k, e := s.asymmetricKey(c.region, id, usage)
	if e != nil {
		return nil, e
	}
	plain, err := open(k.priv)
	if err != nil {
		return nil, apiErr(codeDecryptError, "Decryption failed.", "解密失败。")
	}
	defer wipe(plain)
	return &decryptResult{KeyID: k.rec.KeyID, Plaintext: base64.StdEncoding.EncodeToString(plain)}, nil
}

func actAsymmetricRsaDecrypt(s *Server, c *call, p *rsaDecryptParams) (*decryptResult, *apiError) {
	if e := checkRSAES("Algorithm", p.Algorithm); e != nil {
		return nil, e
	}
	ct, err := base64.StdEncoding.DecodeString(p.Ciphertext)
	if err != nil || len(ct) > maxRSACiphertextLen {
		return nil, errInvalidParam("Ciphertext", "must be base64 of an RSA ciphertext", "必须是 base64 编码的 RSA 密文")
	}
	return s.asymmetricDecrypt(c, p.KeyID, usageRSADecrypt, func(priv crypto.PrivateKey) ([]byte, error) {
		return rsaDecrypt(priv.(*rsa.PrivateKey), p.Algorithm, ct)
	})
}

type sm2DecryptParams struct {
	KeyID      string `param:"KeyId,required"`
	Ciphertext string `param:"Ciphertext,required"`
}

func actAsymmetricSm2Decrypt(s *Server, c *call, p *sm2DecryptParams) (*decryptResult, *apiError) {
	ct, err := base64.StdEncoding.DecodeString(p.Ciphertext)
	if err != nil || len(ct) > maxSM2Ciphertext {
		return nil, errInvalidParam("Ciphertext", fmt.Sprintf("must be base64 of an SM2 ciphertext of at most %d bytes", maxSM2Ciphertext), fmt.Sprintf("必须是 base64 编码且不超过 %d 字节的 SM2 密文", maxSM2Ciphertext))
	}
	return s.asymmetricDecrypt(c, p.KeyID, usageSM2Decrypt, func(priv crypto.PrivateKey) ([]byte, error) {
		return sm2.Decrypt(priv.(*sm2.PrivateKey), ct)
	})
}

// ---- Sign / Verify -------------------------------------------------------------

type signParams struct {
	Algorithm   string `param:"Algorithm,required"`
	Message     string `param:"Message,required"`
	KeyID       string `param:"KeyId,required"`
	MessageType string `param:"MessageType"`
}

type verifyParams struct {
	KeyID          string `param:"KeyId,required"`
	SignatureValue string `param:"SignatureValue,required"`
	Message        string `param:"Message,required"`
	Algorithm      string `param:"Algorithm,required"`
	MessageType    string `param:"MessageType"`
}

// signInputs decodes Message per MessageType and resolves the key and algorithm.
func (s *Server) signInputs(c *call, keyID, alg, message, messageType string) (*key, []byte, bool, *apiError) {
	raw := true
	switch messageType {
	case "", "RAW":
	case "DIGEST":
		raw = false
	default:
		return nil, nil, false, errInvalidValue("MessageType", "must be RAW or DIGEST", "取值必须为 RAW 或 DIGEST")
	}
	switch alg {
	case sigRSAPSS, sigRSAPKCS1, sigECC, sigSM2, sigECDSA384:
	default:
		return nil, nil, false, errInvalidValue("Algorithm", "must be "+sigAlgsValid, "取值必须为 "+sigAlgsValid+" 之一")
	}
	msg, err := base64.StdEncoding.DecodeString(message)
	if err != nil {
		return nil, nil, false, errInvalidParam("Message", "must be base64", "必须是 base64 编码")
	}
	if raw && len(msg) > maxRawMessage {
		return nil, nil, false, errInvalidValue("Message", fmt.Sprintf("a RAW message is at most %d bytes", maxRawMessage), fmt.Sprintf("RAW 消息不能超过 %d 字节", maxRawMessage))
	}
	if n := digestSize(alg); !raw && len(msg) != n {
		return nil, nil, false, errInvalidValue("Message", fmt.Sprintf("a DIGEST message for %s is exactly %d bytes", alg, n), fmt.Sprintf("%s 的 DIGEST 消息必须为 %d 字节", alg, n))
	}
	k, e := s.asymmetricKey(c.region, keyID, signingUsages...)
	if e != nil {
		return nil, nil, false, e
	}
	if !slices.Contains(sigAlgorithmsFor(k.rec.Usage), alg) {
		return nil, nil, false, errInvalidValue("Algorithm", fmt.Sprintf("%s cannot be used with a %s key", alg, k.rec.Usage), fmt.Sprintf("%s 不能用于 %s 类型的密钥", alg, k.rec.Usage))
	}
	return k, msg, raw, nil
}

// digestSize is the length of a DIGEST message for a signing algorithm: 48
// bytes (SHA-384) for ECDSA384_SHA384, 32 (SHA-256 or SM3) for the others. The
// API documents 32 bytes, which predates ECDSA-384 keys.
func digestSize(alg string) int {
	if alg == sigECDSA384 {
		return digestLen384
	}
	return digestLen
}

// sha256Digest returns msg itself for DIGEST input and SHA-256(msg) for RAW.
func sha256Digest(msg []byte, raw bool) []byte {
	if !raw {
		return msg
	}
	sum := sha256.Sum256(msg)
	return sum[:]
}

// sha384Digest returns msg itself for DIGEST input and SHA-384(msg) for RAW.
func sha384Digest(msg []byte, raw bool) []byte {
	if !raw {
		return msg
	}
	sum := sha512.Sum384(msg)
	return sum[:]
}

type signResult struct {
	Signature string `json:"Signature"`
}

func actSignByAsymmetricKey(s *Server, c *call, p *signParams) (*signResult, *apiError) {
	k, msg, raw, e := s.signInputs(c, p.KeyID, p.Algorithm, p.Message, p.MessageType)
	if e != nil {
		return nil, e
	}
	var sig []byte
	var err error
	switch p.Algorithm {
	case sigRSAPSS:
		sig, err = rsa.SignPSS(rand.Reader, k.priv.(*rsa.PrivateKey), crypto.SHA256, sha256Digest(msg, raw), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case sigRSAPKCS1:
		sig, err = rsa.SignPKCS1v15(nil, k.priv.(*rsa.PrivateKey), crypto.SHA256, sha256Digest(msg, raw))
	case sigECC:
		sig, err = ecdsa.SignASN1(rand.Reader, k.priv.(*ecdsa.PrivateKey), sha256Digest(msg, raw))
	case sigECDSA384:
		sig, err = ecdsa.SignASN1(rand.Reader, k.priv.(*ecdsa.PrivateKey), sha384Digest(msg, raw))
	case sigSM2:
		var opts crypto.SignerOpts
		if raw {
			opts = sm2.NewSM2SignerOption(true, nil) // ZA with the default UID, then SM3
		}
		sig, err = sm2.SignASN1(rand.Reader, k.priv.(*sm2.PrivateKey), msg, opts)
	}
	if err != nil {
		s.logInternal("sign", err)
		return nil, errInternal()
	}
	return &signResult{Signature: base64.StdEncoding.EncodeToString(sig)}, nil
}

type verifyResult struct {
	SignatureValid bool `json:"SignatureValid"`
}

func actVerifyByAsymmetricKey(s *Server, c *call, p *verifyParams) (*verifyResult, *apiError) {
	sig, err := base64.StdEncoding.DecodeString(p.SignatureValue)
	if err != nil || len(sig) > maxSignatureBytes {
		return nil, errInvalidParam("SignatureValue", "must be base64 of a signature", "必须是 base64 编码的签名")
	}
	k, msg, raw, e := s.signInputs(c, p.KeyID, p.Algorithm, p.Message, p.MessageType)
	if e != nil {
		return nil, e
	}
	valid := false
	switch p.Algorithm {
	case sigRSAPSS:
		pub := &k.priv.(*rsa.PrivateKey).PublicKey
		valid = rsa.VerifyPSS(pub, crypto.SHA256, sha256Digest(msg, raw), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	case sigRSAPKCS1:
		pub := &k.priv.(*rsa.PrivateKey).PublicKey
		valid = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sha256Digest(msg, raw), sig) == nil
	case sigECC:
		valid = ecdsa.VerifyASN1(&k.priv.(*ecdsa.PrivateKey).PublicKey, sha256Digest(msg, raw), sig)
	case sigECDSA384:
		valid = ecdsa.VerifyASN1(&k.priv.(*ecdsa.PrivateKey).PublicKey, sha384Digest(msg, raw), sig)
	case sigSM2:
		pub := &k.priv.(*sm2.PrivateKey).PublicKey
		if raw {
			valid = sm2.VerifyASN1WithSM2(pub, nil, msg, sig)
		} else {
			valid = sm2.VerifyASN1(pub, msg, sig)
		}
	}
	return &verifyResult{SignatureValid: valid}, nil
}

// ---- informational -------------------------------------------------------------

type serviceStatusResult struct {
	ServiceEnabled         bool              `json:"ServiceEnabled"`
	InvalidType            int64             `json:"InvalidType"`
	UserLevel              uint64            `json:"UserLevel"`
	ProExpireTime          uint64            `json:"ProExpireTime"`
	ProRenewFlag           uint64            `json:"ProRenewFlag"`
	ProResourceID          string            `json:"ProResourceId"`
	ExclusiveVSMEnabled    bool              `json:"ExclusiveVSMEnabled"`
	ExclusiveHSMEnabled    bool              `json:"ExclusiveHSMEnabled"`
	SubscriptionInfo       string            `json:"SubscriptionInfo"`
	CmkUserCount           uint64            `json:"CmkUserCount"`
	CmkLimit               uint64            `json:"CmkLimit"`
	ExclusiveHSMList       []exclusiveHSM    `json:"ExclusiveHSMList"`
	IsAllowedDataKeyHosted bool              `json:"IsAllowedDataKeyHosted"`
	DataKeyLimit           uint64            `json:"DataKeyLimit"`
	FreeDataKeyLimit       uint64            `json:"FreeDataKeyLimit"`
	DataKeyUsedCount       uint64            `json:"DataKeyUsedCount"`
	SyncTaskList           []destinationSync `json:"SyncTaskList"`
	IsAllowedSync          bool              `json:"IsAllowedSync"`
	QpsLimit               uint64            `json:"QpsLimit"`
	QpsTotalLimit          uint64            `json:"QpsTotalLimit"`
	RegionsQps             []regionQps       `json:"RegionsQps"`
	ResourceZone           uint64            `json:"ResourceZone"`
	ResourceRegion         uint64            `json:"ResourceRegion"`
}

// exclusiveHSM, destinationSync and regionQps are members of GetServiceStatus
// lists the local KMS always answers empty (no HSM clusters, no key sync, no
// per-region QPS limit).
type exclusiveHSM struct {
	HsmClusterID   string `json:"HsmClusterId"`
	HsmClusterName string `json:"HsmClusterName"`
}

type destinationSync struct {
	DestinationRegion string `json:"DestinationRegion"`
	HsmClusterID      string `json:"HsmClusterId"`
}

type regionQps struct {
	Region string `json:"Region"`
	Qps    uint64 `json:"Qps"`
}

func actGetServiceStatus(s *Server, c *call, _ *empty) (*serviceStatusResult, *apiError) {
	return &serviceStatusResult{
		ServiceEnabled:   true,
		InvalidType:      1,
		CmkUserCount:     uint64(s.keyCount(c.region)),
		CmkLimit:         uint64(s.cmkLimit),
		ExclusiveHSMList: []exclusiveHSM{},
		SyncTaskList:     []destinationSync{},
		RegionsQps:       []regionQps{},
	}, nil
}

type regionsResult struct {
	Regions []string `json:"Regions"`
}

func actGetRegions(s *Server, c *call, _ *empty) (*regionsResult, *apiError) {
	return &regionsResult{Regions: s.regions}, nil
}

type algorithmInfo struct {
	KeyUsage  string `json:"KeyUsage"`
	Algorithm string `json:"Algorithm"`
}

type algorithmsResult struct {
	SymmetricAlgorithms            []algorithmInfo `json:"SymmetricAlgorithms"`
	AsymmetricAlgorithms           []algorithmInfo `json:"AsymmetricAlgorithms"`
	AsymmetricSignVerifyAlgorithms []algorithmInfo `json:"AsymmetricSignVerifyAlgorithms"`
}

func actListAlgorithms(s *Server, c *call, _ *empty) (*algorithmsResult, *apiError) {
	return s.regionAlgorithms(c.region), nil
}
