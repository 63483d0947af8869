package localkms

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Conformance suite, part 2: symmetric cryptography.

func TestEncryptDecrypt(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("ed-key")
		max := bytes.Repeat([]byte{0xA5}, 4096)
		tests := []struct {
			name      string
			plain     []byte
			ec, decEC string
			code      string // of Decrypt
		}{
			{"small", []byte("hello"), "", "", ""},
			{"4096 bytes", max, "", "", ""},
			{"binary", []byte{0, 1, 2, 255}, "", "", ""},
			{"context", []byte("x"), `{"user":"alice","app":"desk"}`, `{"user":"alice","app":"desk"}`, ""},
			{"context reordered", []byte("x"), `{"user":"alice","app":"desk"}`, ` { "app" : "desk", "user":"alice" } `, ""},
			{"empty context object", []byte("x"), `{}`, "", ""},
			{"context wrong value", []byte("x"), `{"user":"alice"}`, `{"user":"bob"}`, codeInvalidCiphertext},
			{"context missing", []byte("x"), `{"user":"alice"}`, "", codeInvalidCiphertext},
			{"context unexpected", []byte("x"), "", `{"user":"alice"}`, codeInvalidCiphertext},
			{"context extra pair", []byte("x"), `{"a":"1"}`, `{"a":"1","b":"2"}`, codeInvalidCiphertext},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				blob := e.mustEncrypt(id, tc.plain, tc.ec)
				if parts := strings.Split(blob, "-k-"); len(parts) != 3 {
					t.Fatalf("blob %q does not have three -k- segments", blob)
				}
				pt, kid, err := e.decrypt(blob, tc.decEC)
				wantCode(t, err, tc.code)
				if err == nil && (!bytes.Equal(pt, tc.plain) || kid != id) {
					t.Fatalf("decrypt = %x, %s", pt, kid)
				}
			})
		}
		t.Run("fresh nonce", func(t *testing.T) {
			first, second := e.mustEncrypt(id, []byte("same"), ""), e.mustEncrypt(id, []byte("same"), "")
			if first == second {
				t.Fatal("two encryptions of the same plaintext are equal")
			}
		})
		errTests := []struct {
			name, keyID, plaintext, ec, code string
		}{
			{"plaintext 4097", id, b64(make([]byte, 4097)), "", codeInvalidPlaintext},
			{"plaintext not base64", id, "not base64!", "", codeInvalidPlaintext},
			{"plaintext missing", id, "", "", codeMissingParameter},
			{"context not an object", id, "aGk=", `["a"]`, codeInvalidParameter},
			{"context not JSON", id, "aGk=", `{a:1}`, codeInvalidParameter},
			{"context non-string value", id, "aGk=", `{"a":1}`, codeInvalidParameter},
			{"context too long", id, "aGk=", `{"a":"` + strings.Repeat("x", 1100) + `"}`, codeInvalidParameter},
			{"unknown key", "00000000-0000-4000-8000-000000000000", "aGk=", "", codeCmkNotFound},
			{"malformed key", "alias/ed-key", "aGk=", "", codeInvalidKeyID},
		}
		for _, tc := range errTests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewEncryptRequest()
				req.KeyId = sp(tc.keyID)
				req.Plaintext = opt(tc.plaintext)
				req.EncryptionContext = opt(tc.ec)
				_, err := e.kms().Encrypt(req)
				wantCode(t, err, tc.code)
			})
		}
		t.Run("asymmetric key", func(t *testing.T) {
			ecc := e.createKey("ed-ecc", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp("ASYMMETRIC_SIGN_VERIFY_ECC") })
			_, err := e.encrypt(ecc, []byte("x"), "")
			wantCode(t, err, codeInvalidKeyUsage)
		})
		t.Run("other region", func(t *testing.T) {
			blob := e.mustEncrypt(id, []byte("x"), "")
			req := kms.NewDecryptRequest()
			req.CiphertextBlob = sp(blob)
			_, err := e.kmsRegion("ap-shanghai").Decrypt(req)
			wantCode(t, err, codeCmkNotFound)
		})
	})
}

