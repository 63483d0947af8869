package kms

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	kmsapi "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Bring your own key: the material of an EXTERNAL key (CreateKeyInput.External) is
// imported in three steps, which ImportMaterial runs: GetParametersForImport returns a
// wrapping public key and an import token (valid 24 hours), the material is encrypted
// ("wrapped") to that key here, and ImportKeyMaterial sends the wrapped material with
// the token. The material itself never leaves this process in clear.

// Wrapping algorithms for imported material.
const (
	// WrapRSAOAEPSHA256 is RSAES-OAEP with SHA-256 under an RSA-2048 key: the default.
	WrapRSAOAEPSHA256 = "RSAES_OAEP_SHA_256"
	// WrapRSAOAEPSHA1 is RSAES-OAEP with SHA-1 under an RSA-2048 key.
	WrapRSAOAEPSHA1 = "RSAES_OAEP_SHA_1"
	// WrapSM2 is SM2 public-key encryption (C1C3C2, ASN.1) under an SM2 key, for
	// national-standard (国密) regions. The API documentation (SDK v1.3.152) lists
	// only RSA wrapping; a region that does not offer SM2 refuses it.
	WrapSM2 = "SM2"
)

// Material sizes the service imports, in bytes.
const (
	MaterialSizeAES256 = 32 // 256-bit material: regions with AES-256 symmetric keys
	MaterialSizeSM4    = 16 // 128-bit material: national-standard (SM4) regions
)

// MaxValidTo is the latest expiry ImportKeyMaterial accepts (Unix seconds,
// 2038-01-19 00:00 +08:00).
const MaxValidTo = 2147443200

// minWrappingRSABits is the smallest RSA wrapping key accepted, in bits.
const minWrappingRSABits = 2048

// wrappingKeySpec is the WrappingKeySpec of a wrapping algorithm.
func wrappingKeySpec(alg string) (string, error) {
	switch alg {
	case WrapRSAOAEPSHA256, WrapRSAOAEPSHA1:
		return "RSA_2048", nil
	case WrapSM2:
		return "SM2", nil
	}
	return "", newError(CodeInvalidInput, "GetParametersForImport", fmt.Sprintf("unknown wrapping algorithm %q", alg), nil)
}

// ImportParameters is the answer of GetParametersForImport.
type ImportParameters struct {
	KeyID string
	// Token goes with the wrapped material to ImportKeyMaterial.
	Token string
	// PublicKey is the DER SubjectPublicKeyInfo of the wrapping key.
	PublicKey []byte
	// ValidTo is when Token and PublicKey expire (Unix seconds).
	ValidTo int64
}

// GetParametersForImport returns the wrapping key and import token for an EXTERNAL
// key; algorithm is one of the Wrap* constants.
func (c *Client) GetParametersForImport(ctx context.Context, keyID, algorithm string) (ImportParameters, error) {
	spec, err := wrappingKeySpec(algorithm)
	if err != nil {
		return ImportParameters{}, err
	}
	req := kmsapi.NewGetParametersForImportRequest()
	req.KeyId, req.WrappingAlgorithm, req.WrappingKeySpec = common.StringPtr(keyID), common.StringPtr(algorithm), common.StringPtr(spec)
	resp, err := send(c, ctx, "GetParametersForImport", c.sdk.GetParametersForImportWithContext, req)
	if err != nil {
		return ImportParameters{}, err
	}
	r := resp.Response
	pub, err := decodeB64("GetParametersForImport", r.PublicKey)
	if err != nil {
		return ImportParameters{}, err
	}
	return ImportParameters{KeyID: str(r.KeyId), Token: str(r.ImportToken), PublicKey: pub, ValidTo: u64(r.ParametersValidTo)}, nil
}

