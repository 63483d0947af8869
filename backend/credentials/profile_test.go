package credentials

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "local", "work-2", "my_profile.prod", strings.Repeat("x", 64), "A1", ".hidden"} {
		t.Run("ok "+ok, func(t *testing.T) {
			if err := ValidateName(ok); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, bad := range []string{"", ".", "..", strings.Repeat("x", 65), "a b", "a/b", `a\b`, "a#sts", "中文", "a:b", "a\x00"} {
		t.Run(fmt.Sprintf("bad %q", bad), func(t *testing.T) {
			wantCode(t, ValidateName(bad), CodeProfileInvalid)
		})
	}
}

func TestValidateRegionAndLanguage(t *testing.T) {
	for _, r := range []string{"ap-guangzhou", "ap-shanghai-fsi", "na-siliconvalley", "eu-frankfurt", "ap-guangzhou-open"} {
		if err := ValidateRegion(r); err != nil {
			t.Errorf("ValidateRegion(%q): %v", r, err)
		}
	}
	for _, r := range []string{"", "guangzhou", "AP-GUANGZHOU", "ap_guangzhou", "ap-", "ap-guangzhou ", "a-b"} {
		if err := ValidateRegion(r); Code(err) != CodeProfileInvalid {
			t.Errorf("ValidateRegion(%q) = %v, want Profile.Invalid", r, err)
		}
	}
	for _, l := range []string{"zh-CN", "en-US"} {
		if err := ValidateLanguage(l); err != nil {
			t.Errorf("ValidateLanguage(%q): %v", l, err)
		}
	}
	for _, l := range []string{"", "zh-cn", "en", "fr-FR"} {
		if err := ValidateLanguage(l); Code(err) != CodeProfileInvalid {
			t.Errorf("ValidateLanguage(%q) = %v", l, err)
		}
	}
	for _, r := range KnownRegions() {
		if err := ValidateRegion(r.ID); err != nil || r.NameZH == "" || r.NameEN == "" {
			t.Errorf("known region %+v invalid: %v", r, err)
		}
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in     string
		want   Endpoint
		stored string
		ok     bool
	}{
		{"kms.tencentcloudapi.com", Endpoint{"HTTPS", "kms.tencentcloudapi.com"}, "kms.tencentcloudapi.com", true},
		{"KMS.ap-guangzhou.TencentCloudAPI.com", Endpoint{"HTTPS", "kms.ap-guangzhou.tencentcloudapi.com"}, "kms.ap-guangzhou.tencentcloudapi.com", true},
		{"https://kms.tencentcloudapi.com/", Endpoint{"HTTPS", "kms.tencentcloudapi.com"}, "kms.tencentcloudapi.com", true},
		{"http://127.0.0.1:9000", Endpoint{"HTTP", "127.0.0.1:9000"}, "http://127.0.0.1:9000", true},
		{"http://localhost:9000", Endpoint{"HTTP", "localhost:9000"}, "http://localhost:9000", true},
		{"http://[::1]:9000", Endpoint{"HTTP", "[::1]:9000"}, "http://[::1]:9000", true},
		{"http://kms.corp.example:8080/kms", Endpoint{"HTTP", "kms.corp.example:8080/kms"}, "http://kms.corp.example:8080/kms", true},
		{"https://kms.corp.example:8443", Endpoint{"HTTPS", "kms.corp.example:8443"}, "kms.corp.example:8443", true},
		{"http://kms.tencentcloudapi.com", Endpoint{}, "", false},
		{"http://kms.ap-beijing.tencentcloudapi.com:80", Endpoint{}, "", false},
		{"ftp://kms.example", Endpoint{}, "", false},
		{"https://user:pw@kms.example", Endpoint{}, "", false},
		{"https://kms.example/?x=1", Endpoint{}, "", false},
		{"https://kms.example/#frag", Endpoint{}, "", false},
		{"https://kms.example:0", Endpoint{}, "", false},
		{"https://kms.example:70000", Endpoint{}, "", false},
		{"https://kms.example:", Endpoint{}, "", false},
		{"https://", Endpoint{}, "", false},
		{"", Endpoint{}, "", false},
		{"kms .example", Endpoint{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEndpoint(tt.in)
			if !tt.ok {
				wantCode(t, err, CodeProfileInvalid)
				return
			}
			if err != nil || got != tt.want || got.String() != tt.stored {
				t.Fatalf("ParseEndpoint = %+v (%q), %v; want %+v (%q)", got, got.String(), err, tt.want, tt.stored)
			}
		})
	}
	if RegionalEndpoint("ap-nanjing") != "kms.ap-nanjing.tencentcloudapi.com" {
		t.Fatal(RegionalEndpoint("ap-nanjing"))
	}
}

func TestNormalizeDefaults(t *testing.T) {
	p, err := normalize(Profile{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{Name: "x", Kind: KindTencent, Region: DefaultRegion, Endpoint: DefaultEndpoint, TimeoutSeconds: 30, Language: LanguageZhCN}
	if p != (want) {
		t.Fatalf("normalize = %+v, want %+v", p, want)
	}
	p, err = normalize(Profile{Name: "l", Kind: KindLocal, Endpoint: "ignored", SecretIDMasked: "x", HasSecret: true, Temporary: &TempInfo{}})
	if err != nil || p.Endpoint != "" || p.HasSecret || p.SecretIDMasked != "" || p.Temporary != nil {
		t.Fatalf("normalize local = %+v, %v", p, err)
	}
}

func TestMaskSecretID(t *testing.T) {
	tests := map[string]string{
		"":                                     "",
		"AKID":                                 "****",
		"AKID12345678":                         "****",
		"AKID123456789":                        "AKID****6789",
		"AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE": "AKID****MPLE",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			got := MaskSecretID(in)
			if got != want {
				t.Fatalf("MaskSecretID(%q) = %q, want %q", in, got, want)
			}
			if len(in) > 12 && strings.Contains(got, in[4:len(in)-4]) {
				t.Fatal("middle of the id leaked")
			}
		})
	}
}

func TestSecretsAreRedactedInFormatting(t *testing.T) {
	sec := Secret{SecretID: testSecretID, SecretKey: testSecretKey}
	cred := Credentials{SecretID: testSecretID, SecretKey: testSecretKey, Token: "the-token", Expiry: time.Now()}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("creds", "secret", sec, "credentials", cred)
	outputs := map[string]string{
		"%v secret": fmt.Sprintf("%v", sec), "%+v secret": fmt.Sprintf("%+v", sec), "%#v secret": fmt.Sprintf("%#v", sec),
		"%s secret": sec.String(), "%v creds": fmt.Sprintf("%v", cred), "%+v creds": fmt.Sprintf("%+v", cred),
		"%#v creds": fmt.Sprintf("%#v", cred), "slog": logBuf.String(),
		"%v slice": fmt.Sprintf("%v", []Credentials{cred}),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			assertNoSecrets(t, name, []byte(out), testSecretKey, "the-token", testSecretID)
			if !strings.Contains(out, "AKID****MPLE") {
				t.Fatalf("masked id missing from %q", out)
			}
		})
	}
}

