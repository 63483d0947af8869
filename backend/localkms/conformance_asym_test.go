package localkms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/pem"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Conformance suite, part 3: asymmetric keys and bring-your-own-key.

// asymKeys creates one key per asymmetric usage (RSA keys are slow to generate,
// so each env creates them once).
func asymKeys(e *env) map[string]string {
	out := map[string]string{}
	for _, u := range []string{usageRSADecrypt, usageRSASign, usageECCSign, usageSM2Decrypt, usageSM2Sign, usageECDSA384Sign} {
		out[u] = e.createKey("asym-"+u[len("ASYMMETRIC_"):], func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(u) })
	}
	return out
}

func (e *env) publicKey(id string) (any, *kms.GetPublicKeyResponseParams) {
	e.t.Helper()
	r := kms.NewGetPublicKeyRequest()
	r.KeyId = sp(id)
	resp, err := e.kms().GetPublicKey(r)
	if err != nil {
		e.t.Fatalf("GetPublicKey: %v", err)
	}
	der := unb64(e.t, *resp.Response.PublicKey)
	block, rest := pem.Decode([]byte(*resp.Response.PublicKeyPem))
	if block == nil || block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 || !bytes.Equal(block.Bytes, der) {
		e.t.Fatalf("PublicKeyPem is not a standard PEM of PublicKey: %q", *resp.Response.PublicKeyPem)
	}
	pub, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		e.t.Fatalf("parse public key: %v", err)
	}
	return pub, resp.Response
}

