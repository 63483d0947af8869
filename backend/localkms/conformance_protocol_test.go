package localkms

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
)

// Conformance suite, part 4: wire protocol, authentication, STS.

func TestAuthentication(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		temp, err := e.srv.IssueTemporaryCredential(time.Hour)
		must(t, err)
		hostNoPort, _ := hostWithoutPort(e.host())
		// The Node SDK signs with the first DNS label of its endpoint: "127" for
		// 127.0.0.1:PORT.
		nodeService, _, _ := strings.Cut(e.host(), ".")
		tests := []struct {
			name string
			req  rawReq
			code string
		}{
			{"valid", rawReq{}, ""},
			{"wrong secret key", rawReq{secretKey: "wrong", secretID: e.cred.SecretID}, codeSignatureFailure},
			{"unknown secret id", rawReq{secretID: "AKIDunknown", secretKey: "x"}, codeSecretIDNotFound},
			{"body changed after signing", rawReq{body: `{}`, tamper: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(`{ }`))
				r.ContentLength = 3
			}}, codeSignatureFailure},
			{"region header is not signed", rawReq{tamper: func(r *http.Request) { r.Header.Set("X-TC-Region", "ap-beijing") }}, ""},
			{"content type changed", rawReq{tamper: func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }}, codeSignatureFailure},
			{"timestamp 301 s old", rawReq{timestamp: time.Now().Add(-301 * time.Second)}, codeSignatureExpire},
			// Ahead by a few seconds more than the 300 s allowed: the table is built before the
			// requests go out, and a second boundary crossed in between (timestamps are whole
			// seconds) would bring 301 s back to 300.
			{"timestamp 305 s ahead", rawReq{timestamp: time.Now().Add(305 * time.Second)}, codeSignatureExpire},
			{"timestamp 250 s old", rawReq{timestamp: time.Now().Add(-250 * time.Second)}, ""},
			{"scope date mismatch", rawReq{scopeDate: "2001-01-01"}, codeSignatureFailure},
			{"missing authorization", rawReq{authz: "-"}, codeInvalidAuthorization},
			{"skip authorization", rawReq{authz: "SKIP"}, codeInvalidAuthorization},
			{"v1 style", rawReq{authz: "HmacSHA256 Signature=abc"}, codeInvalidAuthorization},
			{"host not signed", rawReq{authz: "TC3-HMAC-SHA256 Credential=" + e.cred.SecretID + "/2023-11-14/kms/tc3_request, SignedHeaders=content-type, Signature=" + sig64}, codeInvalidAuthorization},
			{"missing timestamp", rawReq{tamper: func(r *http.Request) { r.Header.Del("X-TC-Timestamp") }}, codeMissingParameter},
			{"node style: first label of the host as service, host without port", rawReq{service: nodeService, signHost: hostNoPort}, ""},
			{"node style label of another host", rawReq{service: "127", host: "kms.tencentcloudapi.com"}, codeSignatureFailure},
			{"another host", rawReq{signHost: "evil.example.com"}, codeSignatureFailure},
			{"signed for another service", rawReq{service: "cvm", host: "cvm.tencentcloudapi.com"}, codeSignatureFailure},
			{"sts scope with the KMS version", rawReq{service: "sts"}, codeSignatureFailure},
			{"kms scope with the STS version", rawReq{version: stsVersion}, codeSignatureFailure},
			{"unsigned payload", rawReq{unsigned: true, body: `{}`}, ""},
			{"unsigned payload, body differs", rawReq{unsigned: true, body: `{}`, tamper: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(`{ }`))
				r.ContentLength = 3
			}}, ""},
			{"temporary with token", rawReq{secretID: temp.SecretID, secretKey: temp.SecretKey, token: temp.Token}, ""},
			{"temporary without token", rawReq{secretID: temp.SecretID, secretKey: temp.SecretKey}, codeTokenFailure},
			{"temporary with wrong token", rawReq{secretID: temp.SecretID, secretKey: temp.SecretKey, token: temp.Token + "x"}, codeTokenFailure},
			{"permanent with a token", rawReq{token: "unexpected"}, codeTokenFailure},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.req.action = "GetRegions"
				if tc.req.body == "" {
					tc.req.body = "{}"
				}
				resp := e.do(tc.req)
				resp.wantCode(t, tc.code)
				if tc.code == "" {
					if _, ok := resp.response["Regions"].([]any); !ok {
						t.Fatalf("no Regions in %s", resp.body)
					}
				}
			})
		}
		t.Run("SDK UnsignedPayload", func(t *testing.T) {
			c := e.kms(func(p *profile.ClientProfile) { p.UnsignedPayload = true })
			_, err := c.GetRegions(kms.NewGetRegionsRequest())
			must(t, err)
		})
	})
}

