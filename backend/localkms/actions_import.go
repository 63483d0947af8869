package localkms

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Bring your own key: GetParametersForImport, ImportKeyMaterial,
// DeleteImportedKeyMaterial (CreateKey Type=2 creates the EXTERNAL key).
//
// The API documents RSA_2048 wrapping keys with RSAES_PKCS1_V1_5,
// RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256. In national-standard regions the local
// KMS also offers WrappingAlgorithm SM2 with WrappingKeySpec SM2 (material
// encrypted with SM2 public-key encryption, C1C3C2 in ASN.1 or plain form): an
// extension the SDK documentation does not list, see docs/LOCAL-KMS.md.

const (
	importTokenLen   = 64 // characters of an ImportToken
	materialDomain   = "kmsdesk localkms import material v1"
	wrappingSpecRSA  = "RSA_2048"
	wrappingSpecSM2  = "SM2"
	wrappingAlgSM2   = "SM2"
	maxWrappedLength = maxRSACiphertextLen // bytes of EncryptedKeyMaterial accepted for parsing
)

func errNotExternal(id string) *apiError {
	return apiErr(codeNotExternalCmk,
		fmt.Sprintf("The CMK %s is not an imported (EXTERNAL) key.", id),
		fmt.Sprintf("CMK %s 不是导入类型（EXTERNAL）的密钥。", id))
}

func materialDigest(m []byte) []byte {
	h := sha256.New()
	h.Write([]byte(materialDomain))
	h.Write(m)
	return h.Sum(nil)
}

type getImportParams struct {
	KeyID             string `param:"KeyId,required"`
	WrappingAlgorithm string `param:"WrappingAlgorithm,required"`
	WrappingKeySpec   string `param:"WrappingKeySpec,required"`
}

type getImportResult struct {
	KeyID             string `json:"KeyId"`
	ImportToken       string `json:"ImportToken"`
	PublicKey         string `json:"PublicKey"`
	ParametersValidTo int64  `json:"ParametersValidTo"`
}

func importableState(r *keyRecord) *apiError {
	if r.Origin != originExternal {
		return errNotExternal(r.KeyID)
	}
	switch r.State {
	case statePendingImport, stateEnabled, stateDisabled:
		return nil
	}
	return errStateNotSupport(r.KeyID, r.State)
}

// checkWrapping checks WrappingAlgorithm and WrappingKeySpec of a request in
// region.
func (s *Server) checkWrapping(region, alg, spec string) *apiError {
	if alg == wrappingAlgSM2 && s.nationalStandard(region) {
		if spec != wrappingSpecSM2 {
			return errInvalidParam("WrappingKeySpec", "must be SM2 for WrappingAlgorithm SM2", "WrappingAlgorithm 为 SM2 时取值必须为 SM2")
		}
		return nil
	}
	if e := checkRSAES("WrappingAlgorithm", alg); e != nil {
		if s.nationalStandard(region) {
			return errInvalidParam("WrappingAlgorithm", "must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256 or SM2", "取值必须为 RSAES_PKCS1_V1_5、RSAES_OAEP_SHA_1、RSAES_OAEP_SHA_256 或 SM2")
		}
		return e
	}
	if spec != wrappingSpecRSA {
		return errInvalidParam("WrappingKeySpec", "must be RSA_2048", "取值必须为 RSA_2048")
	}
	return nil
}

// newWrappingKey generates the private key of import parameters for alg.
func newWrappingKey(alg string) (crypto.Signer, error) {
	if alg == wrappingAlgSM2 {
		return sm2.GenerateKey(rand.Reader)
	}
	return rsa.GenerateKey(rand.Reader, 2048)
}

// unwrapMaterial opens EncryptedKeyMaterial with the wrapping key of imp.
func unwrapMaterial(imp *importState, wrapped []byte) ([]byte, error) {
	wk, err := smx509.ParsePKCS8PrivateKey(imp.WrappingKey)
	if err != nil {
		return nil, err
	}
	switch priv := wk.(type) {
	case *sm2.PrivateKey:
		return sm2.Decrypt(priv, wrapped)
	case *rsa.PrivateKey:
		return rsaDecrypt(priv, imp.Algorithm, wrapped)
	}
	return nil, fmt.Errorf("wrapping key of type %T", wk)
}