func TestAsymmetricKeys(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		keys := asymKeys(e)
		sym := e.createKey("asym-sym")

		t.Run("GetPublicKey", func(t *testing.T) {
			tests := []struct {
				usage string
				check func(any) bool
			}{
				{usageRSADecrypt, func(p any) bool { k, ok := p.(*rsa.PublicKey); return ok && k.N.BitLen() == 2048 }},
				{usageRSASign, func(p any) bool { k, ok := p.(*rsa.PublicKey); return ok && k.N.BitLen() == 2048 }},
				{usageECCSign, func(p any) bool { k, ok := p.(*ecdsa.PublicKey); return ok && k.Curve.Params().Name == "P-256" }},
				{usageSM2Decrypt, func(p any) bool { k, ok := p.(*ecdsa.PublicKey); return ok && sm2.IsSM2PublicKey(k) }},
				{usageSM2Sign, func(p any) bool { k, ok := p.(*ecdsa.PublicKey); return ok && sm2.IsSM2PublicKey(k) }},
				{usageECDSA384Sign, func(p any) bool { k, ok := p.(*ecdsa.PublicKey); return ok && k.Curve.Params().Name == "P-384" }},
			}
			for _, tc := range tests {
				t.Run(tc.usage, func(t *testing.T) {
					pub, resp := e.publicKey(keys[tc.usage])
					if !tc.check(pub) || *resp.KeyId != keys[tc.usage] {
						t.Fatalf("unexpected public key %T", pub)
					}
				})
			}
			r := kms.NewGetPublicKeyRequest()
			r.KeyId = sp(sym)
			_, err := e.kms().GetPublicKey(r)
			wantCode(t, err, codeInvalidKeyUsage)
			md := e.describe(keys[usageSM2Sign])
			if *md.Type != 4 || *md.KeyUsage != usageSM2Sign {
				t.Fatalf("SM2 metadata %+v", md)
			}
		})

		t.Run("AsymmetricRsaDecrypt", func(t *testing.T) {
			pubAny, _ := e.publicKey(keys[usageRSADecrypt])
			pub := pubAny.(*rsa.PublicKey)
			msg := []byte("rsa secret")
			enc := map[string]func() []byte{
				//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
				"RSAES_PKCS1_V1_5": func() []byte { c, _ := rsa.EncryptPKCS1v15(rand.Reader, pub, msg); return c },
				"RSAES_OAEP_SHA_1": func() []byte { c, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, msg, nil); return c },
				"RSAES_OAEP_SHA_256": func() []byte {
					c, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
					return c
				},
			}
			for alg, f := range enc {
				t.Run(alg, func(t *testing.T) {
					r := kms.NewAsymmetricRsaDecryptRequest()
					r.KeyId, r.Algorithm, r.Ciphertext = sp(keys[usageRSADecrypt]), sp(alg), sp(b64(f()))
					resp, err := e.kms().AsymmetricRsaDecrypt(r)
					must(t, err)
					if got := unb64(t, *resp.Response.Plaintext); !bytes.Equal(got, msg) {
						t.Fatalf("plaintext %q", got)
					}
				})
			}
			errTests := []struct {
				name, keyID, alg, ct, code string
			}{
				{"wrong algorithm for ciphertext", keys[usageRSADecrypt], "RSAES_OAEP_SHA_256", b64(enc["RSAES_OAEP_SHA_1"]()), codeDecryptError},
				{"garbage", keys[usageRSADecrypt], "RSAES_PKCS1_V1_5", b64(make([]byte, 256)), codeDecryptError},
				{"unknown algorithm", keys[usageRSADecrypt], "RSA_RAW", b64(make([]byte, 256)), codeInvalidParameter},
				{"sign key", keys[usageRSASign], "RSAES_PKCS1_V1_5", b64(make([]byte, 256)), codeInvalidKeyUsage},
				{"symmetric key", sym, "RSAES_PKCS1_V1_5", b64(make([]byte, 256)), codeInvalidKeyUsage},
				{"not base64", keys[usageRSADecrypt], "RSAES_PKCS1_V1_5", "%%%", codeInvalidParameter},
			}
			for _, tc := range errTests {
				t.Run(tc.name, func(t *testing.T) {
					r := kms.NewAsymmetricRsaDecryptRequest()
					r.KeyId, r.Algorithm, r.Ciphertext = sp(tc.keyID), sp(tc.alg), sp(tc.ct)
					_, err := e.kms().AsymmetricRsaDecrypt(r)
					wantCode(t, err, tc.code)
				})
			}
		})

		t.Run("AsymmetricSm2Decrypt", func(t *testing.T) {
			pubAny, _ := e.publicKey(keys[usageSM2Decrypt])
			pub := pubAny.(*ecdsa.PublicKey)
			msg := []byte("国密 secret")
			asn1CT, err := sm2.EncryptASN1(rand.Reader, pub, msg)
			must(t, err)
			plainCT, err := sm2.Encrypt(rand.Reader, pub, msg, sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C3C2))
			must(t, err)
			tests := []struct {
				name, keyID, ct, code string
			}{
				{"C1C3C2 ASN.1", keys[usageSM2Decrypt], b64(asn1CT), ""},
				{"C1C3C2 plain", keys[usageSM2Decrypt], b64(plainCT), ""},
				{"tampered", keys[usageSM2Decrypt], b64(append(asn1CT[:len(asn1CT)-1:len(asn1CT)-1], asn1CT[len(asn1CT)-1]^1)), codeDecryptError},
				{"too long", keys[usageSM2Decrypt], b64(make([]byte, 257)), codeInvalidParameter},
				{"sign key", keys[usageSM2Sign], b64(asn1CT), codeInvalidKeyUsage},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					r := kms.NewAsymmetricSm2DecryptRequest()
					r.KeyId, r.Ciphertext = sp(tc.keyID), sp(tc.ct)
					resp, err := e.kms().AsymmetricSm2Decrypt(r)
					wantCode(t, err, tc.code)
					if err == nil && !bytes.Equal(unb64(t, *resp.Response.Plaintext), msg) {
						t.Fatal("plaintext mismatch")
					}
				})
			}
		})

		t.Run("Sign and Verify", func(t *testing.T) {
			msg := []byte("sign this message")
			sha := sha256.Sum256(msg)
			sm2Pub := func() *ecdsa.PublicKey { p, _ := e.publicKey(keys[usageSM2Sign]); return p.(*ecdsa.PublicKey) }()
			sm2Digest := func() []byte {
				z, _ := sm2.CalculateZA(sm2Pub, []byte("1234567812345678"))
				h := sm3.New()
				h.Write(z)
				h.Write(msg)
				return h.Sum(nil)
			}()
			rsaPubAny, _ := e.publicKey(keys[usageRSASign])
			rsaPub := rsaPubAny.(*rsa.PublicKey)
			eccPubAny, _ := e.publicKey(keys[usageECCSign])
			eccPub := eccPubAny.(*ecdsa.PublicKey)
			p384Any, _ := e.publicKey(keys[usageECDSA384Sign])
			p384Pub := p384Any.(*ecdsa.PublicKey)
			sha384 := sha512.Sum384(msg)
			tests := []struct {
				name, usage, alg, msgType string
				message                   []byte
				verifyLocal               func(sig []byte) bool
			}{
				{"RSA PSS raw", usageRSASign, "RSA_PSS_SHA_256", "RAW", msg, func(s []byte) bool {
					return rsa.VerifyPSS(rsaPub, crypto.SHA256, sha[:], s, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
				}},
				{"RSA PSS digest", usageRSASign, "RSA_PSS_SHA_256", "DIGEST", sha[:], func(s []byte) bool {
					return rsa.VerifyPSS(rsaPub, crypto.SHA256, sha[:], s, nil) == nil
				}},
				{"RSA PKCS1 raw", usageRSASign, "RSA_PKCS1_SHA_256", "", msg, func(s []byte) bool {
					return rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, sha[:], s) == nil
				}},
				{"ECC raw", usageECCSign, "ECC_P256_R1", "RAW", msg, func(s []byte) bool { return ecdsa.VerifyASN1(eccPub, sha[:], s) }},
				{"ECC digest", usageECCSign, "ECC_P256_R1", "DIGEST", sha[:], func(s []byte) bool { return ecdsa.VerifyASN1(eccPub, sha[:], s) }},
				{"ECDSA384 raw", usageECDSA384Sign, "ECDSA384_SHA384", "RAW", msg, func(s []byte) bool { return ecdsa.VerifyASN1(p384Pub, sha384[:], s) }},
				{"ECDSA384 digest", usageECDSA384Sign, "ECDSA384_SHA384", "DIGEST", sha384[:], func(s []byte) bool { return ecdsa.VerifyASN1(p384Pub, sha384[:], s) }},
				{"SM2 raw", usageSM2Sign, "SM2DSA", "RAW", msg, func(s []byte) bool { return sm2.VerifyASN1WithSM2(sm2Pub, nil, msg, s) }},
				{"SM2 digest", usageSM2Sign, "SM2DSA", "DIGEST", sm2Digest, func(s []byte) bool { return sm2.VerifyASN1WithSM2(sm2Pub, nil, msg, s) }},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					sr := kms.NewSignByAsymmetricKeyRequest()
					sr.KeyId, sr.Algorithm, sr.Message = sp(keys[tc.usage]), sp(tc.alg), sp(b64(tc.message))
					sr.MessageType = opt(tc.msgType)
					resp, err := e.kms().SignByAsymmetricKey(sr)
					must(t, err)
					sig := unb64(t, *resp.Response.Signature)
					if !tc.verifyLocal(sig) {
						t.Fatal("signature does not verify with the public key")
					}
					verify := func(sig []byte, message []byte) bool {
						vr := kms.NewVerifyByAsymmetricKeyRequest()
						vr.KeyId, vr.Algorithm, vr.Message, vr.SignatureValue = sp(keys[tc.usage]), sp(tc.alg), sp(b64(message)), sp(b64(sig))
						vr.MessageType = sr.MessageType
						vresp, err := e.kms().VerifyByAsymmetricKey(vr)
						must(t, err)
						return *vresp.Response.SignatureValid
					}
					if !verify(sig, tc.message) {
						t.Fatal("VerifyByAsymmetricKey rejects a good signature")
					}
					bad := bytes.Clone(sig)
					bad[len(bad)/2] ^= 0x10
					if verify(bad, tc.message) {
						t.Fatal("VerifyByAsymmetricKey accepts a tampered signature")
					}
					other := bytes.Clone(tc.message)
					other[0] ^= 1
					if verify(sig, other) {
						t.Fatal("VerifyByAsymmetricKey accepts another message")
					}
				})
			}
			t.Run("another key of the same usage does not verify", func(t *testing.T) {
				other := e.createKey("asym-ecc-2", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(usageECCSign) })
				sr := kms.NewSignByAsymmetricKeyRequest()
				sr.KeyId, sr.Algorithm, sr.Message = sp(keys[usageECCSign]), sp("ECC_P256_R1"), sp(b64(msg))
				resp, err := e.kms().SignByAsymmetricKey(sr)
				must(t, err)
				vr := kms.NewVerifyByAsymmetricKeyRequest()
				vr.KeyId, vr.Algorithm, vr.Message, vr.SignatureValue = sp(other), sp("ECC_P256_R1"), sp(b64(msg)), resp.Response.Signature
				vresp, err := e.kms().VerifyByAsymmetricKey(vr)
				must(t, err)
				if *vresp.Response.SignatureValid {
					t.Fatal("two keys share material: a signature verified under another key")
				}
			})
			errTests := []struct {
				name, keyID, alg, msgType string
				message                   []byte
				code                      string
			}{
				{"symmetric key", sym, "ECC_P256_R1", "", msg, codeInvalidKeyUsage},
				{"decrypt key", keys[usageRSADecrypt], "RSA_PSS_SHA_256", "", msg, codeInvalidKeyUsage},
				{"algorithm of another usage", keys[usageECCSign], "SM2DSA", "", msg, codeInvalidParameterValue},
				{"unknown algorithm", keys[usageECCSign], "ECDSA_SHA_384", "", msg, codeInvalidParameterValue},
				{"digest 31 bytes", keys[usageECCSign], "ECC_P256_R1", "DIGEST", make([]byte, 31), codeInvalidParameterValue},
				{"SHA-256 digest for ECDSA384", keys[usageECDSA384Sign], "ECDSA384_SHA384", "DIGEST", sha[:], codeInvalidParameterValue},
				{"ECC algorithm for an ECDSA384 key", keys[usageECDSA384Sign], "ECC_P256_R1", "", msg, codeInvalidParameterValue},
				{"raw 4097 bytes", keys[usageECCSign], "ECC_P256_R1", "RAW", make([]byte, 4097), codeInvalidParameterValue},
				{"raw 4096 bytes", keys[usageECCSign], "ECC_P256_R1", "RAW", make([]byte, 4096), ""},
				{"bad message type", keys[usageECCSign], "ECC_P256_R1", "HASH", msg, codeInvalidParameterValue},
			}
			for _, tc := range errTests {
				t.Run(tc.name, func(t *testing.T) {
					sr := kms.NewSignByAsymmetricKeyRequest()
					sr.KeyId, sr.Algorithm, sr.Message = sp(tc.keyID), sp(tc.alg), sp(b64(tc.message))
					sr.MessageType = opt(tc.msgType)
					_, err := e.kms().SignByAsymmetricKey(sr)
					wantCode(t, err, tc.code)
				})
			}
			t.Run("disabled key", func(t *testing.T) {
				k := e.createKey("asym-disabled", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(usageSM2Sign) })
				e.setState(k, "disable")
				sr := kms.NewSignByAsymmetricKeyRequest()
				sr.KeyId, sr.Algorithm, sr.Message = sp(k), sp("SM2DSA"), sp(b64(msg))
				_, err := e.kms().SignByAsymmetricKey(sr)
				wantCode(t, err, codeCmkStateNotSupport)
			})
		})
	})
}

