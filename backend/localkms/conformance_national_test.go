package localkms

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm4"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Conformance suite: national-standard (国密) regions. ap-shanghai runs in the
// mode, ap-guangzhou (the default region) does not.

const nationalRegion = "ap-shanghai"

func nationalEnv(t *testing.T, kind string) *env {
	return newEnv(t, kind, func(o *Options) { o.NationalStandardRegions = []string{nationalRegion} })
}

func forEachNationalTransport(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, kind := range transports {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, nationalEnv(t, kind))
		})
	}
}

// createKeyIn creates a key in region and returns its KeyId.
func (e *env) createKeyIn(region, alias string, mods ...func(*kms.CreateKeyRequest)) (string, error) {
	req := kms.NewCreateKeyRequest()
	req.Alias = sp(alias)
	for _, m := range mods {
		m(req)
	}
	resp, err := e.kmsRegion(region).CreateKey(req)
	if err != nil {
		return "", err
	}
	return *resp.Response.KeyId, nil
}

func algorithmsOf(t *testing.T, c *kms.Client) [3][][2]string {
	t.Helper()
	resp, err := c.ListAlgorithms(kms.NewListAlgorithmsRequest())
	must(t, err)
	var out [3][][2]string
	for i, list := range [][]*kms.AlgorithmInfo{resp.Response.SymmetricAlgorithms, resp.Response.AsymmetricAlgorithms, resp.Response.AsymmetricSignVerifyAlgorithms} {
		for _, a := range list {
			out[i] = append(out[i], [2]string{*a.KeyUsage, *a.Algorithm})
		}
	}
	return out
}

