package localkms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm2"
)

// Asymmetric keys, and the informational actions (GetServiceStatus, GetRegions,
// ListAlgorithms).

// Limits of the asymmetric actions.
const (
	maxRawMessage       = 4096 // bytes of a RAW message to sign or verify
	digestLen           = 32   // bytes of a DIGEST message (SHA-256 or SM3)
	maxSM2Ciphertext    = 256  // bytes of AsymmetricSm2Decrypt ciphertext
	maxSignatureBytes   = 1024 // bytes of a signature accepted for verification
	maxRSACiphertextLen = 512  // bytes of AsymmetricRsaDecrypt ciphertext accepted for parsing
)

// Signing algorithms.
const (
	sigRSAPSS   = "RSA_PSS_SHA_256"
	sigRSAPKCS1 = "RSA_PKCS1_SHA_256"
	sigECC      = "ECC_P256_R1"
	sigSM2      = "SM2DSA"
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
	}
	return nil
}

// requireAsymmetric checks that k is Enabled and has one of the usages.
func requireAsymmetric(k *key, usages ...string) *apiError {
	ok := false
	for _, u := range usages {
		if k.rec.Usage == u {
			ok = true
		}
	}
	if !ok {
		return errInvalidKeyUsage(k.rec.KeyID, k.rec.Usage)
	}
	if k.rec.State != stateEnabled {
		return errStateNotSupport(k.rec.KeyID, k.rec.State)
	}
	return nil
}

// ---- GetPublicKey --------------------------------------------------------------

type getPublicKeyResult struct {
	KeyID        string `json:"KeyId"`
	PublicKey    string `json:"PublicKey"`
	PublicKeyPem string `json:"PublicKeyPem"`
}

func actGetPublicKey(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	if e := requireAsymmetric(k, usageRSADecrypt, usageSM2Decrypt, usageRSASign, usageECCSign, usageSM2Sign); e != nil {
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
	KeyID      string
	Ciphertext string
	Algorithm  string
}

func (p *rsaDecryptParams) fields() []field {
	return []field{
		fStr("KeyId", &p.KeyID, true),
		fStr("Ciphertext", &p.Ciphertext, true),
		fStr("Algorithm", &p.Algorithm, true),
	}
}

type asymDecryptResult struct {
	KeyID     string `json:"KeyId"`
	Plaintext string `json:"Plaintext"`
}

func errDecrypt() *apiError {
	return apiErr(codeDecryptError, "Decryption failed.", "解密失败。")
}

func actAsymmetricRsaDecrypt(s *Server, c *call, p *rsaDecryptParams) (any, *apiError) {
	var h hash.Hash
	switch p.Algorithm {
	case algRSAPKCS1:
	case algRSAOAEPSHA1:
		h = sha1.New()
	case algRSAOAEPSHA256:
		h = sha256.New()
	default:
		return nil, errInvalidParam("Algorithm", "must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256", "取值必须为 RSAES_PKCS1_V1_5、RSAES_OAEP_SHA_1 或 RSAES_OAEP_SHA_256")
	}
	ct, err := base64.StdEncoding.DecodeString(p.Ciphertext)
	if err != nil || len(ct) > maxRSACiphertextLen {
		return nil, errInvalidParam("Ciphertext", "must be base64 of an RSA ciphertext", "必须是 base64 编码的 RSA 密文")
	}
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	if e := requireAsymmetric(k, usageRSADecrypt); e != nil {
		return nil, e
	}
	priv := k.priv.(*rsa.PrivateKey)
	var plain []byte
	if h == nil {
		//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
		plain, err = rsa.DecryptPKCS1v15(nil, priv, ct)
	} else {
		plain, err = rsa.DecryptOAEP(h, nil, priv, ct, nil)
	}
	if err != nil {
		return nil, errDecrypt()
	}
	defer wipe(plain)
	return &asymDecryptResult{KeyID: k.rec.KeyID, Plaintext: base64.StdEncoding.EncodeToString(plain)}, nil
}

type sm2DecryptParams struct {
	KeyID      string
	Ciphertext string
}

func (p *sm2DecryptParams) fields() []field {
	return []field{fStr("KeyId", &p.KeyID, true), fStr("Ciphertext", &p.Ciphertext, true)}
}

func actAsymmetricSm2Decrypt(s *Server, c *call, p *sm2DecryptParams) (any, *apiError) {
	ct, err := base64.StdEncoding.DecodeString(p.Ciphertext)
	if err != nil || len(ct) > maxSM2Ciphertext {
		return nil, errInvalidParam("Ciphertext", fmt.Sprintf("must be base64 of an SM2 ciphertext of at most %d bytes", maxSM2Ciphertext), fmt.Sprintf("必须是 base64 编码且不超过 %d 字节的 SM2 密文", maxSM2Ciphertext))
	}
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	if e := requireAsymmetric(k, usageSM2Decrypt); e != nil {
		return nil, e
	}
	plain, err := sm2.Decrypt(k.priv.(*sm2.PrivateKey), ct)
	if err != nil {
		return nil, errDecrypt()
	}
	defer wipe(plain)
	return &asymDecryptResult{KeyID: k.rec.KeyID, Plaintext: base64.StdEncoding.EncodeToString(plain)}, nil
}

// ---- Sign / Verify -------------------------------------------------------------

type signParams struct {
	Algorithm   string
	Message     string
	KeyID       string
	MessageType string
}

func (p *signParams) fields() []field {
	return []field{
		fStr("Algorithm", &p.Algorithm, true),
		fStr("Message", &p.Message, true),
		fStr("KeyId", &p.KeyID, true),
		fStr("MessageType", &p.MessageType, false),
	}
}

type verifyParams struct {
	KeyID          string
	SignatureValue string
	Message        string
	Algorithm      string
	MessageType    string
}

func (p *verifyParams) fields() []field {
	return []field{
		fStr("KeyId", &p.KeyID, true),
		fStr("SignatureValue", &p.SignatureValue, true),
		fStr("Message", &p.Message, true),
		fStr("Algorithm", &p.Algorithm, true),
		fStr("MessageType", &p.MessageType, false),
	}
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
	case sigRSAPSS, sigRSAPKCS1, sigECC, sigSM2:
	default:
		return nil, nil, false, errInvalidValue("Algorithm", "must be RSA_PSS_SHA_256, RSA_PKCS1_SHA_256, ECC_P256_R1 or SM2DSA", "取值必须为 RSA_PSS_SHA_256、RSA_PKCS1_SHA_256、ECC_P256_R1 或 SM2DSA")
	}
	msg, err := base64.StdEncoding.DecodeString(message)
	if err != nil {
		return nil, nil, false, errInvalidParam("Message", "must be base64", "必须是 base64 编码")
	}
	if raw && len(msg) > maxRawMessage {
		return nil, nil, false, errInvalidValue("Message", fmt.Sprintf("a RAW message is at most %d bytes", maxRawMessage), fmt.Sprintf("RAW 消息不能超过 %d 字节", maxRawMessage))
	}
	if !raw && len(msg) != digestLen {
		return nil, nil, false, errInvalidValue("Message", fmt.Sprintf("a DIGEST message is exactly %d bytes", digestLen), fmt.Sprintf("DIGEST 消息必须为 %d 字节", digestLen))
	}
	k, e := s.findKey(c.region, keyID)
	if e != nil {
		return nil, nil, false, e
	}
	if e := requireAsymmetric(k, usageRSASign, usageECCSign, usageSM2Sign); e != nil {
		return nil, nil, false, e
	}
	allowed := false
	for _, a := range sigAlgorithmsFor(k.rec.Usage) {
		if a == alg {
			allowed = true
		}
	}
	if !allowed {
		return nil, nil, false, errInvalidValue("Algorithm", fmt.Sprintf("%s cannot be used with a %s key", alg, k.rec.Usage), fmt.Sprintf("%s 不能用于 %s 类型的密钥", alg, k.rec.Usage))
	}
	return k, msg, raw, nil
}