func TestProtocolErrors(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		tests := []struct {
			name string
			req  rawReq
			code string
		}{
			{"no such version", rawReq{action: "GetRegions", version: "2017-03-12", body: "{}"}, codeNoSuchVersion},
			{"missing version", rawReq{action: "GetRegions", version: "-", body: "{}", tamper: func(r *http.Request) { r.Header.Del("X-TC-Version") }}, codeMissingParameter},
			{"missing action", rawReq{body: "{}"}, codeMissingParameter},
			{"unknown action", rawReq{action: "DeleteEverything", body: "{}"}, codeInvalidAction},
			{"STS action in KMS version", rawReq{action: "AssumeRole", body: "{}"}, codeInvalidAction},
			{"KMS action in STS version", rawReq{action: "Encrypt", version: stsVersion, service: "sts", body: "{}"}, codeInvalidAction},
			{"unknown parameter", rawReq{action: "DescribeKey", body: `{"KeyId":"00000000-0000-4000-8000-000000000000","Foo":1}`}, codeUnknownParameter},
			{"parameter name case", rawReq{action: "DescribeKey", body: `{"keyid":"00000000-0000-4000-8000-000000000000"}`}, codeUnknownParameter},
			{"wrong type", rawReq{action: "DescribeKey", body: `{"KeyId":1}`}, codeInvalidParameter},
			{"wrong number type", rawReq{action: "ListKeys", body: `{"Limit":"10"}`}, codeInvalidParameter},
			{"negative number", rawReq{action: "ListKeys", body: `{"Limit":-1}`}, codeInvalidParameter},
			{"fractional number", rawReq{action: "ListKeys", body: `{"Limit":1.5}`}, codeInvalidParameter},
			{"body is an array", rawReq{action: "ListKeys", body: `[]`}, codeInvalidParameter},
			{"body is not JSON", rawReq{action: "ListKeys", body: `Limit=1`}, codeInvalidParameter},
			{"missing parameter", rawReq{action: "DescribeKey", body: `{}`}, codeMissingParameter},
			{"null is absent", rawReq{action: "DescribeKey", body: `{"KeyId":null}`}, codeMissingParameter},
			{"empty body is {}", rawReq{action: "GetRegions"}, ""},
			{"unsupported region", rawReq{action: "GetRegions", region: "xx-nowhere", body: "{}"}, codeUnsupportedRegion},
			{"text/plain", rawReq{action: "GetRegions", contentType: "text/plain", body: "{}"}, codeInvalidParameter},
			{"json with charset", rawReq{action: "GetRegions", contentType: "application/json; charset=utf-8", body: "{}"}, ""},
			{"too large", rawReq{action: "Encrypt", body: `{"Plaintext":"` + strings.Repeat("A", 1<<20) + `"}`}, codeRequestSizeLimitExceeded},
			{"GET unknown parameter", rawReq{method: "GET", action: "ListKeys", query: "Limits=1"}, codeUnknownParameter},
			{"GET list gap", rawReq{method: "GET", action: "DescribeKeys", query: "KeyIds.1=00000000-0000-4000-8000-000000000000"}, codeInvalidParameter},
			{"GET list with leading zero", rawReq{method: "GET", action: "DescribeKeys", query: "KeyIds.00=00000000-0000-4000-8000-000000000000"}, codeInvalidParameter},
			{"GET bad number", rawReq{method: "GET", action: "ListKeys", query: "Limit=ten"}, codeInvalidParameter},
			{"GET common params ignored", rawReq{method: "GET", action: "ListKeys", query: "Action=ListKeys&Limit=1&Version=2019-01-18"}, ""},
			{"GET bad escape", rawReq{method: "GET", action: "ListKeys", query: "Limit=%zz"}, codeInvalidParameter},
			{"GET description with a raw C1 byte", rawReq{method: "GET", action: "UpdateKeyDescription", query: "Description=%9B2J&KeyId=00000000-0000-4000-8000-000000000000"}, codeInvalidParameterValue},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if tc.req.version == "-" {
					tc.req.version = ""
				}
				resp := e.do(tc.req)
				resp.wantCode(t, tc.code)
				if resp.contentType != "application/json" {
					t.Fatalf("Content-Type %q", resp.contentType)
				}
			})
		}
		t.Run("out of scope actions through the SDK", func(t *testing.T) {
			_, err := e.kms().CreateWhiteBoxKey(&kms.CreateWhiteBoxKeyRequest{BaseRequest: kms.NewCreateWhiteBoxKeyRequest().BaseRequest, Alias: sp("wb"), Algorithm: sp("AES_256")})
			wantCode(t, err, codeInvalidAction)
			r := kms.NewPostQuantumCryptoEncryptRequest()
			r.KeyId, r.PlainText = sp("00000000-0000-4000-8000-000000000000"), sp("aGk=")
			_, err = e.kms().PostQuantumCryptoEncrypt(r)
			wantCode(t, err, codeInvalidAction)
		})
		t.Run("not found path", func(t *testing.T) {
			resp := e.do(rawReq{action: "GetRegions", path: "/v2"})
			if resp.status != http.StatusNotFound {
				t.Fatalf("status %d", resp.status)
			}
		})
		t.Run("method not allowed", func(t *testing.T) {
			resp := e.do(rawReq{action: "GetRegions", method: "PUT"})
			if resp.status != http.StatusMethodNotAllowed {
				t.Fatalf("status %d", resp.status)
			}
		})
		t.Run("missing region uses the default", func(t *testing.T) {
			resp := e.do(rawReq{action: "CreateKey", region: "-", body: `{"Alias":"no-region"}`})
			resp.wantCode(t, "")
			id, _ := resp.response["KeyId"].(string)
			if got := *e.describe(id).Alias; got != "no-region" {
				t.Fatalf("alias %q", got)
			}
		})
		t.Run("plain JSON integers and booleans", func(t *testing.T) {
			id := e.createKey("json-types")
			resp := e.do(rawReq{action: "DescribeKey", body: `{"KeyId":"` + id + `"}`})
			resp.wantCode(t, "")
			md := resp.response["KeyMetadata"].(map[string]any)
			for _, f := range []string{"CreateTime", "NextRotateTime", "DeletionDate", "CreatorUin", "Type", "ValidTo"} {
				n, ok := md[f].(json.Number)
				if !ok || strings.ContainsAny(n.String(), ".eE\"") {
					t.Fatalf("%s = %#v is not a plain integer", f, md[f])
				}
			}
			if _, ok := md["KeyRotationEnabled"].(bool); !ok {
				t.Fatalf("KeyRotationEnabled = %#v", md["KeyRotationEnabled"])
			}
		})
		t.Run("fresh request ids", func(t *testing.T) {
			seen := map[string]bool{}
			for range 20 {
				resp := e.do(rawReq{action: "GetRegions", body: "{}"})
				if seen[resp.requestID] {
					t.Fatalf("RequestId %s repeated", resp.requestID)
				}
				seen[resp.requestID] = true
			}
			resp := e.do(rawReq{action: "Nope", body: "{}"})
			if seen[resp.requestID] || resp.requestID == "" {
				t.Fatal("error reply without a fresh RequestId")
			}
		})
	})
}