// TestTamperedBlob flips bits in every part of a blob and swaps key identities:
// every variant must be refused with InvalidCiphertext (or CmkNotFound when the
// tampered header names a well-formed KeyId that does not exist).
func TestTamperedBlob(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		a, b := e.createKey("tamper-a"), e.createKey("tamper-b")
		blob := e.mustEncrypt(a, []byte("integrity matters"), `{"k":"v"}`)
		parts := strings.Split(blob, "-k-")
		flip := func(seg, byteIndex int) string {
			raw, _ := base64.StdEncoding.DecodeString(parts[seg])
			raw[byteIndex] ^= 0x01
			p := append([]string(nil), parts...)
			p[seg] = base64.StdEncoding.EncodeToString(raw)
			return strings.Join(p, "-k-")
		}
		swapKey := func(keyID string) string {
			raw, _ := base64.StdEncoding.DecodeString(parts[0])
			copy(raw[9:], keyID)
			p := append([]string(nil), parts...)
			p[0] = base64.StdEncoding.EncodeToString(raw)
			return strings.Join(p, "-k-")
		}
		tests := []struct {
			name, blob, code string
		}{
			{"magic", flip(0, 0), codeInvalidCiphertext},
			{"format version", flip(0, 4), codeInvalidCiphertext},
			{"key version", flip(0, 8), codeInvalidCiphertext},
			{"key id to malformed", swapKey("ZZZZZZZZ-0000-4000-8000-000000000000"), codeInvalidCiphertext},
			{"key id one digit", swapKey(otherDigit(a, 11)), codeCmkNotFound},
			{"nonce", flip(1, 3), codeInvalidCiphertext},
			{"ciphertext", flip(2, 0), codeInvalidCiphertext},
			{"tag", flip(2, len("integrity matters")+15), codeInvalidCiphertext},
			{"other key's id", swapKey(b), codeInvalidCiphertext},
			{"unknown key id", swapKey("00000000-0000-4000-8000-000000000000"), codeCmkNotFound},
			{"two segments", parts[0] + "-k-" + parts[2], codeInvalidCiphertext},
			{"four segments", blob + "-k-" + parts[1], codeInvalidCiphertext},
			{"not base64", strings.Replace(blob, parts[1], "!!!!", 1), codeInvalidCiphertext},
			{"newline in base64", strings.Replace(blob, parts[2], parts[2][:4]+"\n"+parts[2][4:], 1), codeInvalidCiphertext},
			{"plain base64", base64.StdEncoding.EncodeToString([]byte(blob)), codeInvalidCiphertext},
			{"truncated tag", parts[0] + "-k-" + parts[1] + "-k-" + base64.StdEncoding.EncodeToString([]byte("short")), codeInvalidCiphertext},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := e.decrypt(tc.blob, `{"k":"v"}`)
				wantCode(t, err, tc.code)
			})
		}
		t.Run("untampered still decrypts", func(t *testing.T) {
			pt, _, err := e.decrypt(blob, `{"k":"v"}`)
			must(t, err)
			if string(pt) != "integrity matters" {
				t.Fatalf("plaintext %q", pt)
			}
		})
	})
}

