package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

func TestExportHasNoSecrets(t *testing.T) {
	e := newTestEnv(t)
	mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
	if err := e.store.SetTemporary("work", kms.Credentials{SecretID: testSecretID2, SecretKey: testSecretKy2, Token: "secret-token", Expiry: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.store.Export(&buf); err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "export", buf.Bytes(), testSecretID, testSecretKey, testSecretID2, testSecretKy2, "secret-token", "AKID****")
	var f map[string]any
	if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if f["format"] != ExportFormat || f["version"] != float64(1) || f["exportedAt"] != "2026-11-27T08:00:00Z" {
		t.Fatalf("header = %v", f)
	}
	if n := len(f["profiles"].([]any)); n != 2 {
		t.Fatalf("%d profiles exported, want 2", n)
	}

	buf.Reset()
	if err := e.store.Export(&buf, "work"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"local"`) || !strings.Contains(buf.String(), `"work"`) {
		t.Fatalf("export of one profile = %s", buf.String())
	}
	wantCode(t, e.store.Export(&buf, "nope"), CodeProfileNotFound)
}

func TestExportImportRoundTrip(t *testing.T) {
	src := newTestEnv(t)
	mustSave(t, src.store, Profile{Name: "work", Settings: Settings{Kind: KindTencent, Region: "ap-tokyo", Endpoint: "https://kms.corp.example:8443/api", TimeoutSeconds: 12, Language: LanguageEnUS, Suite: SuiteSM4}}, &Secret{testSecretID, testSecretKey})
	fa := &fakeAssumer{clock: src.clock}
	src.store.assume = fa.assume
	if _, err := src.store.AssumeRole(context.Background(), "work", "qcs::cam::uin/1:roleName/r", "desk", 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := src.store.Export(&buf); err != nil {
		t.Fatal(err)
	}
	dst := newTestEnv(t)
	res, err := dst.store.Import(bytes.NewReader(buf.Bytes()), ConflictReport)
	if err != nil {
		t.Fatal(err)
	}
	// "local" exists on every machine, so a full export conflicts.
	if len(res.Conflicts) != 1 || res.Conflicts[0] != "local" || len(res.Imported) != 0 {
		t.Fatalf("result = %+v", res)
	}
	if _, err := dst.store.Get("work"); errcode.Code(err) != CodeProfileNotFound {
		t.Fatal("ConflictReport imported something")
	}
	res, err = dst.store.Import(bytes.NewReader(buf.Bytes()), ConflictSkip)
	if err != nil || strings.Join(res.Imported, ",") != "work" || strings.Join(res.Skipped, ",") != "local" {
		t.Fatalf("skip result = %+v, %v", res, err)
	}
	p, err := dst.store.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	if p.Region != "ap-tokyo" || p.Endpoint != "https://kms.corp.example:8443/api" || p.TimeoutSeconds != 12 || p.Language != "en-US" || p.Suite != SuiteSM4 ||
		p.HasSecret || p.Temporary == nil || p.Temporary.RoleArn != "qcs::cam::uin/1:roleName/r" || p.Temporary.RoleSessionName != "desk" ||
		p.Temporary.DurationSeconds != 1800 || p.Temporary.HasCredentials {
		t.Fatalf("imported = %+v / %+v", p, p.Temporary)
	}
}

func TestImportConflictPolicies(t *testing.T) {
	file, err := os.ReadFile("testdata/export/v1.json")
	if err != nil {
		t.Fatal(err)
	}
	setup := func(t *testing.T) *testEnv {
		e := newTestEnv(t)
		mustSave(t, e.store, Profile{Name: "finance", Settings: Settings{Kind: KindTencent, Region: "ap-shanghai-fsi", Endpoint: "kms.ap-shanghai-fsi.tencentcloudapi.com"}}, &Secret{testSecretID, testSecretKey})
		mustSave(t, e.store, Profile{Name: "private-cloud", Settings: Settings{Kind: KindTencent, Endpoint: "https://kms.other.example"}}, &Secret{testSecretID2, testSecretKy2})
		if err := e.store.SetTemporary("finance", kms.Credentials{SecretID: testSecretID2, SecretKey: testSecretKy2, Token: "tok"}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	t.Run("report", func(t *testing.T) {
		e := setup(t)
		before := string(e.configBytes(t))
		res, err := e.store.Import(bytes.NewReader(file), ConflictReport)
		if err != nil || strings.Join(res.Conflicts, ",") != "local,finance,private-cloud" || len(res.Imported) != 0 {
			t.Fatalf("= %+v, %v", res, err)
		}
		if string(e.configBytes(t)) != before {
			t.Fatal("report policy changed the file")
		}
	})
	t.Run("rename", func(t *testing.T) {
		e := setup(t)
		res, err := e.store.Import(bytes.NewReader(file), ConflictRename)
		if err != nil {
			t.Fatal(err)
		}
		if res.Renamed["finance"] != "finance-2" || res.Renamed["private-cloud"] != "private-cloud-2" || res.Renamed["local"] != "local-2" {
			t.Fatalf("= %+v", res)
		}
		if p, err := e.store.Get("finance"); err != nil || !p.HasSecret {
			t.Fatalf("rename touched the original: %+v, %v", p, err)
		}
		if p, err := e.store.Get("finance-2"); err != nil || p.HasSecret || p.Temporary.RoleArn != "qcs::cam::uin/100000000001:roleName/kms-finance" {
			t.Fatalf("renamed copy = %+v, %v", p, err)
		}
		res, err = e.store.Import(bytes.NewReader(file), ConflictRename)
		if err != nil || res.Renamed["finance"] != "finance-3" {
			t.Fatalf("second rename = %+v, %v", res, err)
		}
	})
	t.Run("replace", func(t *testing.T) {
		e := setup(t)
		res, err := e.store.Import(bytes.NewReader(file), ConflictReplace)
		if err != nil || strings.Join(res.Replaced, ",") != "local,finance,private-cloud" {
			t.Fatalf("= %+v, %v", res, err)
		}
		// Same kind and endpoint: the key stays; temporary credentials go.
		fin, _ := e.store.Get("finance")
		if !fin.HasSecret || fin.Temporary == nil || fin.Temporary.HasCredentials || fin.TimeoutSeconds != 20 || fin.Temporary.RoleSessionName != "finance-desk" {
			t.Fatalf("finance = %+v / %+v", fin, fin.Temporary)
		}
		if !e.kc.has(t, "finance") || e.kc.has(t, "finance#sts") {
			t.Fatal("replace: wrong keychain items for finance")
		}
		// New endpoint: the key is removed, never sent somewhere new.
		pc, _ := e.store.Get("private-cloud")
		if pc.HasSecret || pc.Endpoint != "http://kms.corp.example:9000" || e.kc.has(t, "private-cloud") {
			t.Fatalf("private-cloud = %+v", pc)
		}
	})
	t.Run("skip", func(t *testing.T) {
		e := setup(t)
		res, err := e.store.Import(bytes.NewReader(file), ConflictSkip)
		if err != nil || len(res.Skipped) != 3 || len(res.Imported) != 0 {
			t.Fatalf("= %+v, %v", res, err)
		}
	})
	t.Run("bad policy", func(t *testing.T) {
		e := setup(t)
		_, err := e.store.Import(bytes.NewReader(file), ConflictPolicy(9))
		wantCode(t, err, CodeImportInvalid)
	})
}

func TestParseExport(t *testing.T) {
	golden, err := os.ReadFile("testdata/export/v1.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseExport(golden)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Profiles) != 3 || f.Profiles[1].Name != "finance" || f.Profiles[2].TimeoutSeconds != DefaultTimeoutSeconds {
		t.Fatalf("golden = %+v", f)
	}
	tests := []struct {
		name, in, code string
	}{
		{"not JSON", `x`, CodeImportInvalid},
		{"wrong format", `{"format":"other","version":1,"profiles":[]}`, CodeImportInvalid},
		{"no version", `{"format":"kmsdesk-profiles","profiles":[]}`, CodeImportInvalid},
		{"newer version", `{"format":"kmsdesk-profiles","version":2,"profiles":[],"newField":true}`, CodeImportUnsupportedVersion},
		{"secret field", `{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"a","kind":"tencent","region":"ap-guangzhou","secretKey":"x"}]}`, CodeImportInvalid},
		{"invalid profile", `{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"a b","kind":"tencent","region":"ap-guangzhou"}]}`, CodeImportInvalid},
		{"duplicate", `{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"a","kind":"tencent","region":"ap-guangzhou"},{"name":"a","kind":"tencent","region":"ap-guangzhou"}]}`, CodeImportInvalid},
		{"local as tencent", `{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"local","kind":"tencent","region":"ap-guangzhou"}]}`, CodeImportInvalid},
		{"role on local kind", `{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"a","kind":"local","region":"ap-guangzhou","roleArn":"r"}]}`, CodeImportInvalid},
		{"duration without role", `{"format":"kmsdesk-profiles","version":1,"profiles":[{"name":"a","kind":"tencent","region":"ap-guangzhou","durationSeconds":900}]}`, CodeImportInvalid},
		{"trailing data", `{"format":"kmsdesk-profiles","version":1,"profiles":[]} {}`, CodeImportInvalid},
		{"too large", `{"format":"kmsdesk-profiles","version":1,"profiles":[]}` + strings.Repeat(" ", MaxExportBytes), CodeImportInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseExport([]byte(tt.in))
			wantCode(t, err, tt.code)
		})
	}
}