func TestLanguage(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		tests := []struct {
			lang, want string
		}{
			{"", "在该地域不存在"},
			{"zh-CN", "在该地域不存在"},
			{"en-US", "does not exist in this region"},
		}
		for _, tc := range tests {
			t.Run("raw "+tc.lang, func(t *testing.T) {
				resp := e.do(rawReq{action: "DescribeKey", language: tc.lang, body: `{"KeyId":"00000000-0000-4000-8000-000000000000"}`})
				resp.wantCode(t, codeCmkNotFound)
				if !strings.Contains(resp.message, tc.want) {
					t.Fatalf("message %q does not contain %q", resp.message, tc.want)
				}
			})
		}
		t.Run("SDK en-US", func(t *testing.T) {
			c := e.kms(func(p *profile.ClientProfile) { p.Language = "en-US" })
			r := kms.NewDescribeKeyRequest()
			r.KeyId = sp("00000000-0000-4000-8000-000000000000")
			_, err := c.DescribeKey(r)
			if err == nil || !strings.Contains(err.Error(), "does not exist in this region") {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

// TestGETMode drives the SDK with HttpProfile.ReqMethod = "GET": parameters are
// flattened into the query string, including nested lists.
func TestGETMode(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		get := e.kms(func(p *profile.ClientProfile) { p.HttpProfile.ReqMethod = "GET" })
		cr := kms.NewCreateKeyRequest()
		cr.Alias, cr.Description = sp("get-key"), sp("a b+c&d=e/ü")
		cr.Tags = []*kms.Tag{{TagKey: sp("env"), TagValue: sp("prod")}, {TagKey: sp("team"), TagValue: sp("x y")}}
		resp, err := get.CreateKey(cr)
		must(t, err)
		id := *resp.Response.KeyId
		if md := e.describe(id); *md.Description != "a b+c&d=e/ü" {
			t.Fatalf("description %q", *md.Description)
		}
		other := e.createKey("get-other")

		dk := kms.NewDescribeKeysRequest()
		dk.KeyIds = []*string{sp(id), sp(other)}
		dresp, err := get.DescribeKeys(dk)
		must(t, err)
		if len(dresp.Response.KeyMetadatas) != 2 || *dresp.Response.KeyMetadatas[1].KeyId != other {
			t.Fatalf("DescribeKeys %s", dresp.ToJsonString())
		}

		ld := kms.NewListKeyDetailRequest()
		ld.TagFilters = []*kms.TagFilter{{TagKey: sp("team"), TagValue: []*string{sp("nope"), sp("x y")}}}
		ld.Limit = up(5)
		lresp, err := get.ListKeyDetail(ld)
		must(t, err)
		if *lresp.Response.TotalCount != 1 || *lresp.Response.KeyMetadatas[0].KeyId != id {
			t.Fatalf("ListKeyDetail %s", lresp.ToJsonString())
		}

		ec := `{"path":"/a b/c+d=e","名":"值"}`
		en := kms.NewEncryptRequest()
		en.KeyId, en.Plaintext, en.EncryptionContext = sp(id), sp(b64([]byte("via GET"))), sp(ec)
		eresp, err := get.Encrypt(en)
		must(t, err)
		de := kms.NewDecryptRequest()
		de.CiphertextBlob, de.EncryptionContext = eresp.Response.CiphertextBlob, sp(ec)
		dresp2, err := get.Decrypt(de)
		must(t, err)
		if string(unb64(t, *dresp2.Response.Plaintext)) != "via GET" {
			t.Fatal("GET round trip failed")
		}
		de.EncryptionContext = sp(`{"path":"/a b/c+d=e"}`)
		_, err = get.Decrypt(de)
		wantCode(t, err, codeInvalidCiphertext)
	})
}

func TestInformationalActions(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		c := e.kms()
		st, err := c.GetServiceStatus(kms.NewGetServiceStatusRequest())
		must(t, err)
		if !*st.Response.ServiceEnabled || *st.Response.InvalidType != 1 || *st.Response.UserLevel != 0 {
			t.Fatalf("GetServiceStatus %s", st.ToJsonString())
		}
		// The fields of SDK v1.3.152: the key count of the region and its quota; no
		// HSM clusters, key sync, hosted data keys or QPS limits.
		r := st.Response
		if *r.CmkUserCount != 0 || *r.CmkLimit != DefaultCmkLimit || r.ExclusiveHSMList == nil || len(r.ExclusiveHSMList) != 0 ||
			*r.IsAllowedDataKeyHosted || *r.IsAllowedSync || len(r.SyncTaskList) != 0 || *r.QpsLimit != 0 || len(r.RegionsQps) != 0 {
			t.Fatalf("GetServiceStatus %s", st.ToJsonString())
		}
		e.createKey("counted")
		e.createKey("counted-2")
		st, err = c.GetServiceStatus(kms.NewGetServiceStatusRequest())
		must(t, err)
		if *st.Response.CmkUserCount != 2 {
			t.Fatalf("CmkUserCount after two CreateKey = %d", *st.Response.CmkUserCount)
		}
		if st, err = e.kmsRegion("ap-shanghai").GetServiceStatus(kms.NewGetServiceStatusRequest()); err != nil || *st.Response.CmkUserCount != 0 {
			t.Fatalf("CmkUserCount of another region: %v %v", st, err)
		}
		rg, err := c.GetRegions(kms.NewGetRegionsRequest())
		must(t, err)
		var regions []string
		for _, r := range rg.Response.Regions {
			regions = append(regions, *r)
		}
		if strings.Join(regions, ",") != strings.Join(DefaultRegions, ",") {
			t.Fatalf("GetRegions %v", regions)
		}
		al, err := c.ListAlgorithms(kms.NewListAlgorithmsRequest())
		must(t, err)
		got := map[string]string{}
		for _, list := range [][]*kms.AlgorithmInfo{al.Response.SymmetricAlgorithms, al.Response.AsymmetricAlgorithms, al.Response.AsymmetricSignVerifyAlgorithms} {
			for _, a := range list {
				got[*a.KeyUsage] = *a.Algorithm
			}
		}
		want := map[string]string{
			usageEncryptDecrypt: "AES_256", usageRSADecrypt: "RSA_2048", usageSM2Decrypt: "SM2",
			usageRSASign: "RSA_2048", usageECCSign: "ECC", usageSM2Sign: "SM2", usageECDSA384Sign: "ECDSA384_SHA384",
		}
		if len(got) != len(want) {
			t.Fatalf("ListAlgorithms %v", got)
		}
		for u, a := range want {
			if got[u] != a {
				t.Fatalf("ListAlgorithms %s = %q, want %q", u, got[u], a)
			}
		}
	})
}

