package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
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
		if err := ValidateRegion(r); errcode.Code(err) != CodeProfileInvalid {
			t.Errorf("ValidateRegion(%q) = %v, want Profile.Invalid", r, err)
		}
	}
	for _, l := range []string{"zh-CN", "en-US"} {
		if err := ValidateLanguage(l); err != nil {
			t.Errorf("ValidateLanguage(%q): %v", l, err)
		}
	}
	for _, l := range []string{"", "zh-cn", "en", "fr-FR"} {
		if err := ValidateLanguage(l); errcode.Code(err) != CodeProfileInvalid {
			t.Errorf("ValidateLanguage(%q) = %v", l, err)
		}
	}
	for _, r := range KnownRegions() {
		if err := ValidateRegion(r.ID); err != nil || r.NameZH == "" || r.NameEN == "" {
			t.Errorf("known region %+v invalid: %v", r, err)
		}
	}
}

// TestNormalizeEndpoint checks what a profile stores for an endpoint (package
// endpoint's canonical form) and that a bad one is Profile.Invalid without
// echoing user info. Package endpoint tests the parser itself.
func TestNormalizeEndpoint(t *testing.T) {
	tests := []struct{ region, in, stored string }{
		{"ap-guangzhou", "", DefaultEndpoint},
		{"ap-shanghai-fsi", "", "kms.ap-shanghai-fsi.tencentcloudapi.com"},
		{"ap-shanghai-fsi", "kms.tencentcloudapi.com", "kms.tencentcloudapi.com"},
		{"ap-guangzhou", "KMS.ap-guangzhou.TencentCloudAPI.com", "kms.ap-guangzhou.tencentcloudapi.com"},
		{"ap-guangzhou", "https://kms.tencentcloudapi.com/", "kms.tencentcloudapi.com"},
		{"ap-guangzhou", "http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"ap-guangzhou", "http://[::1]:9000", "http://[::1]:9000"},
		{"ap-guangzhou", "https://gw.example.com/kms/", "https://gw.example.com/kms"},
		{"ap-guangzhou", "kms.corp.example:8443/api/", "https://kms.corp.example:8443/api"},
		{"ap-guangzhou", "http://kms.tencentcloudapi.com", ""},
		{"ap-guangzhou", "https://user:S3cretPw@kms.example", ""},
		{"ap-guangzhou", "https://kms.example/?x=1", ""},
		{"ap-guangzhou", "kms .example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.region+" "+tt.in, func(t *testing.T) {
			p, err := normalize(Profile{Name: "p", Settings: Settings{Region: tt.region, Endpoint: tt.in}})
			if tt.stored == "" {
				wantCode(t, err, CodeProfileInvalid)
				if strings.Contains(err.Error(), "S3cretPw") {
					t.Fatalf("error shows the password: %v", err)
				}
				return
			}
			if err != nil || p.Endpoint != tt.stored {
				t.Fatalf("normalize stored %q, %v; want %q", p.Endpoint, err, tt.stored)
			}
		})
	}
}

// TestDefaultEndpointEveryKnownRegion: every region of the offline list gets an
// endpoint that serves it when the profile names none, and STS at the same place.
func TestDefaultEndpointEveryKnownRegion(t *testing.T) {
	for _, r := range KnownRegions() {
		t.Run(r.ID, func(t *testing.T) {
			p, err := normalize(Profile{Name: "p", Settings: Settings{Region: r.ID}})
			if err != nil {
				t.Fatal(err)
			}
			want, wantSTS := DefaultEndpoint, "sts.tencentcloudapi.com"
			if strings.HasSuffix(r.ID, "-fsi") {
				want, wantSTS = "kms."+r.ID+".tencentcloudapi.com", "sts."+r.ID+".tencentcloudapi.com"
			}
			if p.Endpoint != want {
				t.Fatalf("default endpoint %q, want %q", p.Endpoint, want)
			}
			sts, err := (&Store{}).stsEndpointFor(recordFrom(p))
			if err != nil || sts.String() != wantSTS {
				t.Fatalf("STS endpoint %q, %v; want %q", sts, err, wantSTS)
			}
		})
	}
}

func TestNormalizeDefaults(t *testing.T) {
	p, err := normalize(Profile{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{Name: "x", Settings: Settings{Kind: KindTencent, Region: DefaultRegion, Endpoint: DefaultEndpoint, TimeoutSeconds: 30, Language: LanguageZhCN,
		Site: endpoint.SiteChina, Proxy: Proxy{Mode: netproxy.ModeSystem}}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("normalize = %+v, want %+v", p, want)
	}
	p, err = normalize(Profile{Name: "l", Settings: Settings{Kind: KindLocal, Endpoint: "ignored"}, SecretIDMasked: "x", HasSecret: true, Temporary: &TempInfo{}})
	if err != nil || p.Endpoint != "" || p.HasSecret || p.SecretIDMasked != "" || p.Temporary != nil {
		t.Fatalf("normalize local = %+v, %v", p, err)
	}
}

// TestSecretsAreRedactedInFormatting: a stored key pair never shows its key through fmt
// or slog (kms.Credentials, what the store returns, has the same test in backend/kms).
func TestSecretsAreRedactedInFormatting(t *testing.T) {
	sec := Secret{SecretID: testSecretID, SecretKey: testSecretKey}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("creds", "secret", sec)
	outputs := map[string]string{
		"%v secret": fmt.Sprintf("%v", sec), "%+v secret": fmt.Sprintf("%+v", sec), "%#v secret": fmt.Sprintf("%#v", sec),
		"%s secret": sec.String(), "slog": logBuf.String(), "%v slice": fmt.Sprintf("%v", []Secret{sec}),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			assertNoSecrets(t, name, []byte(out), testSecretKey, testSecretID)
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
	err := classify("read keychain item", "work", rawLocked)
	want := `read keychain item "work": keyring is locked: failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'`
	if err.Error() != want {
		t.Fatalf("Error() = %q", err.Error())
	}
	wrapped := fmt.Errorf("save profile %q: %w", "work", err)
	if errcode.Code(wrapped) != CodeKeychainLocked || !errors.Is(wrapped, &errcode.Error{Code: CodeKeychainLocked}) {
		t.Fatalf("code lost through wrapping: %q", errcode.Code(wrapped))
	}
	if !errors.Is(wrapped, rawLocked) {
		t.Fatal("cause lost through wrapping")
	}
	for code := range hints {
		if !strings.Contains(code, ".") || strings.ToUpper(code[:1]) != code[:1] {
			t.Errorf("code %q is not <Area>.<Reason>", code)
		}
	}
	if HintFor("No.SuchCode") != "" {
		t.Fatal("hint for an unknown code")
	}
}
