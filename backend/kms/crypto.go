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
		return "", "", &Error{Code: "InvalidParameterValue.InvalidPlaintext", Action: "Encrypt",
			Message: fmt.Sprintf("plaintext is %d bytes; the Encrypt API takes at most %d", len(plaintext), MaxPlaintext)}
	}
	req := kmsapi.NewEncryptRequest()
	req.KeyId = common.StringPtr(keyID)
	req.Plaintext = common.StringPtr(base64.StdEncoding.EncodeToString(plaintext))
	if encryptionContext != "" {
		req.EncryptionContext = common.StringPtr(encryptionContext)
	}
	var resp *kmsapi.EncryptResponse
	err = c.call(ctx, "Encrypt", func(ctx context.Context) (err error) {
		resp, err = c.sdk.EncryptWithContext(ctx, req)
		return err
	})
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
	if encryptionContext != "" {
		req.EncryptionContext = common.StringPtr(encryptionContext)
	}
	var resp *kmsapi.DecryptResponse
	err = c.call(ctx, "Decrypt", func(ctx context.Context) (err error) {
		resp, err = c.sdk.DecryptWithContext(ctx, req)
		return err
	})
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
	if encryptionContext != "" {
		req.EncryptionContext = common.StringPtr(encryptionContext)
	}
	var resp *kmsapi.GenerateDataKeyResponse
	err = c.call(ctx, "GenerateDataKey", func(ctx context.Context) (err error) {
		resp, err = c.sdk.GenerateDataKeyWithContext(ctx, req)
		return err
	})
	if err != nil {
		return nil, "", "", err
	}
	pt, err := decodeB64("GenerateDataKey", resp.Response.Plaintext)
	if err != nil {
		return nil, "", "", err
	}
	if len(pt) != DataKeySize {
		return nil, "", "", &Error{Code: CodeBadResponse, Action: "GenerateDataKey", Message: fmt.Sprintf("data key is %d bytes, want %d", len(pt), DataKeySize)}
	}
	return pt, str(resp.Response.CiphertextBlob), str(resp.Response.KeyId), nil
}

// ReEncryptResult is the answer of ReEncrypt.
type ReEncryptResult struct {
	Blob        string `json:"blob"`
	KeyID       string `json:"keyId"`
	SourceKeyID string `json:"sourceKeyId"`
	ReEncrypted bool   `json:"reEncrypted"`
}

// ReEncrypt re-wraps a CiphertextBlob under destKeyID ("" = the same key's newest
// version) and, optionally, a new EncryptionContext.
func (c *Client) ReEncrypt(ctx context.Context, blob, destKeyID, sourceContext, destContext string) (ReEncryptResult, error) {
	req := kmsapi.NewReEncryptRequest()
	req.CiphertextBlob = common.StringPtr(blob)
	if destKeyID != "" {
		req.DestinationKeyId = common.StringPtr(destKeyID)
	}
	if sourceContext != "" {
		req.SourceEncryptionContext = common.StringPtr(sourceContext)
	}
	if destContext != "" {
		req.DestinationEncryptionContext = common.StringPtr(destContext)
	}
	var resp *kmsapi.ReEncryptResponse
	err := c.call(ctx, "ReEncrypt", func(ctx context.Context) (err error) {
		resp, err = c.sdk.ReEncryptWithContext(ctx, req)
		return err
	})
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
	var resp *kmsapi.GenerateRandomResponse
	err := c.call(ctx, "GenerateRandom", func(ctx context.Context) (err error) {
		resp, err = c.sdk.GenerateRandomWithContext(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return decodeB64("GenerateRandom", resp.Response.Plaintext)
}

// PublicKey is the public half of an asymmetric key.
type PublicKey struct {
	KeyID string `json:"keyId"`
	// DER is base64 of the DER SubjectPublicKeyInfo.
	DER string `json:"der"`
	PEM string `json:"pem"`
}

// GetPublicKey returns the public key of an asymmetric key.
func (c *Client) GetPublicKey(ctx context.Context, keyID string) (PublicKey, error) {
	req := kmsapi.NewGetPublicKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	var resp *kmsapi.GetPublicKeyResponse
	err := c.call(ctx, "GetPublicKey", func(ctx context.Context) (err error) {
		resp, err = c.sdk.GetPublicKeyWithContext(ctx, req)
		return err
	})
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
	if messageType != "" {
		req.MessageType = common.StringPtr(messageType)
	}
	var resp *kmsapi.SignByAsymmetricKeyResponse
	err := c.call(ctx, "SignByAsymmetricKey", func(ctx context.Context) (err error) {
		resp, err = c.sdk.SignByAsymmetricKeyWithContext(ctx, req)
		return err
	})
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
	if messageType != "" {
		req.MessageType = common.StringPtr(messageType)
	}
	var resp *kmsapi.VerifyByAsymmetricKeyResponse
	err := c.call(ctx, "VerifyByAsymmetricKey", func(ctx context.Context) (err error) {
		resp, err = c.sdk.VerifyByAsymmetricKeyWithContext(ctx, req)
		return err
	})
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
		var resp *kmsapi.AsymmetricSm2DecryptResponse
		err := c.call(ctx, "AsymmetricSm2Decrypt", func(ctx context.Context) (err error) {
			resp, err = c.sdk.AsymmetricSm2DecryptWithContext(ctx, req)
			return err
		})
		if err != nil {
			return nil, err
		}
		return decodeB64("AsymmetricSm2Decrypt", resp.Response.Plaintext)
	}
	req := kmsapi.NewAsymmetricRsaDecryptRequest()
	req.KeyId, req.Ciphertext, req.Algorithm = common.StringPtr(keyID), ct, common.StringPtr(algorithm)
	var resp *kmsapi.AsymmetricRsaDecryptResponse
	err := c.call(ctx, "AsymmetricRsaDecrypt", func(ctx context.Context) (err error) {
		resp, err = c.sdk.AsymmetricRsaDecryptWithContext(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return decodeB64("AsymmetricRsaDecrypt", resp.Response.Plaintext)
}

func decodeB64(action string, p *string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(str(p))
	if err != nil {
		return nil, &Error{Code: CodeBadResponse, Action: action, Message: "the service returned malformed base64", Err: err}
	}
	return b, nil
}