func TestCustomRegions(t *testing.T) {
	e := newEnv(t, "inproc", func(o *Options) { o.Regions = []string{"ap-shanghai", "ap-beijing"} })
	rg, err := e.kmsRegion("ap-beijing").GetRegions(kms.NewGetRegionsRequest())
	must(t, err)
	if len(rg.Response.Regions) != 2 || *rg.Response.Regions[0] != "ap-shanghai" {
		t.Fatalf("GetRegions %s", rg.ToJsonString())
	}
	_, err = e.kmsRegion("ap-guangzhou").GetRegions(kms.NewGetRegionsRequest())
	wantCode(t, err, codeUnsupportedRegion)
	resp := e.do(rawReq{action: "CreateKey", region: "-", body: `{"Alias":"default-region"}`})
	resp.wantCode(t, "")
	d := kms.NewDescribeKeyRequest()
	d.KeyId = sp(resp.response["KeyId"].(string))
	_, err = e.kmsRegion("ap-shanghai").DescribeKey(d)
	must(t, err)
	if _, err := Open(Options{DataDir: t.TempDir(), MasterKey: MasterKeyFile, Region: "ap-guangzhou", Regions: []string{"ap-shanghai"}}); err == nil {
		t.Fatal("Open accepted a Region outside Regions")
	}
}