func actGetParametersForImport(s *Server, c *call, p *getImportParams) (*getImportResult, *apiError) {
	if e := s.checkWrapping(c.region, p.WrappingAlgorithm, p.WrappingKeySpec); e != nil {
		return nil, e
	}
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	if e := importableState(&k.rec); e != nil {
		return nil, e
	}
	wrap, err := newWrappingKey(p.WrappingAlgorithm)
	if err != nil {
		s.logInternal("generate wrapping key", err)
		return nil, errInternal()
	}
	der, err := smx509.MarshalPKCS8PrivateKey(wrap)
	if err != nil {
		s.logInternal("encode wrapping key", err)
		return nil, errInternal()
	}
	pubDER, err := smx509.MarshalPKIXPublicKey(wrap.Public())
	if err != nil {
		s.logInternal("encode wrapping key", err)
		return nil, errInternal()
	}
	imp := &importState{
		Token:       randomString(importTokenLen, alphanumericLetter),
		WrappingKey: der,
		Algorithm:   p.WrappingAlgorithm,
		ValidTo:     s.nowUnix() + importParamsTTL,
	}
	e = s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if e := importableState(r); e != nil {
			return e
		}
		r.Import = imp
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &getImportResult{
		KeyID:             p.KeyID,
		ImportToken:       imp.Token,
		PublicKey:         base64.StdEncoding.EncodeToString(pubDER),
		ParametersValidTo: imp.ValidTo,
	}, nil
}

type importMaterialParams struct {
	EncryptedKeyMaterial string  `param:"EncryptedKeyMaterial,required"`
	ImportToken          string  `param:"ImportToken,required"`
	KeyID                string  `param:"KeyId,required"`
	ValidTo              *uint64 `param:"ValidTo"`
}

func errMaterial(en, zh string) *apiError {
	return apiErr(codeDecryptMaterialError, en, zh)
}

func actImportKeyMaterial(s *Server, c *call, p *importMaterialParams) (*empty, *apiError) {
	wrapped, err := base64.StdEncoding.DecodeString(p.EncryptedKeyMaterial)
	if err != nil || len(wrapped) > maxWrappedLength {
		return nil, errInvalidParam("EncryptedKeyMaterial", "must be base64 of the wrapped key material", "必须是 base64 编码的加密密钥材料")
	}
	var validTo int64
	if p.ValidTo != nil && *p.ValidTo != 0 {
		if *p.ValidTo > maxValidTo || int64(*p.ValidTo) <= s.nowUnix() {
			return nil, errInvalidValue("ValidTo", fmt.Sprintf("must be in the future and at most %d", maxValidTo), fmt.Sprintf("必须晚于当前时间且不超过 %d", maxValidTo))
		}
		validTo = int64(*p.ValidTo)
	}
	return nil, s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if e := importableState(r); e != nil {
			return e
		}
		imp := r.Import
		if imp == nil || subtle.ConstantTimeCompare([]byte(imp.Token), []byte(p.ImportToken)) != 1 {
			return errInvalidParam("ImportToken", "does not match the last GetParametersForImport of this key", "与该密钥最近一次 GetParametersForImport 返回的不一致")
		}
		if s.nowUnix() >= imp.ValidTo {
			return apiErr(codeTokenExpired, "The ImportToken has expired; call GetParametersForImport again.", "ImportToken 已过期，请重新调用 GetParametersForImport。")
		}
		material, err := unwrapMaterial(imp, wrapped)
		if err != nil {
			return errMaterial("The EncryptedKeyMaterial cannot be unwrapped with the import parameters.", "无法用导入参数解密 EncryptedKeyMaterial。")
		}
		if n := materialLen(r.Spec); len(material) != n {
			wipe(material)
			name := map[string]string{specAES256: "AES-256", specSM4: "SM4"}[r.Spec]
			return errMaterial(fmt.Sprintf("The key material must be %d bytes (%d-bit, %s).", n, n*8, name), fmt.Sprintf("密钥材料必须为 %d 字节（%d 位，%s）。", n, n*8, name))
		}
		digest := materialDigest(material)
		if r.MaterialDigest != nil && subtle.ConstantTimeCompare(digest, r.MaterialDigest) != 1 {
			wipe(material)
			return apiErr(codeMaterialNotMatch, "The key material differs from the material imported before into this CMK.", "密钥材料与该 CMK 之前导入的不一致。")
		}
		r.MaterialDigest = digest
		r.Versions = []keyVersion{{Version: 1, Material: material, Created: s.nowUnix()}}
		r.ValidTo = validTo
		r.Import = nil
		if r.State == statePendingImport {
			r.State = stateEnabled
		}
		return nil
	})
}

func actDeleteImportedKeyMaterial(s *Server, c *call, p *keyIDParams) (*empty, *apiError) {
	return nil, s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		if r.Origin != originExternal {
			return errNotExternal(r.KeyID)
		}
		switch r.State {
		case stateEnabled, stateDisabled:
		case statePendingImport:
			*skip = true
			return nil
		default:
			return errStateNotSupport(r.KeyID, r.State)
		}
		r.Versions = nil
		r.ValidTo = 0
		r.State = statePendingImport
		return nil
	})
}