func TestRegionName(t *testing.T) {
	if RegionName("ap-guangzhou", LanguageZhCN) != "广州" || RegionName("ap-guangzhou", LanguageEnUS) != "Guangzhou" {
		t.Fatal("ap-guangzhou names wrong")
	}
	if RegionName("xx-unknown", LanguageZhCN) != "xx-unknown" {
		t.Fatal("unknown region should fall back to its ID")
	}
	rs := KnownRegions()
	rs[0].ID = "mutated"
	if KnownRegions()[0].ID != "ap-guangzhou" {
		t.Fatal("KnownRegions returned shared storage")
	}
	for _, id := range []string{"ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-nanjing", "ap-hongkong",
		"ap-singapore", "ap-bangkok", "ap-jakarta", "ap-seoul", "ap-tokyo", "ap-mumbai", "eu-frankfurt", "na-siliconvalley", "na-ashburn", "sa-saopaulo"} {
		if RegionName(id, LanguageEnUS) == id {
			t.Errorf("region %s missing from the offline list", id)
		}
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Code: CodeKeychainLocked, Op: `read keychain item "work"`, Msg: "keyring is locked", Err: rawLocked}
	want := `read keychain item "work": keyring is locked: failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'`
	if e.Error() != want {
		t.Fatalf("Error() = %q", e.Error())
	}
	wrapped := fmt.Errorf("save profile %q: %w", "work", e)
	if Code(wrapped) != CodeKeychainLocked {
		t.Fatalf("Code through wrapping = %q", Code(wrapped))
	}
	if Code(fmt.Errorf("plain")) != "" {
		t.Fatal("Code of a plain error should be empty")
	}
	for code := range hints {
		if !strings.Contains(code, ".") || strings.ToUpper(code[:1]) != code[:1] {
			t.Errorf("code %q is not <Area>.<Reason>", code)
		}
	}
}
