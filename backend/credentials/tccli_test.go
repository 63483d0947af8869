package credentials

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// installTCCLIFixtures copies testdata/tccli into <home>/.tccli.
func installTCCLIFixtures(t *testing.T, home string) string {
	t.Helper()
	dst := filepath.Join(home, ".tccli")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("testdata/tccli")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata/tccli", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestTCCLIProfiles(t *testing.T) {
	e := newTestEnv(t)
	got, err := e.store.TCCLIProfiles()
	if err != nil || len(got) != 0 {
		t.Fatalf("without ~/.tccli: %v, %v", got, err)
	}
	dir := installTCCLIFixtures(t, e.home)
	if err := os.Mkdir(filepath.Join(dir, "dir.credential"), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err = e.store.TCCLIProfiles()
	if err != nil {
		t.Fatal(err)
	}
	want := "badendpoint,badregion,broken,cvm,default,finance,legacy,role,skipped,temp"
	if strings.Join(got, ",") != want {
		t.Fatalf("TCCLIProfiles = %v, want %s", got, want)
	}
}

func TestImportTCCLI(t *testing.T) {
	e := newTestEnv(t)
	dir := installTCCLIFixtures(t, e.home)
	ctx := context.Background()

	p, err := e.store.ImportTCCLI("default", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "default" || p.Kind != KindTencent || p.Region != "ap-chengdu" || p.Language != "en-US" ||
		p.Endpoint != "kms.ap-chengdu.tencentcloudapi.com" || p.SecretStorage != StorageKeychain || p.SecretIDMasked != "AKID****MPLE" {
		t.Fatalf("imported profile = %+v", p)
	}
	c, err := e.store.Credentials(ctx, "default")
	if err != nil || c.SecretID != testSecretID || c.SecretKey != testSecretKey {
		t.Fatalf("Credentials = %v, %v", c, err)
	}
	// The plaintext file is left alone until the user asks.
	if _, err := os.Stat(filepath.Join(dir, "default.credential")); err != nil {
		t.Fatalf("ImportTCCLI removed the tccli file: %v", err)
	}
	assertNoSecrets(t, "profiles file", e.configBytes(t), testSecretKey, testSecretID)

	// Never overwrite: importing again under the same name fails.
	_, err = e.store.ImportTCCLI("default", "")
	wantCode(t, err, CodeProfileExists)
	if p2, err := e.store.ImportTCCLI("default", "default-copy"); err != nil || p2.Name != "default-copy" {
		t.Fatalf("import under another name = %+v, %v", p2, err)
	}

	t.Run("legacy top-level region", func(t *testing.T) {
		p, err := e.store.ImportTCCLI("legacy", "")
		if err != nil || p.Region != "ap-hongkong" || p.Endpoint != DefaultEndpoint || p.Language != LanguageZhCN {
			t.Fatalf("= %+v, %v", p, err)
		}
	})
	t.Run("financial zone without endpoint", func(t *testing.T) {
		p, err := e.store.ImportTCCLI("finance", "")
		if err != nil || p.Region != "ap-shenzhen-fsi" || p.Endpoint != "kms.ap-shenzhen-fsi.tencentcloudapi.com" {
			t.Fatalf("= %+v, %v", p, err)
		}
	})
	t.Run("endpoint with user info", func(t *testing.T) {
		_, err := e.store.ImportTCCLI("badendpoint", "")
		wantCode(t, err, CodeTCCLIInvalid)
		if strings.Contains(err.Error(), "S3cretPw") || !strings.Contains(err.Error(), "user info") {
			t.Fatalf("error %q shows the password or hides the reason", err)
		}
	})
	t.Run("role", func(t *testing.T) {
		p, err := e.store.ImportTCCLI("role", "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Temporary == nil || p.Temporary.RoleArn != "qcs::cam::uin/100000000001:roleName/kms-operator" ||
			p.Temporary.RoleSessionName != "tccli-session" || p.Temporary.HasCredentials || !p.HasSecret {
			t.Fatalf("= %+v / %+v", p, p.Temporary)
		}
		fa := &fakeAssumer{clock: e.clock}
		e.store.assume = fa.assume
		c, err := e.store.Credentials(ctx, "role")
		if err != nil || c.Token == "" || fa.n.Load() != 1 || fa.last().SessionName != "tccli-session" || fa.last().Base.SecretKey != testSecretKey {
			t.Fatalf("first Credentials should assume the role: %v, %v, %d", c, err, fa.n.Load())
		}
	})
	t.Run("token", func(t *testing.T) {
		p, err := e.store.ImportTCCLI("temp", "")
		if err != nil {
			t.Fatal(err)
		}
		if p.HasSecret || p.Temporary == nil || !p.Temporary.HasCredentials || !p.Temporary.Expiry.IsZero() {
			t.Fatalf("= %+v / %+v", p, p.Temporary)
		}
		c, err := e.store.Credentials(ctx, "temp")
		if err != nil || c.Token != "temp-session-token-from-tccli" || c.SecretID != "AKIDtemporarytemporarytemporary00001" {
			t.Fatalf("Credentials = %v, %v", c, err)
		}
	})
	for _, tt := range []struct{ name, tccli, as, code string }{
		{"cvm role", "cvm", "", CodeTCCLIUnsupported},
		{"None placeholders", "skipped", "", CodeTCCLIInvalid},
		{"broken JSON", "broken", "", CodeTCCLIInvalid},
		{"bad region", "badregion", "", CodeTCCLIInvalid},
		{"no credential file", "onlyconfigure", "", CodeTCCLINotFound},
		{"missing", "nope", "", CodeTCCLINotFound},
		{"traversal", "../../etc/passwd", "x", CodeTCCLINotFound},
		{"dotdot", "..", "x", CodeTCCLINotFound},
		{"backslash", `a\b`, "x", CodeTCCLINotFound},
		{"invalid target name", "default", "has space", CodeProfileInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.store.List())
			_, err := e.store.ImportTCCLI(tt.tccli, tt.as)
			wantCode(t, err, tt.code)
			if len(e.store.List()) != before {
				t.Fatal("failed import left a profile behind")
			}
		})
	}
}

func TestDeleteTCCLICredentialFile(t *testing.T) {
	e := newTestEnv(t)
	dir := installTCCLIFixtures(t, e.home)
	if _, err := e.store.ImportTCCLI("default", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteTCCLICredentialFile("default"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "default.credential")); !os.IsNotExist(err) {
		t.Fatalf("credential file still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "default.configure")); err != nil {
		t.Fatalf("configure file (no secrets) must stay: %v", err)
	}
	// Other tccli profiles are untouched.
	if _, err := os.Stat(filepath.Join(dir, "role.credential")); err != nil {
		t.Fatal(err)
	}
	// The imported secret survives in the keychain.
	if c, err := e.store.Credentials(context.Background(), "default"); err != nil || c.SecretKey != testSecretKey {
		t.Fatalf("Credentials after deleting the tccli file = %v, %v", c, err)
	}
	wantCode(t, e.store.DeleteTCCLICredentialFile("default"), CodeTCCLINotFound)
	wantCode(t, e.store.DeleteTCCLICredentialFile("../default"), CodeTCCLINotFound)
}

// parseCase is one input of a parser test: the result wanted, or the error
// code when code is set.
type parseCase[T comparable] struct {
	name, in string
	want     T
	code     string
}

func runParseCases[T comparable](t *testing.T, parse func([]byte) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse([]byte(tt.in))
			if tt.code != "" {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseTCCLICredential(t *testing.T) {
	runParseCases(t, parseTCCLICredential, []parseCase[tccliCredential]{
		{"plain", `{"secretId":"id","secretKey":"key"}`, tccliCredential{SecretID: "id", SecretKey: "key"}, ""},
		{"token and type", `{"secretId":"id","secretKey":"key","token":"t","type":"default"}`, tccliCredential{SecretID: "id", SecretKey: "key", Token: "t", Type: "default"}, ""},
		{"role", `{"secretId":"id","secretKey":"key","role-arn":"arn","role-session-name":"s"}`, tccliCredential{SecretID: "id", SecretKey: "key", RoleArn: "arn", RoleSessionName: "s"}, ""},
		{"whitespace trimmed", `{"secretId":" id ","secretKey":"key\n"}`, tccliCredential{SecretID: "id", SecretKey: "key"}, ""},
		{"extra keys ignored", `{"secretId":"id","secretKey":"key","x":[1,2]}`, tccliCredential{SecretID: "id", SecretKey: "key"}, ""},
		{"null token", `{"secretId":"id","secretKey":"key","token":null}`, tccliCredential{SecretID: "id", SecretKey: "key"}, ""},
		{"oauth", `{"type":"oauth"}`, tccliCredential{}, CodeTCCLIUnsupported},
		{"sso", `{"type":"sso","secretId":"id","secretKey":"key"}`, tccliCredential{}, CodeTCCLIUnsupported},
		{"None", `{"secretId":"None","secretKey":"key"}`, tccliCredential{}, CodeTCCLIInvalid},
		{"number", `{"secretId":1,"secretKey":"key"}`, tccliCredential{}, CodeTCCLIInvalid},
		{"array", `[]`, tccliCredential{}, CodeTCCLIInvalid},
		{"null", `null`, tccliCredential{}, CodeTCCLIInvalid},
		{"empty", ``, tccliCredential{}, CodeTCCLIInvalid},
		{"too large", `{"secretId":"id","secretKey":"key"}` + strings.Repeat(" ", maxTCCLIFileBytes), tccliCredential{}, CodeTCCLIInvalid},
	})
}

func TestParseTCCLIConfigure(t *testing.T) {
	runParseCases(t, parseTCCLIConfigure, []parseCase[tccliConfigure]{
		{"current", `{"_sys_param":{"region":"ap-beijing","language":"en-US","output":"json"},"kms":{"endpoint":"kms.tencentcloudapi.com","version":"2019-01-18"}}`,
			tccliConfigure{Region: "ap-beijing", Language: "en-US", KMSEndpoint: "kms.tencentcloudapi.com"}, ""},
		{"legacy top level", `{"region":"ap-tokyo","output":"json"}`, tccliConfigure{Region: "ap-tokyo"}, ""},
		{"no kms section", `{"_sys_param":{"region":"ap-seoul"},"cvm":{"endpoint":"cvm.tencentcloudapi.com"}}`, tccliConfigure{Region: "ap-seoul"}, ""},
		{"null sections", `{"_sys_param":null,"region":"ap-seoul","kms":null}`, tccliConfigure{Region: "ap-seoul"}, ""},
		{"arrayCount number ok", `{"_sys_param":{"arrayCount":10,"region":"ap-seoul"}}`, tccliConfigure{Region: "ap-seoul"}, ""},
		{"sys_param not object", `{"_sys_param":"x"}`, tccliConfigure{}, CodeTCCLIInvalid},
		{"kms not object", `{"kms":"kms.tencentcloudapi.com"}`, tccliConfigure{}, CodeTCCLIInvalid},
		{"kms endpoint number", `{"kms":{"endpoint":1}}`, tccliConfigure{}, CodeTCCLIInvalid},
		{"region number", `{"_sys_param":{"region":5}}`, tccliConfigure{}, CodeTCCLIInvalid},
		{"not JSON", `region=ap-guangzhou`, tccliConfigure{}, CodeTCCLIInvalid},
	})
}

func TestImportEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		code  string
		check func(t *testing.T, e *testEnv, p Profile)
	}{
		{"long-term keys", map[string]string{EnvSecretID: testSecretID, EnvSecretKey: testSecretKey, EnvRegion: "ap-singapore"}, "",
			func(t *testing.T, e *testEnv, p Profile) {
				if p.Region != "ap-singapore" || p.SecretStorage != StorageKeychain || p.Temporary != nil {
					t.Fatalf("= %+v", p)
				}
				c, err := e.store.Credentials(context.Background(), p.Name)
				if err != nil || c.SecretKey != testSecretKey || c.Token != "" {
					t.Fatalf("Credentials = %v, %v", c, err)
				}
			}},
		{"session token", map[string]string{EnvSecretID: testSecretID, EnvSecretKey: testSecretKey, EnvSessionToken: "env-token"}, "",
			func(t *testing.T, e *testEnv, p Profile) {
				if p.Region != DefaultRegion || p.HasSecret || p.Temporary == nil || !p.Temporary.HasCredentials {
					t.Fatalf("= %+v", p)
				}
				c, err := e.store.Credentials(context.Background(), p.Name)
				if err != nil || c.Token != "env-token" {
					t.Fatalf("Credentials = %v, %v", c, err)
				}
				assertNoSecrets(t, "profiles file", e.configBytes(t), "env-token", testSecretKey)
			}},
		{"missing key", map[string]string{EnvSecretID: testSecretID}, CodeEnvMissing, nil},
		{"nothing set", map[string]string{}, CodeEnvMissing, nil},
		{"bad region", map[string]string{EnvSecretID: testSecretID, EnvSecretKey: testSecretKey, EnvRegion: "moon-1!"}, CodeProfileInvalid, nil},
		{"bad key", map[string]string{EnvSecretID: testSecretID, EnvSecretKey: "has space"}, CodeSecretInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.env = tt.env
			p, err := e.store.ImportEnv("from-env")
			if tt.code != "" {
				wantCode(t, err, tt.code)
				if len(e.store.List()) != 1 {
					t.Fatal("failed import left a profile")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, e, p)
			_, err = e.store.ImportEnv("from-env")
			wantCode(t, err, CodeProfileExists)
		})
	}
}