func TestNationalStandardRegion(t *testing.T) {
	forEachNationalTransport(t, func(t *testing.T, e *env) {
		sh := e.kmsRegion(nationalRegion)
		t.Run("ListAlgorithms", func(t *testing.T) {
			// Exactly the answer of the API documentation's example (an SM region).
			got := algorithmsOf(t, sh)
			want := [3][][2]string{
				{{usageEncryptDecrypt, "SM4"}},
				{{usageSM2Decrypt, "SM2"}, {usageRSADecrypt, "RSA_2048"}},
				{{usageSM2Sign, "SM2"}},
			}
			if len(got[0]) != 1 || got[0][0] != want[0][0] || len(got[1]) != 2 || got[1][0] != want[1][0] || got[1][1] != want[1][1] || len(got[2]) != 1 || got[2][0] != want[2][0] {
				t.Fatalf("ListAlgorithms in %s: %v", nationalRegion, got)
			}
			if std := algorithmsOf(t, e.kms()); std[0][0][1] != "AES_256" {
				t.Fatalf("the standard region answers %v", std[0])
			}
		})

		id, err := e.createKeyIn(nationalRegion, "sm4-key")
		must(t, err)
		t.Run("metadata", func(t *testing.T) {
			r := kms.NewDescribeKeyRequest()
			r.KeyId = sp(id)
			resp, err := sh.DescribeKey(r)
			must(t, err)
			md := resp.Response.KeyMetadata
			if *md.Type != 4 || *md.KeyUsage != usageEncryptDecrypt || *md.Origin != "TENCENT_KMS" {
				t.Fatalf("SM4 key metadata %s", resp.ToJsonString())
			}
			aes := e.createKey("aes-key")
			if md := e.describe(aes); *md.Type != 2 {
				t.Fatalf("AES key in the standard region has Type %d", *md.Type)
			}
		})

		t.Run("Encrypt uses SM4-GCM", func(t *testing.T) {
			er := kms.NewEncryptRequest()
			er.KeyId, er.Plaintext, er.EncryptionContext = sp(id), sp(b64([]byte("国密 text"))), sp(`{"a":"b"}`)
			resp, err := sh.Encrypt(er)
			must(t, err)
			blob := *resp.Response.CiphertextBlob
			// Open the blob with SM4-GCM and the key's own 128-bit material.
			k := e.srv.snapshot(id)
			mat := k.rec.Versions[0].Material
			if k.rec.Spec != specSM4 || len(mat) != 16 {
				t.Fatalf("key spec %q, material %d bytes", k.rec.Spec, len(mat))
			}
			b, err := parseBlob(blob)
			must(t, err)
			block, _ := sm4.NewCipher(mat)
			gcm, _ := cipher.NewGCM(block)
			pt, err := gcm.Open(nil, b.nonce, b.sealed, append(b.header[:], `{"a":"b"}`...))
			if err != nil || string(pt) != "国密 text" {
				t.Fatalf("the blob is not SM4-GCM under the key's material: %q %v", pt, err)
			}
			dr := kms.NewDecryptRequest()
			dr.CiphertextBlob, dr.EncryptionContext = sp(blob), sp(`{"a":"b"}`)
			dresp, err := sh.Decrypt(dr)
			must(t, err)
			if string(unb64(t, *dresp.Response.Plaintext)) != "国密 text" {
				t.Fatal("Decrypt round trip failed")
			}
		})

		t.Run("GenerateDataKey keeps the requested length", func(t *testing.T) {
			for _, tc := range []struct {
				spec  string
				bytes *uint64
				want  int
			}{{"AES_256", nil, 32}, {"AES_128", nil, 16}, {"", up(24), 24}} {
				r := kms.NewGenerateDataKeyRequest()
				r.KeyId, r.KeySpec, r.NumberOfBytes = sp(id), opt(tc.spec), tc.bytes
				resp, err := sh.GenerateDataKey(r)
				must(t, err)
				dek := unb64(t, *resp.Response.Plaintext)
				if len(dek) != tc.want {
					t.Fatalf("%s/%v: data key of %d bytes, want %d", tc.spec, tc.bytes, len(dek), tc.want)
				}
				dr := kms.NewDecryptRequest()
				dr.CiphertextBlob = resp.Response.CiphertextBlob
				dresp, err := sh.Decrypt(dr)
				must(t, err)
				if !bytes.Equal(unb64(t, *dresp.Response.Plaintext), dek) {
					t.Fatal("the data key does not decrypt to itself")
				}
			}
		})

		t.Run("usages the region does not offer", func(t *testing.T) {
			for _, u := range []string{usageECCSign, usageRSASign, usageECDSA384Sign} {
				_, err := e.createKeyIn(nationalRegion, "no-"+u[len("ASYMMETRIC_SIGN_VERIFY_"):], func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(u) })
				wantCode(t, err, codeUnsupportedKeyUsage)
			}
			for _, u := range []string{usageSM2Sign, usageSM2Decrypt, usageRSADecrypt} {
				_, err := e.createKeyIn(nationalRegion, "ok-"+u[len("ASYMMETRIC_"):], func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(u) })
				must(t, err)
			}
		})

		t.Run("rotation keeps SM4", func(t *testing.T) {
			old := e.srv.snapshot(id)
			blob := func() string {
				er := kms.NewEncryptRequest()
				er.KeyId, er.Plaintext = sp(id), sp(b64([]byte("v1")))
				resp, err := sh.Encrypt(er)
				must(t, err)
				return *resp.Response.CiphertextBlob
			}()
			must(t, e.srv.RotateKeyNow(id))
			k := e.srv.snapshot(id)
			if len(k.rec.Versions) != len(old.rec.Versions)+1 || len(k.rec.Versions[len(k.rec.Versions)-1].Material) != 16 {
				t.Fatal("rotation did not add 128-bit SM4 material")
			}
			dr := kms.NewDecryptRequest()
			dr.CiphertextBlob = sp(blob)
			_, err := sh.Decrypt(dr)
			must(t, err)
		})
	})
}