func TestSTSAssumeRole(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		stsc := e.stsWith(common.NewCredential(e.cred.SecretID, e.cred.SecretKey))
		assume := func(c *sts.Client, dur *uint64) (*sts.AssumeRoleResponseParams, error) {
			r := sts.NewAssumeRoleRequest()
			r.RoleArn, r.RoleSessionName, r.DurationSeconds = sp("qcs::cam::uin/100000000001:roleName/desk"), sp("session-1"), dur
			resp, err := c.AssumeRole(r)
			if err != nil {
				return nil, err
			}
			return resp.Response, nil
		}
		t.Run("default duration", func(t *testing.T) {
			r, err := assume(stsc, nil)
			must(t, err)
			want := e.clock.Now().Unix() + 7200
			exp, err := time.Parse(time.RFC3339, *r.Expiration)
			must(t, err)
			if *r.ExpiredTime != want || exp.Unix() != want || !strings.HasSuffix(*r.Expiration, "Z") ||
				*r.Credentials.TmpSecretId == "" || *r.Credentials.TmpSecretKey == "" || *r.Credentials.Token == "" {
				t.Fatalf("AssumeRole %+v", r)
			}
		})
		for _, d := range []uint64{899, 43201} {
			_, err := assume(stsc, up(d))
			wantCode(t, err, codeSTSOverTime)
		}
		t.Run("missing session name", func(t *testing.T) {
			r := sts.NewAssumeRoleRequest()
			r.RoleArn = sp("qcs::cam::uin/1:roleName/x")
			_, err := stsc.AssumeRole(r)
			wantCode(t, err, codeMissingParameter)
		})

		r, err := assume(stsc, up(900))
		must(t, err)
		tmp := common.NewTokenCredential(*r.Credentials.TmpSecretId, *r.Credentials.TmpSecretKey, *r.Credentials.Token)
		kc := e.kmsWith(tmp, "ap-guangzhou")
		id := e.createKey("sts-key")
		en := kms.NewEncryptRequest()
		en.KeyId, en.Plaintext = sp(id), sp(b64([]byte("temp")))
		_, err = kc.Encrypt(en)
		must(t, err)

		_, err = e.kmsWith(common.NewCredential(*r.Credentials.TmpSecretId, *r.Credentials.TmpSecretKey), "ap-guangzhou").Encrypt(en)
		wantCode(t, err, codeTokenFailure)
		_, err = e.kmsWith(common.NewTokenCredential(*r.Credentials.TmpSecretId, *r.Credentials.TmpSecretKey, "forged"), "ap-guangzhou").Encrypt(en)
		wantCode(t, err, codeTokenFailure)
		_, err = assume(e.stsWith(tmp), nil)
		wantCode(t, err, codeSTSTempKeyNotAllow)

		e.clock.Advance(899 * time.Second)
		_, err = kc.Encrypt(en)
		must(t, err)
		// Expired: the real service's AuthFailure.TokenFailure and its message (as the
		// Tencent Cloud SDKs report it for a timed-out STS token), in English and Chinese.
		e.clock.Advance(time.Second)
		english := e.kmsWith(tmp, "ap-guangzhou", func(p *profile.ClientProfile) { p.Language = "en-US" })
		_, err = english.Encrypt(en)
		wantExpiredToken(t, err, "Token verification failed. Please check your Token is correct.")
		_, err = kc.Encrypt(en) // the SDK's default language, zh-CN
		wantExpiredToken(t, err, "Token 校验失败，请检查 Token 是否正确。")
		// The same once the server forgot the expired credential (the next one issued
		// drops it), and the permanent key pair that assumed the role still works.
		_, err = assume(stsc, up(900))
		must(t, err)
		_, err = english.Encrypt(en)
		wantExpiredToken(t, err, "Token verification failed. Please check your Token is correct.")
		_, err = e.kms().Encrypt(en)
		must(t, err)
	})
}