// otherDigit returns id with the hex digit at i replaced by a different one.
func otherDigit(id string, i int) string {
	b := []byte(id)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

func TestReEncrypt(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		src, dst := e.createKey("re-src"), e.createKey("re-dst")
		disabled := e.createKey("re-disabled")
		e.setState(disabled, "disable")
		blob := e.mustEncrypt(src, []byte("move me"), `{"a":"1"}`)
		re := func(blob, dest, srcEC, dstEC string) (*kms.ReEncryptResponseParams, error) {
			r := kms.NewReEncryptRequest()
			r.CiphertextBlob = sp(blob)
			r.DestinationKeyId = opt(dest)
			r.SourceEncryptionContext = opt(srcEC)
			r.DestinationEncryptionContext = opt(dstEC)
			resp, err := e.kms().ReEncrypt(r)
			if err != nil {
				return nil, err
			}
			return resp.Response, nil
		}
		t.Run("same key, no rotation", func(t *testing.T) {
			r, err := re(blob, "", `{"a":"1"}`, `{"a":"1"}`)
			must(t, err)
			if *r.ReEncrypted || *r.CiphertextBlob != blob || *r.KeyId != src || *r.SourceKeyId != src {
				t.Fatalf("unexpected %+v", r)
			}
		})
		t.Run("to another key", func(t *testing.T) {
			r, err := re(blob, dst, `{"a":"1"}`, `{"b":"2"}`)
			must(t, err)
			if !*r.ReEncrypted || *r.KeyId != dst || *r.SourceKeyId != src {
				t.Fatalf("unexpected %+v", r)
			}
			pt, kid, err := e.decrypt(*r.CiphertextBlob, `{"b":"2"}`)
			must(t, err)
			if string(pt) != "move me" || kid != dst {
				t.Fatalf("decrypt %q %s", pt, kid)
			}
		})
		t.Run("after rotation", func(t *testing.T) {
			must(t, e.srv.RotateKeyNow(src))
			r, err := re(blob, "", `{"a":"1"}`, `{"a":"1"}`)
			must(t, err)
			nb, _ := parseBlob(*r.CiphertextBlob)
			if !*r.ReEncrypted || *r.KeyId != src || nb.keyVersion != 2 {
				t.Fatalf("unexpected %+v (version %d)", r, nb.keyVersion)
			}
		})
		t.Run("wrong source context", func(t *testing.T) {
			_, err := re(blob, dst, `{"a":"2"}`, "")
			wantCode(t, err, codeInvalidCiphertext)
		})
		t.Run("disabled destination", func(t *testing.T) {
			_, err := re(blob, disabled, `{"a":"1"}`, "")
			wantCode(t, err, codeCmkDisabled)
		})
		t.Run("malformed destination", func(t *testing.T) {
			_, err := re(blob, "dst", `{"a":"1"}`, "")
			wantCode(t, err, codeInvalidKeyID)
		})
		t.Run("tampered", func(t *testing.T) {
			_, err := re(blob[:len(blob)-4]+"AAAA", dst, `{"a":"1"}`, "")
			wantCode(t, err, codeInvalidCiphertext)
		})
	})
}

func TestGenerateDataKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("gdk")
		disabled := e.createKey("gdk-disabled")
		e.setState(disabled, "disable")
		tests := []struct {
			name    string
			keyID   string
			spec    string
			n       *uint64
			ec      string
			wantLen int
			code    string
		}{
			{"AES_256", id, "AES_256", nil, "", 32, ""},
			{"AES_128", id, "AES_128", nil, `{"file":"a.txt"}`, 16, ""},
			{"NumberOfBytes wins", id, "AES_128", up(1024), "", 1024, ""},
			{"one byte", id, "", up(1), "", 1, ""},
			{"neither", id, "", nil, "", 0, codeInvalidParameter},
			{"zero bytes", id, "", up(0), "", 0, codeInvalidParameter},
			{"too many bytes", id, "", up(1025), "", 0, codeInvalidParameter},
			{"bad spec", id, "AES_512", nil, "", 0, codeInvalidParameter},
			{"disabled key", disabled, "AES_256", nil, "", 0, codeCmkDisabled},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := kms.NewGenerateDataKeyRequest()
				r.KeyId, r.NumberOfBytes = sp(tc.keyID), tc.n
				r.KeySpec = opt(tc.spec)
				r.EncryptionContext = opt(tc.ec)
				resp, err := e.kms().GenerateDataKey(r)
				wantCode(t, err, tc.code)
				if err != nil {
					return
				}
				dek := unb64(t, *resp.Response.Plaintext)
				if len(dek) != tc.wantLen || *resp.Response.KeyId != id {
					t.Fatalf("dek length %d, key %s", len(dek), *resp.Response.KeyId)
				}
				pt, _, err := e.decrypt(*resp.Response.CiphertextBlob, tc.ec)
				must(t, err)
				if !bytes.Equal(pt, dek) {
					t.Fatal("blob does not decrypt to the data key")
				}
			})
		}
	})
}