// TestNationalStandardImport: imported material is 128-bit in a national-standard
// region, wrapped with RSA (OAEP SHA-1 or SHA-256) or SM2.
func TestNationalStandardImport(t *testing.T) {
	forEachNationalTransport(t, func(t *testing.T, e *env) {
		sh := e.kmsRegion(nationalRegion)
		params := func(keyID, alg, spec string) (*kms.GetParametersForImportResponseParams, error) {
			return importParams(sh, keyID, alg, spec)
		}
		wrap := func(p *kms.GetParametersForImportResponseParams, alg string, material []byte) string {
			return wrapMaterial(t, p, alg, material)
		}
		imp := func(keyID, token, wrapped string) error { return importMaterial(sh, keyID, token, wrapped, nil) }
		material := bytes.Repeat([]byte{0x5a}, 16)
		cases := []struct{ name, alg, spec, wrapAs string }{
			{"RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_256", "RSA_2048", "RSAES_OAEP_SHA_256"},
			{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_1", "RSA_2048", "RSAES_OAEP_SHA_1"},
			{"SM2 ASN.1", "SM2", "SM2", "SM2"},
			{"SM2 plain C1C3C2", "SM2", "SM2", "SM2 plain"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				id, err := e.createKeyIn(nationalRegion, "byok-sm4-"+string(rune('a'+i)), func(r *kms.CreateKeyRequest) { r.Type = up(2) })
				must(t, err)
				p, err := params(id, tc.alg, tc.spec)
				must(t, err)
				// 256-bit material is refused: this region's keys are SM4.
				wantCode(t, imp(id, *p.ImportToken, wrap(p, tc.wrapAs, bytes.Repeat([]byte{1}, 32))), codeDecryptMaterialError)
				must(t, imp(id, *p.ImportToken, wrap(p, tc.wrapAs, material)))
				er := kms.NewEncryptRequest()
				er.KeyId, er.Plaintext = sp(id), sp(b64([]byte("byok")))
				resp, err := sh.Encrypt(er)
				must(t, err)
				// The blob is SM4-GCM under exactly the imported material.
				b, err := parseBlob(*resp.Response.CiphertextBlob)
				must(t, err)
				block, _ := sm4.NewCipher(material)
				gcm, _ := cipher.NewGCM(block)
				if pt, err := gcm.Open(nil, b.nonce, b.sealed, b.header[:]); err != nil || string(pt) != "byok" {
					t.Fatalf("not SM4 under the imported material: %v", err)
				}
			})
		}
		t.Run("SM2 wrapping only where the region uses it", func(t *testing.T) {
			ext, err := e.createKeyIn(nationalRegion, "byok-sm2-spec", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
			must(t, err)
			_, err = params(ext, "SM2", "RSA_2048")
			wantCode(t, err, codeInvalidParameter)
			_, err = params(ext, "RSAES_OAEP_SHA_256", "SM2")
			wantCode(t, err, codeInvalidParameter)
			std := e.createKey("byok-standard", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
			_, err = importParams(e.kms(), std, "SM2", "SM2")
			wantCode(t, err, codeInvalidParameter)
		})
	})
}

// TestNationalStandardModeChange: a key keeps its algorithm when its region
// leaves national-standard mode; new keys there are AES again.
func TestNationalStandardModeChange(t *testing.T) {
	e := nationalEnv(t, "inproc")
	id, err := e.createKeyIn(nationalRegion, "keeps-sm4")
	must(t, err)
	er := kms.NewEncryptRequest()
	er.KeyId, er.Plaintext = sp(id), sp(b64([]byte("sm4 before")))
	resp, err := e.kmsRegion(nationalRegion).Encrypt(er)
	must(t, err)
	e.srv.Close()

	srv, err := Open(Options{DataDir: e.dir, MasterKey: MasterKeyFile, Now: e.clock.Now})
	must(t, err)
	t.Cleanup(func() { srv.Close() })
	e.srv, e.rt = srv, srv.Transport()
	sh := e.kmsRegion(nationalRegion)
	dr := kms.NewDecryptRequest()
	dr.CiphertextBlob = resp.Response.CiphertextBlob
	dresp, err := sh.Decrypt(dr)
	must(t, err)
	if string(unb64(t, *dresp.Response.Plaintext)) != "sm4 before" {
		t.Fatal("the SM4 key no longer decrypts")
	}
	if got := algorithmsOf(t, sh); got[0][0][1] != "AES_256" {
		t.Fatalf("ListAlgorithms after leaving the mode: %v", got[0])
	}
	if k := e.srv.snapshot(id); k.rec.Spec != specSM4 {
		t.Fatalf("spec %q", k.rec.Spec)
	}
	aes, err := e.createKeyIn(nationalRegion, "now-aes")
	must(t, err)
	if k := e.srv.snapshot(aes); k.rec.Spec != specAES256 || len(k.rec.Versions[0].Material) != 32 {
		t.Fatal("a new key outside the mode is not AES-256")
	}
}

func TestNationalStandardOptions(t *testing.T) {
	_, err := Open(Options{DataDir: t.TempDir(), MasterKey: MasterKeyFile, Regions: []string{"ap-beijing"}, NationalStandardRegions: []string{"ap-shanghai"}})
	var le *Error
	if !errors.As(err, &le) || le.ErrorCode() != CodeInvalidOptions {
		t.Fatalf("a national-standard region outside Regions: %v", err)
	}
}

func TestCmkLimit(t *testing.T) {
	e := newEnv(t, "inproc", func(o *Options) { o.CmkLimit = 2 })
	e.createKey("one")
	e.createKey("two")
	_, err := e.createKeyIn("ap-guangzhou", "three")
	wantCode(t, err, codeCmkLimitExceeded)
	// The quota is per region.
	_, err = e.createKeyIn("ap-beijing", "three")
	must(t, err)
	st, err := e.kms().GetServiceStatus(kms.NewGetServiceStatusRequest())
	must(t, err)
	if *st.Response.CmkLimit != 2 || *st.Response.CmkUserCount != 2 {
		t.Fatalf("GetServiceStatus %s", st.ToJsonString())
	}
}