// WrapKeyMaterial encrypts material to the wrapping public key (DER
// SubjectPublicKeyInfo) of GetParametersForImport with algorithm.
func WrapKeyMaterial(publicKeyDER []byte, algorithm string, material []byte) ([]byte, error) {
	const action = "GetParametersForImport"
	pub, err := smx509.ParsePKIXPublicKey(publicKeyDER)
	if err != nil {
		return nil, newError(CodeBadResponse, action, "the service's wrapping key is not a public key", err)
	}
	var h hash.Hash
	switch algorithm {
	case WrapRSAOAEPSHA256:
		h = sha256.New()
	case WrapRSAOAEPSHA1:
		h = sha1.New()
	case WrapSM2:
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || !sm2.IsSM2PublicKey(ec) {
			return nil, newError(CodeBadResponse, action, "the service's wrapping key is not an SM2 key", nil)
		}
		out, err := sm2.EncryptASN1(rand.Reader, ec, material)
		if err != nil {
			return nil, newError(CodeUnknown, action, "wrap the key material with SM2", err)
		}
		return out, nil
	default:
		return nil, newError(CodeInvalidInput, action, fmt.Sprintf("unknown wrapping algorithm %q", algorithm), nil)
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok || rk.N.BitLen() < minWrappingRSABits {
		return nil, newError(CodeBadResponse, action, "the service's wrapping key is not an RSA key of at least 2048 bits", nil)
	}
	out, err := rsa.EncryptOAEP(h, rand.Reader, rk, material, nil)
	if err != nil {
		return nil, newError(CodeInvalidInput, action, "wrap the key material with RSA-OAEP", err)
	}
	return out, nil
}

// ImportKeyMaterial imports wrapped material with the token of GetParametersForImport.
// validTo is when the material expires (Unix seconds, ≤ MaxValidTo); 0 means never.
func (c *Client) ImportKeyMaterial(ctx context.Context, keyID string, wrapped []byte, token string, validTo int64) error {
	req := kmsapi.NewImportKeyMaterialRequest()
	req.KeyId, req.ImportToken = common.StringPtr(keyID), common.StringPtr(token)
	req.EncryptedKeyMaterial = common.StringPtr(base64.StdEncoding.EncodeToString(wrapped))
	if validTo > 0 {
		req.ValidTo = common.Uint64Ptr(uint64(validTo))
	}
	_, err := send(c, ctx, "ImportKeyMaterial", c.sdk.ImportKeyMaterialWithContext, req)
	return err
}

// ImportOptions tunes ImportMaterial.
type ImportOptions struct {
	// Wrapping is a Wrap* constant; "" means WrapRSAOAEPSHA256.
	Wrapping string
	// ValidTo is when the material expires (Unix seconds); 0 means never.
	ValidTo int64
}

// ImportMaterial imports key material into an EXTERNAL key: GetParametersForImport,
// wrapping here, ImportKeyMaterial. The key becomes Enabled. Re-importing into a key
// that had material needs the same material. The caller wipes material.
func (c *Client) ImportMaterial(ctx context.Context, keyID string, material []byte, o ImportOptions) error {
	alg := o.Wrapping
	if alg == "" {
		alg = WrapRSAOAEPSHA256
	}
	if o.ValidTo < 0 || o.ValidTo > MaxValidTo {
		return newError(CodeInvalidInput, "ImportKeyMaterial", fmt.Sprintf("the expiry must be between now and %d (2038-01-19)", MaxValidTo), nil)
	}
	p, err := c.GetParametersForImport(ctx, keyID, alg)
	if err != nil {
		return err
	}
	wrapped, err := WrapKeyMaterial(p.PublicKey, alg, material)
	if err != nil {
		return err
	}
	return c.ImportKeyMaterial(ctx, keyID, wrapped, p.Token, o.ValidTo)
}

// DeleteImportedMaterial deletes the imported material of an EXTERNAL key: the key
// becomes PendingImport and nothing it encrypted can be decrypted until the same
// material is imported again.
func (c *Client) DeleteImportedMaterial(ctx context.Context, keyID string) error {
	req := kmsapi.NewDeleteImportedKeyMaterialRequest()
	req.KeyId = common.StringPtr(keyID)
	_, err := send(c, ctx, "DeleteImportedKeyMaterial", c.sdk.DeleteImportedKeyMaterialWithContext, req)
	return err
}