// sha256Digest returns msg itself for DIGEST input and SHA-256(msg) for RAW.
func sha256Digest(msg []byte, raw bool) []byte {
	if !raw {
		return msg
	}
	sum := sha256.Sum256(msg)
	return sum[:]
}

type signResult struct {
	Signature string `json:"Signature"`
}

func actSignByAsymmetricKey(s *Server, c *call, p *signParams) (any, *apiError) {
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

func actVerifyByAsymmetricKey(s *Server, c *call, p *verifyParams) (any, *apiError) {
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

type noParams struct{}

func (p *noParams) fields() []field { return nil }

type serviceStatusResult struct {
	ServiceEnabled      bool   `json:"ServiceEnabled"`
	InvalidType         int64  `json:"InvalidType"`
	UserLevel           uint64 `json:"UserLevel"`
	ProExpireTime       uint64 `json:"ProExpireTime"`
	ProRenewFlag        uint64 `json:"ProRenewFlag"`
	ProResourceID       string `json:"ProResourceId"`
	ExclusiveVSMEnabled bool   `json:"ExclusiveVSMEnabled"`
	ExclusiveHSMEnabled bool   `json:"ExclusiveHSMEnabled"`
	SubscriptionInfo    string `json:"SubscriptionInfo"`
}

func actGetServiceStatus(s *Server, c *call, p *noParams) (any, *apiError) {
	return &serviceStatusResult{ServiceEnabled: true, InvalidType: 1}, nil
}

type regionsResult struct {
	Regions []string `json:"Regions"`
}

func actGetRegions(s *Server, c *call, p *noParams) (any, *apiError) {
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

var algorithms = algorithmsResult{
	SymmetricAlgorithms: []algorithmInfo{{usageEncryptDecrypt, "AES_256"}},
	AsymmetricAlgorithms: []algorithmInfo{
		{usageRSADecrypt, "RSA_2048"},
		{usageSM2Decrypt, "SM2"},
	},
	AsymmetricSignVerifyAlgorithms: []algorithmInfo{
		{usageRSASign, "RSA_2048"},
		{usageECCSign, "ECC"},
		{usageSM2Sign, "SM2"},
	},
}

func actListAlgorithms(s *Server, c *call, p *noParams) (any, *apiError) {
	return &algorithms, nil
}
