package kms

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	kmsapi "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// MaxPlaintext is the largest plaintext the Encrypt API takes, in bytes.
const MaxPlaintext = 4096

// MaxEncryptionContext is the longest EncryptionContext the service takes, in bytes.
const MaxEncryptionContext = 1024

// DataKeySize is the size of the AES-256 data keys GenerateDataKey returns, in bytes.
const DataKeySize = 32

// Encrypt encrypts up to MaxPlaintext bytes under keyID (a KeyId) and returns the
// CiphertextBlob (opaque text, store it verbatim) and the KeyId the service used.
// encryptionContext is "" or a JSON object string that Decrypt must be given again.
func (c *Client) Encrypt(ctx context.Context, keyID string, plaintext []byte, encryptionContext string) (blob, usedKeyID string, err error) {
	if len(plaintext) > MaxPlaintext {
		return "", "", newError("InvalidParameterValue.InvalidPlaintext", "Encrypt", fmt.Sprintf("plaintext is %d bytes; the Encrypt API takes at most %d", len(plaintext), MaxPlaintext), nil)
	}
	req := kmsapi.NewEncryptRequest()
	req.KeyId = common.StringPtr(keyID)
	req.Plaintext = common.StringPtr(base64.StdEncoding.EncodeToString(plaintext))
	req.EncryptionContext = optional(encryptionContext)
	resp, err := send(c, ctx, "Encrypt", c.sdk.EncryptWithContext, req)
	if err != nil {
		return "", "", err
	}
	return str(resp.Response.CiphertextBlob), str(resp.Response.KeyId), nil
}

// Decrypt decrypts a CiphertextBlob and returns the plaintext and the KeyId the blob
// was made with. encryptionContext must equal the one given at encryption.
func (c *Client) Decrypt(ctx context.Context, blob, encryptionContext string) (plaintext []byte, keyID string, err error) {
	req := kmsapi.NewDecryptRequest()
	req.CiphertextBlob = common.StringPtr(blob)
	req.EncryptionContext = optional(encryptionContext)
	resp, err := send(c, ctx, "Decrypt", c.sdk.DecryptWithContext, req)
	if err != nil {
		return nil, "", err
	}
	pt, err := decodeB64("Decrypt", resp.Response.Plaintext)
	if err != nil {
		return nil, "", err
	}
	return pt, str(resp.Response.KeyId), nil
}

// GenerateDataKey returns a fresh AES-256 data key: its plaintext (wipe it after use) and
// its CiphertextBlob under keyID, plus the KeyId the service used.
func (c *Client) GenerateDataKey(ctx context.Context, keyID, encryptionContext string) (plaintext []byte, blob, usedKeyID string, err error) {
	req := kmsapi.NewGenerateDataKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	req.KeySpec = common.StringPtr("AES_256")
	req.EncryptionContext = optional(encryptionContext)
	resp, err := send(c, ctx, "GenerateDataKey", c.sdk.GenerateDataKeyWithContext, req)
	if err != nil {
		return nil, "", "", err
	}
	pt, err := decodeB64("GenerateDataKey", resp.Response.Plaintext)
	if err != nil {
		return nil, "", "", err
	}
	if len(pt) != DataKeySize {
		return nil, "", "", newError(CodeBadResponse, "GenerateDataKey", fmt.Sprintf("data key is %d bytes, want %d", len(pt), DataKeySize), nil)
	}
	return pt, str(resp.Response.CiphertextBlob), str(resp.Response.KeyId), nil
}

// ReEncryptResult is the answer of ReEncrypt.
type ReEncryptResult struct {
	Blob        string
	KeyID       string
	SourceKeyID string
	ReEncrypted bool
}

// ReEncrypt re-wraps a CiphertextBlob under destKeyID ("" = the same key's newest
// version) and, optionally, a new EncryptionContext.
func (c *Client) ReEncrypt(ctx context.Context, blob, destKeyID, sourceContext, destContext string) (ReEncryptResult, error) {
	req := kmsapi.NewReEncryptRequest()
	req.CiphertextBlob = common.StringPtr(blob)
	req.DestinationKeyId = optional(destKeyID)
	req.SourceEncryptionContext = optional(sourceContext)
	req.DestinationEncryptionContext = optional(destContext)
	resp, err := send(c, ctx, "ReEncrypt", c.sdk.ReEncryptWithContext, req)
	if err != nil {
		return ReEncryptResult{}, err
	}
	r := resp.Response
	return ReEncryptResult{Blob: str(r.CiphertextBlob), KeyID: str(r.KeyId), SourceKeyID: str(r.SourceKeyId), ReEncrypted: boolv(r.ReEncrypted)}, nil
}

