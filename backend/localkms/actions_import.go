package localkms

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/smx509"
)

// Bring your own key: GetParametersForImport, ImportKeyMaterial,
// DeleteImportedKeyMaterial (CreateKey Type=2 creates the EXTERNAL key).

const (
	importTokenLen = 64 // characters of an ImportToken
	materialDomain = "kmsdesk localkms import material v1"
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
	KeyID             string
	WrappingAlgorithm string
	WrappingKeySpec   string
}

func (p *getImportParams) fields() []field {
	return []field{
		fStr("KeyId", &p.KeyID, true),
		fStr("WrappingAlgorithm", &p.WrappingAlgorithm, true),
		fStr("WrappingKeySpec", &p.WrappingKeySpec, true),
	}
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

func actGetParametersForImport(s *Server, c *call, p *getImportParams) (any, *apiError) {
	switch p.WrappingAlgorithm {
	case algRSAPKCS1, algRSAOAEPSHA1, algRSAOAEPSHA256:
	default:
		return nil, errInvalidParam("WrappingAlgorithm", "must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256", "取值必须为 RSAES_PKCS1_V1_5、RSAES_OAEP_SHA_1 或 RSAES_OAEP_SHA_256")
	}
	if p.WrappingKeySpec != "RSA_2048" {
		return nil, errInvalidParam("WrappingKeySpec", "must be RSA_2048", "取值必须为 RSA_2048")
	}
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	if e := importableState(&k.rec); e != nil {
		return nil, e
	}
	wrap, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		s.logInternal("generate wrapping key", err)
		return nil, errInternal()
	}
	der, err := smx509.MarshalPKCS8PrivateKey(wrap)
	if err != nil {
		s.logInternal("encode wrapping key", err)
		return nil, errInternal()
	}
	pubDER, err := smx509.MarshalPKIXPublicKey(&wrap.PublicKey)
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
	nk, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
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
		KeyID:             nk.rec.KeyID,
		ImportToken:       imp.Token,
		PublicKey:         base64.StdEncoding.EncodeToString(pubDER),
		ParametersValidTo: imp.ValidTo,
	}, nil
}

type importMaterialParams struct {
	EncryptedKeyMaterial string
	ImportToken          string
	KeyID                string
	ValidTo              *uint64
}

func (p *importMaterialParams) fields() []field {
	return []field{
		fStr("EncryptedKeyMaterial", &p.EncryptedKeyMaterial, true),
		fStr("ImportToken", &p.ImportToken, true),
		fStr("KeyId", &p.KeyID, true),
		fUint("ValidTo", &p.ValidTo, false),
	}
}

func errMaterial(en, zh string) *apiError {
	return apiErr(codeDecryptMaterialError, en, zh)
}

func actImportKeyMaterial(s *Server, c *call, p *importMaterialParams) (any, *apiError) {
	wrapped, err := base64.StdEncoding.DecodeString(p.EncryptedKeyMaterial)
	if err != nil || len(wrapped) > maxRSACiphertextLen {
		return nil, errInvalidParam("EncryptedKeyMaterial", "must be base64 of the wrapped key material", "必须是 base64 编码的加密密钥材料")
	}
	var validTo int64
	if p.ValidTo != nil && *p.ValidTo != 0 {
		if *p.ValidTo > maxValidTo || int64(*p.ValidTo) <= s.nowUnix() {
			return nil, errInvalidValue("ValidTo", fmt.Sprintf("must be in the future and at most %d", maxValidTo), fmt.Sprintf("必须晚于当前时间且不超过 %d", maxValidTo))
		}
		validTo = int64(*p.ValidTo)
	}
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
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
		wk, err := smx509.ParsePKCS8PrivateKey(imp.WrappingKey)
		if err != nil {
			s.logInternal("parse wrapping key", err)
			return errInternal()
		}
		priv := wk.(*rsa.PrivateKey)
		var material []byte
		var h hash.Hash
		switch imp.Algorithm {
		case algRSAOAEPSHA1:
			h = sha1.New()
		case algRSAOAEPSHA256:
			h = sha256.New()
		}
		if h == nil {
			//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
			material, err = rsa.DecryptPKCS1v15(nil, priv, wrapped)
		} else {
			material, err = rsa.DecryptOAEP(h, nil, priv, wrapped, nil)
		}
		if err != nil {
			return errMaterial("The EncryptedKeyMaterial cannot be unwrapped with the import parameters.", "无法用导入参数解密 EncryptedKeyMaterial。")
		}
		if len(material) != symmetricKeyLen {
			wipe(material)
			return errMaterial(fmt.Sprintf("The key material must be %d bytes (AES-256).", symmetricKeyLen), fmt.Sprintf("密钥材料必须为 %d 字节（AES-256）。", symmetricKeyLen))
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
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

func actDeleteImportedKeyMaterial(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
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
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}
