package credentials

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/. Run one target with e.g.
//   go test -run '^$' -fuzz FuzzParseExport -fuzztime 30s ./backend/credentials/

func FuzzParseTCCLICredential(f *testing.F) {
	f.Add([]byte(`{"secretId":"AKIDx","secretKey":"k"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseTCCLICredential(data)
		if err != nil {
			if errcode.Code(err) != CodeTCCLIInvalid && errcode.Code(err) != CodeTCCLIUnsupported {
				t.Fatalf("error without a TCCLI code: %v", err)
			}
			return
		}
		if c.SecretID == "" || c.SecretKey == "" || (c.Type != "" && c.Type != "default") {
			t.Fatalf("accepted incomplete credential %+v", c)
		}
	})
}

func FuzzParseTCCLIConfigure(f *testing.F) {
	f.Add([]byte(`{"_sys_param":{"region":"ap-guangzhou"},"kms":{"endpoint":"kms.tencentcloudapi.com"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseTCCLIConfigure(data)
		if err != nil && errcode.Code(err) != CodeTCCLIInvalid {
			t.Fatalf("error without a TCCLI code: %v", err)
		}
	})
}

func FuzzParseExport(f *testing.F) {
	f.Add([]byte(`{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"a","kind":"tencent","region":"ap-guangzhou"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseExport(data)
		if err != nil {
			if c := errcode.Code(err); c != CodeImportInvalid && c != CodeImportUnsupportedVersion {
				t.Fatalf("error without an Import code: %v", err)
			}
			return
		}
		for _, p := range got.Profiles {
			if _, err := normalize(Profile{Name: p.Name, Settings: Settings{Kind: p.Kind, Region: p.Region, Endpoint: p.Endpoint, TimeoutSeconds: p.TimeoutSeconds, Language: p.Language}}); err != nil {
				t.Fatalf("accepted invalid profile %+v: %v", p, err)
			}
		}
		// What we accept, we write back in a form we accept identically.
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseExport(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(got.Profiles, again.Profiles) {
			t.Fatalf("round trip changed profiles:\n%+v\n%+v", got.Profiles, again.Profiles)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"version":1,"active":"local","profiles":[{"name":"local","kind":"local","region":"ap-guangzhou","timeoutSeconds":30,"language":"zh-CN"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data)
		if err != nil {
			if errcode.Code(err) != CodeProfilesCorrupt {
				t.Fatalf("error without Profiles.Corrupt: %v", err)
			}
			return
		}
		if _, ok := cfg.find(LocalProfileName); !ok {
			t.Fatal("parsed config lacks the local profile")
		}
		if _, ok := cfg.find(cfg.Active); !ok {
			t.Fatalf("active profile %q does not exist", cfg.Active)
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseConfig(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("round trip changed config:\n%+v\n%+v", cfg, again)
		}
	})
}

func FuzzParseBusAddress(f *testing.F) {
	f.Add("unix:path=/run/user/1000/bus")
	f.Fuzz(func(t *testing.T, addr string) {
		entries, err := parseBusAddress(addr)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.transport == "" {
				t.Fatalf("entry without transport from %q", addr)
			}
		}
	})
}

func FuzzDecodeKeychainItems(f *testing.F) {
	f.Add(`{"SecretId":"AKIDx","SecretKey":"k"}`)
	f.Add(`{"SecretId":"AKIDx","SecretKey":"k","Token":"t","Expiry":1800000000}`)
	f.Fuzz(func(t *testing.T, v string) {
		if c, err := decodeSecretItem(v); err == nil {
			if validateSecret("x", c.SecretID, c.SecretKey) != nil || c.Token != "" {
				t.Fatalf("accepted bad secret item %q", v)
			}
			// Encoding what we decoded gives an item that decodes the same.
			b, _ := json.Marshal(keychainSecret{SecretID: c.SecretID, SecretKey: c.SecretKey})
			if c2, err := decodeSecretItem(string(b)); err != nil || c2 != c {
				t.Fatalf("secret item round trip: %v, %v", c2, err)
			}
		} else if errcode.Code(err) != CodeKeychainUnavailable {
			t.Fatalf("error without Keychain.Unavailable: %v", err)
		}
		if c, err := decodeSTSItem(v); err == nil {
			if c.Token == "" || validateSecret("x", c.SecretID, c.SecretKey) != nil {
				t.Fatalf("accepted bad sts item %q", v)
			}
		} else if errcode.Code(err) != CodeKeychainUnavailable {
			t.Fatalf("error without Keychain.Unavailable: %v", err)
		}
	})
}