// GenerateRandom returns n (1–1024) random bytes from the KMS.
func (c *Client) GenerateRandom(ctx context.Context, n int) ([]byte, error) {
	req := kmsapi.NewGenerateRandomRequest()
	req.NumberOfBytes = common.Uint64Ptr(uint64(max(n, 0)))
	resp, err := send(c, ctx, "GenerateRandom", c.sdk.GenerateRandomWithContext, req)
	if err != nil {
		return nil, err
	}
	return decodeB64("GenerateRandom", resp.Response.Plaintext)
}

// PublicKey is the public half of an asymmetric key.
type PublicKey struct {
	KeyID string
	// DER is base64 of the DER SubjectPublicKeyInfo.
	DER string
	PEM string
}

// GetPublicKey returns the public key of an asymmetric key.
func (c *Client) GetPublicKey(ctx context.Context, keyID string) (PublicKey, error) {
	req := kmsapi.NewGetPublicKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	resp, err := send(c, ctx, "GetPublicKey", c.sdk.GetPublicKeyWithContext, req)
	if err != nil {
		return PublicKey{}, err
	}
	r := resp.Response
	return PublicKey{KeyID: str(r.KeyId), DER: str(r.PublicKey), PEM: str(r.PublicKeyPem)}, nil
}

// Message types for Sign and Verify.
const (
	MessageRaw    = "RAW"    // the message itself, ≤ 4096 bytes
	MessageDigest = "DIGEST" // a 32-byte SHA-256 (or SM3) digest
)

// Sign signs message (RAW) or a digest (DIGEST) with an asymmetric signing key.
func (c *Client) Sign(ctx context.Context, keyID, algorithm string, message []byte, messageType string) ([]byte, error) {
	req := kmsapi.NewSignByAsymmetricKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	req.Algorithm = common.StringPtr(algorithm)
	req.Message = common.StringPtr(base64.StdEncoding.EncodeToString(message))
	req.MessageType = optional(messageType)
	resp, err := send(c, ctx, "SignByAsymmetricKey", c.sdk.SignByAsymmetricKeyWithContext, req)
	if err != nil {
		return nil, err
	}
	return decodeB64("SignByAsymmetricKey", resp.Response.Signature)
}

// Verify checks a signature made by Sign.
func (c *Client) Verify(ctx context.Context, keyID, algorithm string, message, signature []byte, messageType string) (bool, error) {
	req := kmsapi.NewVerifyByAsymmetricKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	req.Algorithm = common.StringPtr(algorithm)
	req.Message = common.StringPtr(base64.StdEncoding.EncodeToString(message))
	req.SignatureValue = common.StringPtr(base64.StdEncoding.EncodeToString(signature))
	req.MessageType = optional(messageType)
	resp, err := send(c, ctx, "VerifyByAsymmetricKey", c.sdk.VerifyByAsymmetricKeyWithContext, req)
	if err != nil {
		return false, err
	}
	return boolv(resp.Response.SignatureValid), nil
}

// AsymmetricDecrypt decrypts data encrypted to an asymmetric decryption key's public
// key. algorithm is RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 for RSA
// keys and is ignored for SM2 keys.
func (c *Client) AsymmetricDecrypt(ctx context.Context, keyID, algorithm string, ciphertext []byte, sm2 bool) ([]byte, error) {
	ct := common.StringPtr(base64.StdEncoding.EncodeToString(ciphertext))
	if sm2 {
		req := kmsapi.NewAsymmetricSm2DecryptRequest()
		req.KeyId, req.Ciphertext = common.StringPtr(keyID), ct
		resp, err := send(c, ctx, "AsymmetricSm2Decrypt", c.sdk.AsymmetricSm2DecryptWithContext, req)
		if err != nil {
			return nil, err
		}
		return decodeB64("AsymmetricSm2Decrypt", resp.Response.Plaintext)
	}
	req := kmsapi.NewAsymmetricRsaDecryptRequest()
	req.KeyId, req.Ciphertext, req.Algorithm = common.StringPtr(keyID), ct, common.StringPtr(algorithm)
	resp, err := send(c, ctx, "AsymmetricRsaDecrypt", c.sdk.AsymmetricRsaDecryptWithContext, req)
	if err != nil {
		return nil, err
	}
	return decodeB64("AsymmetricRsaDecrypt", resp.Response.Plaintext)
}

func decodeB64(action string, p *string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(str(p))
	if err != nil {
		return nil, newError(CodeBadResponse, action, "the service returned malformed base64", err)
	}
	return b, nil
}