// TestEncryptionPublicKey checks Decrypt and GenerateDataKey returning the
// plaintext encrypted under a caller's RSA or SM2 public key.
func TestEncryptionPublicKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("epk")
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		must(t, err)
		rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
		rsaPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER}))
		sm2Key, err := sm2.GenerateKey(rand.Reader)
		must(t, err)
		sm2DER, _ := smx509.MarshalPKIXPublicKey(&sm2Key.PublicKey)
		sm2PEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: sm2DER}))
		blob := e.mustEncrypt(id, []byte("wrapped for you"), "")

		tests := []struct {
			name, pub, alg string
			open           func([]byte) ([]byte, error)
			code           string
		}{
			{"RSA OAEP SHA-256", rsaPEM, "RSAES_OAEP_SHA_256", func(c []byte) ([]byte, error) { return rsa.DecryptOAEP(sha256.New(), nil, rsaKey, c, nil) }, ""},
			{"RSA OAEP SHA-1", rsaPEM, "RSAES_OAEP_SHA_1", func(c []byte) ([]byte, error) { return rsa.DecryptOAEP(sha1.New(), nil, rsaKey, c, nil) }, ""},
			//lint:ignore SA1019 Tencent KMS offers RSAES_PKCS1_V1_5, so the local KMS (and its tests) must too.
			{"RSA PKCS1", rsaPEM, "RSAES_PKCS1_V1_5", func(c []byte) ([]byte, error) { return rsa.DecryptPKCS1v15(nil, rsaKey, c) }, ""},
			{"SM2 default", sm2PEM, "", func(c []byte) ([]byte, error) {
				if c[0] != 0x04 {
					t.Fatalf("SM2 output is not C1C3C2 plain (first byte %x)", c[0])
				}
				return sm2.Decrypt(sm2Key, c)
			}, ""},
			{"SM2 ASN.1", sm2PEM, "SM2_C1C3C2_ASN1", func(c []byte) ([]byte, error) {
				if c[0] != 0x30 {
					t.Fatalf("SM2 ASN.1 output starts with %x", c[0])
				}
				return sm2.Decrypt(sm2Key, c)
			}, ""},
			{"RSA key for SM2", rsaPEM, "", nil, codeInvalidParameter},
			{"bad algorithm", rsaPEM, "RSA_PLAIN", nil, codeInvalidParameter},
			{"garbage key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "RSAES_PKCS1_V1_5", nil, codeInvalidParameter},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := kms.NewDecryptRequest()
				r.CiphertextBlob, r.EncryptionPublicKey = sp(blob), sp(tc.pub)
				r.EncryptionAlgorithm = opt(tc.alg)
				resp, err := e.kms().Decrypt(r)
				wantCode(t, err, tc.code)
				if err != nil {
					return
				}
				pt, err := tc.open(unb64(t, *resp.Response.Plaintext))
				must(t, err)
				if string(pt) != "wrapped for you" {
					t.Fatalf("plaintext %q", pt)
				}
			})
		}
		t.Run("GenerateDataKey", func(t *testing.T) {
			r := kms.NewGenerateDataKeyRequest()
			r.KeyId, r.KeySpec = sp(id), sp("AES_256")
			r.EncryptionPublicKey, r.EncryptionAlgorithm = sp(rsaPEM), sp("RSAES_OAEP_SHA_256")
			resp, err := e.kms().GenerateDataKey(r)
			must(t, err)
			dek, err := rsa.DecryptOAEP(sha256.New(), nil, rsaKey, unb64(t, *resp.Response.Plaintext), nil)
			must(t, err)
			pt, _, err := e.decrypt(*resp.Response.CiphertextBlob, "")
			must(t, err)
			if len(dek) != 32 || !bytes.Equal(pt, dek) {
				t.Fatal("wrapped data key does not match the blob")
			}
		})
	})
}

func TestGenerateRandom(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		tests := []struct {
			name string
			n    *uint64
			code string
		}{
			{"1", up(1), ""},
			{"1024", up(1024), ""},
			{"0", up(0), codeInvalidParameter},
			{"1025", up(1025), codeInvalidParameter},
			{"missing", nil, codeMissingParameter},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := kms.NewGenerateRandomRequest()
				r.NumberOfBytes = tc.n
				resp, err := e.kms().GenerateRandom(r)
				wantCode(t, err, tc.code)
				if err == nil && len(unb64(t, *resp.Response.Plaintext)) != int(*tc.n) {
					t.Fatalf("got %d bytes", len(unb64(t, *resp.Response.Plaintext)))
				}
			})
		}
	})
}