// importParams calls GetParametersForImport.
func importParams(c *kms.Client, keyID, alg, spec string) (*kms.GetParametersForImportResponseParams, error) {
	r := kms.NewGetParametersForImportRequest()
	r.KeyId, r.WrappingAlgorithm, r.WrappingKeySpec = sp(keyID), sp(alg), sp(spec)
	resp, err := c.GetParametersForImport(r)
	if err != nil {
		return nil, err
	}
	return resp.Response, nil
}

// importMaterial calls ImportKeyMaterial.
func importMaterial(c *kms.Client, keyID, token, wrapped string, validTo *uint64) error {
	r := kms.NewImportKeyMaterialRequest()
	r.KeyId, r.ImportToken, r.EncryptedKeyMaterial, r.ValidTo = sp(keyID), sp(token), sp(wrapped), validTo
	_, err := c.ImportKeyMaterial(r)
	return err
}

// wrapMaterial encrypts key material to the wrapping key of import parameters as a
// client does: alg is a WrappingAlgorithm, or "SM2 plain" for SM2 in the plain
// C1C3C2 form; it returns EncryptedKeyMaterial.
func wrapMaterial(t *testing.T, p *kms.GetParametersForImportResponseParams, alg string, material []byte) string {
	t.Helper()
	pub, err := smx509.ParsePKIXPublicKey(unb64(t, *p.PublicKey))
	must(t, err)
	var ct []byte
	switch alg {
	case "SM2":
		ct, err = sm2.EncryptASN1(rand.Reader, pub.(*ecdsa.PublicKey), material)
	case "SM2 plain":
		ct, err = sm2.Encrypt(rand.Reader, pub.(*ecdsa.PublicKey), material, sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C3C2))
	case "RSAES_OAEP_SHA_256":
		ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	case "RSAES_OAEP_SHA_1":
		ct, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	default:
		//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
		ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub.(*rsa.PublicKey), material)
	}
	must(t, err)
	return base64.StdEncoding.EncodeToString(ct)
}