func TestIssueTemporaryCredential(t *testing.T) {
	e := newEnv(t, "inproc")
	if _, err := e.srv.IssueTemporaryCredential(13 * time.Hour); err == nil {
		t.Fatal("accepted a 13 h lifetime")
	}
	tc, err := e.srv.IssueTemporaryCredential(0)
	must(t, err)
	if !tc.Expiry.Equal(e.clock.Now().Add(2 * time.Hour)) {
		t.Fatalf("default expiry %v", tc.Expiry)
	}
	c := e.kmsWith(common.NewTokenCredential(tc.SecretID, tc.SecretKey, tc.Token), "ap-guangzhou")
	_, err = c.GetRegions(kms.NewGetRegionsRequest())
	must(t, err)
	e.clock.Advance(2 * time.Hour)
	_, err = c.GetRegions(kms.NewGetRegionsRequest())
	wantCode(t, err, codeTokenFailure)
	// Expired temporary credentials are dropped when the next one is issued and on
	// restart, and they are never listed.
	list, err := e.srv.ListCredentials()
	must(t, err)
	for _, ci := range list {
		if ci.SecretID == tc.SecretID {
			t.Fatal("temporary credential listed")
		}
	}
}

// TestSignatureV1 drives the SDK with the legacy HmacSHA1/HmacSHA256 signature
// (what tccli uses): all parameters in the form body or the query string.
func TestSignatureV1(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		for _, tc := range []struct{ method, sign string }{
			{"POST", "HmacSHA256"}, {"POST", "HmacSHA1"}, {"GET", "HmacSHA256"},
		} {
			t.Run(tc.method+" "+tc.sign, func(t *testing.T) {
				c := e.kms(func(p *profile.ClientProfile) {
					p.SignMethod = tc.sign
					p.HttpProfile.ReqMethod = tc.method
					p.Language = "en-US"
				})
				cr := kms.NewCreateKeyRequest()
				cr.Alias = sp("v1-" + tc.method + "-" + tc.sign)
				cr.Tags = []*kms.Tag{{TagKey: sp("sig"), TagValue: sp("v 1&=")}}
				resp, err := c.CreateKey(cr)
				must(t, err)
				en := kms.NewEncryptRequest()
				en.KeyId, en.Plaintext, en.EncryptionContext = resp.Response.KeyId, sp(b64([]byte("legacy"))), sp(`{"a":"b c"}`)
				eresp, err := c.Encrypt(en)
				must(t, err)
				pt, _, err := e.decrypt(*eresp.Response.CiphertextBlob, `{"a":"b c"}`)
				must(t, err)
				if string(pt) != "legacy" {
					t.Fatalf("plaintext %q", pt)
				}
				d := kms.NewDescribeKeyRequest()
				d.KeyId = sp("00000000-0000-4000-8000-000000000000")
				_, err = c.DescribeKey(d)
				if sdkCode(t, err) != codeCmkNotFound || !strings.Contains(err.Error(), "does not exist") {
					t.Fatalf("v1 error %v (Language not honoured?)", err)
				}
				bad := e.kmsWith(common.NewCredential(e.cred.SecretID, "wrong"), "ap-guangzhou", func(p *profile.ClientProfile) {
					p.SignMethod = tc.sign
					p.HttpProfile.ReqMethod = tc.method
				})
				_, err = bad.GetRegions(kms.NewGetRegionsRequest())
				wantCode(t, err, codeSignatureFailure)
			})
		}
		t.Run("hand-crafted", func(t *testing.T) {
			resp := e.do(rawReq{authz: "-", contentType: "application/x-www-form-urlencoded",
				body: "Action=GetRegions&Version=2019-01-18&SecretId=" + e.cred.SecretID + "&Timestamp=1&Nonce=1&Signature=abc"})
			resp.wantCode(t, codeSignatureExpire)
			resp = e.do(rawReq{authz: "-", contentType: "application/x-www-form-urlencoded",
				body: "Action=GetRegions&Version=2019-01-18&Signature=abc"})
			resp.wantCode(t, codeMissingParameter)
			resp = e.do(rawReq{authz: "-", contentType: "application/x-www-form-urlencoded",
				body: "Action=GetRegions&Version=2019-01-18&SecretId=" + e.cred.SecretID + "&SignatureMethod=MD5&Timestamp=1&Signature=abc"})
			resp.wantCode(t, codeInvalidParameter)
		})
	})
}

// wantExpiredToken checks the answer to an expired temporary credential: the code the
// SDK's callers match on, and the real service's message.
func wantExpiredToken(t *testing.T, err error, msg string) {
	t.Helper()
	wantCode(t, err, codeTokenFailure)
	var se *tcerr.TencentCloudSDKError
	if errors.As(err, &se) && se.GetMessage() != msg {
		t.Fatalf("message %q, want %q", se.GetMessage(), msg)
	}
}