func TestImportKeyMaterial(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("byok", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
		normal := e.createKey("byok-normal")
		c := e.kms()
		if md := e.describe(id); *md.KeyState != "PendingImport" || *md.Origin != "EXTERNAL" {
			t.Fatalf("metadata %+v", md)
		}
		_, err := e.encrypt(id, []byte("x"), "")
		wantCode(t, err, codeCmkStateNotSupport)

		params := func(keyID, alg string) (*kms.GetParametersForImportResponseParams, error) {
			return importParams(c, keyID, alg, "RSA_2048")
		}
		wrap := func(p *kms.GetParametersForImportResponseParams, alg string, material []byte) string {
			return wrapMaterial(t, p, alg, material)
		}
		imp := func(keyID, token, wrapped string, validTo *uint64) error {
			return importMaterial(c, keyID, token, wrapped, validTo)
		}
		_, err = params(normal, "RSAES_OAEP_SHA_256")
		wantCode(t, err, codeNotExternalCmk)
		_, err = params(id, "RSA_RAW")
		wantCode(t, err, codeInvalidParameter)

		material := bytes.Repeat([]byte{7}, 32)
		p, err := params(id, "RSAES_OAEP_SHA_256")
		must(t, err)
		if int64(*p.ParametersValidTo) != e.clock.Now().Unix()+86400 || *p.KeyId != id {
			t.Fatalf("parameters %+v", p)
		}
		wantCode(t, imp(id, "wrong-token", wrap(p, "RSAES_OAEP_SHA_256", material), nil), codeInvalidParameter)
		wantCode(t, imp(id, *p.ImportToken, wrap(p, "RSAES_OAEP_SHA_256", make([]byte, 16)), nil), codeDecryptMaterialError)
		wantCode(t, imp(id, *p.ImportToken, wrap(p, "RSAES_PKCS1_V1_5", material), nil), codeDecryptMaterialError)
		wantCode(t, imp(id, *p.ImportToken, wrap(p, "RSAES_OAEP_SHA_256", material), up(uint64(e.clock.Now().Unix()-1))), codeInvalidParameterValue)
		must(t, imp(id, *p.ImportToken, wrap(p, "RSAES_OAEP_SHA_256", material), nil))
		if s := *e.describe(id).KeyState; s != "Enabled" {
			t.Fatalf("state after import %s", s)
		}
		blob := e.mustEncrypt(id, []byte("imported"), "")

		dr := kms.NewDeleteImportedKeyMaterialRequest()
		dr.KeyId = sp(id)
		_, err = c.DeleteImportedKeyMaterial(dr)
		must(t, err)
		if s := *e.describe(id).KeyState; s != "PendingImport" {
			t.Fatalf("state after delete %s", s)
		}
		_, _, err = e.decrypt(blob, "")
		wantCode(t, err, codeCmkStateNotSupport)
		dr.KeyId = sp(normal)
		_, err = c.DeleteImportedKeyMaterial(dr)
		wantCode(t, err, codeNotExternalCmk)

		// Re-import: different material is refused, the same material restores
		// the old ciphertexts.
		p, err = params(id, "RSAES_PKCS1_V1_5")
		must(t, err)
		wantCode(t, imp(id, *p.ImportToken, wrap(p, "RSAES_PKCS1_V1_5", bytes.Repeat([]byte{8}, 32)), nil), codeMaterialNotMatch)
		validTo := uint64(e.clock.Now().Add(time.Hour).Unix())
		must(t, imp(id, *p.ImportToken, wrap(p, "RSAES_PKCS1_V1_5", material), &validTo))
		pt, _, err := e.decrypt(blob, "")
		must(t, err)
		if string(pt) != "imported" {
			t.Fatalf("plaintext %q", pt)
		}
		if md := e.describe(id); int64(*md.ValidTo) != int64(validTo) {
			t.Fatalf("ValidTo %d", *md.ValidTo)
		}
		// The token was used up.
		wantCode(t, imp(id, *p.ImportToken, wrap(p, "RSAES_PKCS1_V1_5", material), nil), codeInvalidParameter)

		// Material expires at ValidTo.
		e.clock.Advance(time.Hour)
		if s := *e.describe(id).KeyState; s != "PendingImport" {
			t.Fatalf("state after ValidTo %s", s)
		}
		_, _, err = e.decrypt(blob, "")
		wantCode(t, err, codeCmkStateNotSupport)

		// Import parameters expire after 24 h.
		p, err = params(id, "RSAES_OAEP_SHA_1")
		must(t, err)
		e.clock.Advance(24 * time.Hour)
		wantCode(t, imp(id, *p.ImportToken, wrap(p, "RSAES_OAEP_SHA_1", material), nil), codeTokenExpired)
	})
}
