package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

func TestOpenFirstRunCreatesLocalProfile(t *testing.T) {
	e := newTestEnv(t)
	list := e.store.List()
	if len(list) != 1 {
		t.Fatalf("List() = %d profiles, want 1", len(list))
	}
	local := list[0]
	if local.Name != LocalProfileName || local.Kind != KindLocal || local.Region != "ap-guangzhou" {
		t.Fatalf("default profile = %+v", local)
	}
	if local.HasSecret || local.SecretStorage != "" || local.Endpoint != "" {
		t.Fatalf("local profile should have no secret and no endpoint: %+v", local)
	}
	if got := e.store.Active(); got.Name != LocalProfileName {
		t.Fatalf("Active() = %q, want local", got.Name)
	}
	var cfg configFile
	if err := json.Unmarshal(e.configBytes(t), &cfg); err != nil {
		t.Fatalf("profiles file is not JSON: %v", err)
	}
	if cfg.Version != 1 || cfg.Active != "local" || len(cfg.Profiles) != 1 {
		t.Fatalf("profiles file = %+v", cfg)
	}
}

func TestFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions do not apply on Windows")
	}
	t.Run("first run", func(t *testing.T) {
		e := newTestEnv(t)
		mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
		assertPerm(t, e.dir, 0o700)
		assertPerm(t, filepath.Join(e.dir, ConfigFileName), 0o600)
		entries, err := os.ReadDir(e.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if en.Name() != ConfigFileName {
				t.Errorf("stray file %q left in config dir", en.Name())
			}
		}
	})
	t.Run("loosened modes are tightened", func(t *testing.T) {
		e := newTestEnv(t)
		if err := os.Chmod(e.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(e.dir, ConfigFileName), 0o644); err != nil {
			t.Fatal(err)
		}
		e.open(t)
		assertPerm(t, e.dir, 0o700)
		assertPerm(t, filepath.Join(e.dir, ConfigFileName), 0o600)
	})
}

func assertPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("%s mode = %o, want %o", path, got, want)
	}
}

func TestProfileCRUD(t *testing.T) {
	e := newTestEnv(t)
	s := e.store

	got := mustSave(t, s, Profile{Name: "work", Settings: Settings{Kind: KindTencent, Region: "ap-beijing"}}, &Secret{testSecretID, testSecretKey})
	want := Profile{Name: "work", Settings: Settings{Kind: KindTencent, Region: "ap-beijing", Endpoint: DefaultEndpoint, TimeoutSeconds: DefaultTimeoutSeconds, Language: LanguageZhCN,
		Site: "china", Proxy: Proxy{Mode: "system"}}, SecretIDMasked: "AKID****MPLE", HasSecret: true, SecretStorage: StorageKeychain}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Save returned\n %+v\nwant\n %+v", got, want)
	}
	if g, err := s.Get("work"); err != nil || fmt.Sprint(g) != fmt.Sprint(want) {
		t.Fatalf("Get = %+v, %v", g, err)
	}
	c, err := s.Credentials(context.Background(), "work")
	if err != nil || c.SecretID != testSecretID || c.SecretKey != testSecretKey || c.Token != "" {
		t.Fatalf("Credentials = %v, %v", c, err)
	}

	// Update without a secret keeps the stored one.
	upd := mustSave(t, s, Profile{Name: "work", Settings: Settings{Kind: KindTencent, Region: "ap-chengdu", Endpoint: "kms.ap-chengdu.tencentcloudapi.com", Language: LanguageEnUS, TimeoutSeconds: 10}}, nil)
	if !upd.HasSecret || upd.Region != "ap-chengdu" || upd.Endpoint != "kms.ap-chengdu.tencentcloudapi.com" || upd.Language != "en-US" || upd.TimeoutSeconds != 10 {
		t.Fatalf("after update: %+v", upd)
	}
	if c, err := s.Credentials(context.Background(), "work"); err != nil || c.SecretKey != testSecretKey {
		t.Fatalf("Credentials after update = %v, %v", c, err)
	}

	// Rotation replaces the keychain item.
	rot := mustSave(t, s, tencent("work"), &Secret{testSecretID2, testSecretKy2})
	if rot.SecretIDMasked != kms.MaskSecretID(testSecretID2) {
		t.Fatalf("masked id after rotation = %q", rot.SecretIDMasked)
	}
	if c, _ := s.Credentials(context.Background(), "work"); c.SecretKey != testSecretKy2 {
		t.Fatalf("rotation not visible: %v", c)
	}

	mustSave(t, s, tencent("alpha"), nil)
	var names []string
	for _, p := range s.List() {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "local,alpha,work" {
		t.Fatalf("List order = %v", names)
	}

	if err := s.Delete("work"); err != nil {
		t.Fatal(err)
	}
	if e.kc.has(t, "work") {
		t.Fatal("keychain item survived Delete")
	}
	wantCode(t, func() error { _, err := s.Get("work"); return err }(), CodeProfileNotFound)
	wantCode(t, s.Delete("work"), CodeProfileNotFound)

	// The file on disk matches: a fresh Store sees the same profiles.
	s2 := e.open(t)
	if len(s2.List()) != 2 {
		t.Fatalf("reopened store has %d profiles", len(s2.List()))
	}
}

func TestSaveValidation(t *testing.T) {
	e := newTestEnv(t)
	mustSave(t, e.store, tencent("existing"), nil)
	long := strings.Repeat("a", 65)
	tests := []struct {
		name   string
		p      Profile
		secret *Secret
		code   string
	}{
		{"empty name", Profile{Settings: Settings{Kind: KindTencent}}, nil, CodeProfileInvalid},
		{"name too long", Profile{Name: long, Settings: Settings{Kind: KindTencent}}, nil, CodeProfileInvalid},
		{"name with slash", Profile{Name: "a/b", Settings: Settings{Kind: KindTencent}}, nil, CodeProfileInvalid},
		{"name with hash", Profile{Name: "a#sts", Settings: Settings{Kind: KindTencent}}, nil, CodeProfileInvalid},
		{"name with space", Profile{Name: "my work", Settings: Settings{Kind: KindTencent}}, nil, CodeProfileInvalid},
		{"name of dots", Profile{Name: "..", Settings: Settings{Kind: KindTencent}}, nil, CodeProfileInvalid},
		{"unknown kind", Profile{Name: "x", Settings: Settings{Kind: "aws"}}, nil, CodeProfileInvalid},
		{"bad region", Profile{Name: "x", Settings: Settings{Kind: KindTencent, Region: "Guangzhou"}}, nil, CodeProfileInvalid},
		{"bad language", Profile{Name: "x", Settings: Settings{Kind: KindTencent, Language: "fr-FR"}}, nil, CodeProfileInvalid},
		{"timeout too big", Profile{Name: "x", Settings: Settings{Kind: KindTencent, TimeoutSeconds: 601}}, nil, CodeProfileInvalid},
		{"unknown suite", Profile{Name: "x", Settings: Settings{Kind: KindTencent, Suite: "sm2"}}, nil, CodeProfileInvalid},
		{"negative timeout", Profile{Name: "x", Settings: Settings{Kind: KindTencent, TimeoutSeconds: -1}}, nil, CodeProfileInvalid},
		{"http to tencent cloud", Profile{Name: "x", Settings: Settings{Kind: KindTencent, Endpoint: "http://kms.tencentcloudapi.com"}}, nil, CodeProfileInvalid},
		{"endpoint with query", Profile{Name: "x", Settings: Settings{Kind: KindTencent, Endpoint: "https://kms.example.com/?a=b"}}, nil, CodeProfileInvalid},
		{"local takes no secret", Profile{Name: "x", Settings: Settings{Kind: KindLocal}}, &Secret{testSecretID, testSecretKey}, CodeProfileInvalid},
		{"local must stay local", Profile{Name: "local", Settings: Settings{Kind: KindTencent}}, nil, CodeProfileBuiltin},
		{"kind change", Profile{Name: "existing", Settings: Settings{Kind: KindLocal}}, nil, CodeProfileKindChange},
		{"empty secret key", Profile{Name: "x", Settings: Settings{Kind: KindTencent}}, &Secret{testSecretID, ""}, CodeSecretInvalid},
		{"secret with newline", Profile{Name: "x", Settings: Settings{Kind: KindTencent}}, &Secret{testSecretID, testSecretKey + "\n"}, CodeSecretInvalid},
		{"secret too large", Profile{Name: "x", Settings: Settings{Kind: KindTencent}}, &Secret{strings.Repeat("A", 1000), strings.Repeat("k", 1020)}, CodeKeychainTooLarge},
	}
	before := string(e.configBytes(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.store.Save(tt.p, tt.secret)
			wantCode(t, err, tt.code)
		})
	}
	if after := string(e.configBytes(t)); after != before {
		t.Fatalf("rejected saves changed the file:\n%s", after)
	}
	if e.kc.count("set") != 0 {
		t.Fatalf("rejected saves reached the keychain %d times", e.kc.count("set"))
	}
}

func TestConfigFileNeverContainsSecrets(t *testing.T) {
	e := newTestEnv(t)
	s := e.store
	token := strings.Repeat("T", 1500)
	mustSave(t, s, tencent("work"), &Secret{testSecretID, testSecretKey})
	mustSave(t, s, tencent("work"), &Secret{testSecretID2, testSecretKy2})
	mustSave(t, s, tencent("temp"), nil)
	if err := s.SetTemporary("temp", kms.Credentials{SecretID: "AKIDtemporarytemporarytemporary00001", SecretKey: "TempKeyTempKeyTempKeyTempKey0001", Token: token, Expiry: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.kc.failAll(rawNoBus)
	p := mustSave(t, s, tencent("session"), &Secret{"AKIDsessionsessionsessionsession0001", "SessionKeySessionKeySessionKey01"})
	if !p.SessionOnly {
		t.Fatalf("expected session-only profile, got %+v", p)
	}
	data := e.configBytes(t)
	assertNoSecrets(t, "profiles file", data,
		testSecretKey, testSecretKy2, testSecretID, testSecretID2,
		"TempKeyTempKeyTempKeyTempKey0001", "AKIDtemporarytemporarytemporary00001", token,
		"SessionKeySessionKeySessionKey01", "AKIDsessionsessionsessionsession0001")
	// The masked id is there; that is the point of it.
	if !strings.Contains(string(data), kms.MaskSecretID(testSecretID2)) {
		t.Fatalf("profiles file lacks the masked SecretId:\n%s", data)
	}
}

func TestSessionFallbackWithoutKeychain(t *testing.T) {
	for _, raw := range []error{rawNoBus, rawNoService, rawNoKeyring} {
		t.Run(errcode.Code(classify("x", "y", raw)), func(t *testing.T) {
			e := newTestEnv(t)
			e.kc.failAll(raw)
			p := mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
			if !p.HasSecret || p.SecretStorage != StorageSession || !p.SessionOnly || p.SecretIDMasked != "AKID****MPLE" {
				t.Fatalf("profile = %+v, want session-only secret", p)
			}
			c, err := e.store.Credentials(context.Background(), "work")
			if err != nil || c.SecretKey != testSecretKey {
				t.Fatalf("Credentials = %v, %v", c, err)
			}
			if st := e.store.KeychainStatus(context.Background()); st.Available || st.Code == "" || st.Hint == "" {
				t.Fatalf("KeychainStatus = %+v, want unavailable with code and hint", st)
			}
			// A restart forgets the session secret and says so.
			e.kc.failAll(nil)
			p2, err := e.open(t).Get("work")
			if err != nil {
				t.Fatal(err)
			}
			if p2.HasSecret || p2.SecretStorage != "" || p2.SecretIDMasked != "" {
				t.Fatalf("after restart = %+v, want no secret", p2)
			}
			_, err = e.open(t).Credentials(context.Background(), "work")
			wantCode(t, err, CodeCredentialsMissing)
			// Once a keychain exists, saving again moves the secret there.
			p3 := mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
			if p3.SecretStorage != StorageKeychain || p3.SessionOnly {
				t.Fatalf("after keychain returns = %+v", p3)
			}
		})
	}
}

func TestKeychainRefusalIsReturnedNotFallenBack(t *testing.T) {
	for _, tt := range []struct {
		raw  error
		code string
	}{{rawLocked, CodeKeychainLocked}, {rawTimeout, CodeKeychainTimeout}} {
		t.Run(tt.code, func(t *testing.T) {
			e := newTestEnv(t)
			before := string(e.configBytes(t))
			e.kc.setFail("set", tt.raw)
			_, err := e.store.Save(tencent("work"), &Secret{testSecretID, testSecretKey})
			wantCode(t, err, tt.code)
			if HintFor(errcode.Code(err)) == "" {
				t.Fatalf("error %v has no hint", err)
			}
			if string(e.configBytes(t)) != before {
				t.Fatal("failed save changed the profiles file")
			}
			if _, err := e.store.Get("work"); errcode.Code(err) != CodeProfileNotFound {
				t.Fatalf("profile exists after failed save: %v", err)
			}
		})
	}
}

// TestSaveUndoesKeychainWriteWhenFileWriteFails: when the profiles file cannot
// be written after the secret went to the keychain, a new profile's keychain
// item is removed again and nothing changes in memory.
func TestSaveUndoesKeychainWriteWhenFileWriteFails(t *testing.T) {
	e := newTestEnv(t)
	mustSave(t, e.store, tencent("old"), &Secret{testSecretID, testSecretKey})
	saved := e.configBytes(t)
	// Once the keychain has the item, put a file where the config directory
	// was, so that writing the profiles file fails (even for root).
	breakDirOnNextSet := func() {
		e.kc.afterSet = func(string) {
			e.kc.afterSet = nil
			if err := errors.Join(os.RemoveAll(e.dir), os.WriteFile(e.dir, []byte("not a directory"), 0o600)); err != nil {
				t.Error(err)
			}
		}
	}
	breakDirOnNextSet()
	_, err := e.store.Save(tencent("new"), &Secret{testSecretID2, testSecretKy2})
	wantCode(t, err, CodeProfilesIO)
	if e.kc.has(t, "new") {
		t.Fatal("keychain item of the unsaved profile left behind")
	}
	if _, err := e.store.Get("new"); errcode.Code(err) != CodeProfileNotFound {
		t.Fatalf("unsaved profile visible: %v", err)
	}

	// An existing profile's item is the user's key (the new one, since the
	// keychain took it): it stays, and so does the profile.
	if err := errors.Join(os.Remove(e.dir), os.MkdirAll(e.dir, 0o700), os.WriteFile(filepath.Join(e.dir, ConfigFileName), saved, 0o600)); err != nil {
		t.Fatal(err)
	}
	breakDirOnNextSet()
	_, err = e.store.Save(tencent("old"), &Secret{testSecretID2, testSecretKy2})
	wantCode(t, err, CodeProfilesIO)
	if !e.kc.has(t, "old") {
		t.Fatal("keychain item of an existing profile removed")
	}
	if _, err := e.store.Get("old"); err != nil {
		t.Fatalf("existing profile lost: %v", err)
	}
}

func TestDelete(t *testing.T) {
	t.Run("builtin", func(t *testing.T) {
		e := newTestEnv(t)
		wantCode(t, e.store.Delete(LocalProfileName), CodeProfileBuiltin)
	})
	t.Run("active falls back to local", func(t *testing.T) {
		e := newTestEnv(t)
		mustSave(t, e.store, tencent("work"), nil)
		if err := e.store.SetActive("work"); err != nil {
			t.Fatal(err)
		}
		if e.store.Active().Name != "work" || e.open(t).Active().Name != "work" {
			t.Fatal("SetActive not persisted")
		}
		if err := e.store.Delete("work"); err != nil {
			t.Fatal(err)
		}
		if e.store.Active().Name != LocalProfileName {
			t.Fatalf("Active = %q after deleting it", e.store.Active().Name)
		}
		wantCode(t, e.store.SetActive("nope"), CodeProfileNotFound)
	})
	t.Run("removes sts item too", func(t *testing.T) {
		e := newTestEnv(t)
		mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
		if err := e.store.SetTemporary("work", kms.Credentials{SecretID: testSecretID2, SecretKey: testSecretKy2, Token: "tok"}); err != nil {
			t.Fatal(err)
		}
		if !e.kc.has(t, "work") || !e.kc.has(t, "work#sts") {
			t.Fatal("keychain items missing before delete")
		}
		if err := e.store.Delete("work"); err != nil {
			t.Fatal(err)
		}
		if e.kc.has(t, "work") || e.kc.has(t, "work#sts") {
			t.Fatal("keychain items survived Delete")
		}
	})
	t.Run("locked keychain keeps profile", func(t *testing.T) {
		e := newTestEnv(t)
		mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
		e.kc.setFail("delete", rawLocked)
		wantCode(t, e.store.Delete("work"), CodeKeychainLocked)
		if _, err := e.store.Get("work"); err != nil {
			t.Fatalf("profile lost after failed delete: %v", err)
		}
		e.kc.setFail("delete", nil)
		if err := e.store.Delete("work"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("item already gone", func(t *testing.T) {
		e := newTestEnv(t)
		mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
		if err := e.kc.inner.Delete(context.Background(), "work"); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Delete("work"); err != nil {
			t.Fatalf("Delete with missing item: %v", err)
		}
	})
}

func TestCredentialsErrors(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	_, err := e.store.Credentials(ctx, LocalProfileName)
	wantCode(t, err, CodeCredentialsNotNeeded)
	_, err = e.store.Credentials(ctx, "nope")
	wantCode(t, err, CodeProfileNotFound)
	mustSave(t, e.store, tencent("nosecret"), nil)
	_, err = e.store.Credentials(ctx, "nosecret")
	wantCode(t, err, CodeCredentialsMissing)

	mustSave(t, e.store, tencent("work"), &Secret{testSecretID, testSecretKey})
	for _, tt := range []struct {
		raw  error
		code string
	}{
		{rawNotFound, CodeKeychainNotFound},
		{rawLocked, CodeKeychainLocked},
		{rawNoBus, CodeKeychainNoSessionBus},
		{rawNoService, CodeKeychainNoSecretService},
		{rawTimeout, CodeKeychainTimeout},
		{rawOther, CodeKeychainUnavailable},
	} {
		t.Run(tt.code, func(t *testing.T) {
			e.kc.setFail("get", tt.raw)
			defer e.kc.setFail("get", nil)
			_, err := e.store.Credentials(ctx, "work")
			wantCode(t, err, tt.code)
			if strings.Contains(err.Error(), testSecretKey) {
				t.Fatal("error message contains the secret")
			}
		})
	}
	// A foreign value in our item is reported, not returned as keys.
	if err := e.kc.inner.Set(ctx, "work", "not json"); err != nil {
		t.Fatal(err)
	}
	_, err = e.store.Credentials(ctx, "work")
	wantCode(t, err, CodeKeychainUnavailable)
}

func TestOpenCorruptFile(t *testing.T) {
	e := newTestEnv(t)
	path := filepath.Join(e.dir, ConfigFileName)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{ConfigDir: e.dir, Keychain: e.kc, Now: e.clock.Now})
	wantCode(t, err, CodeProfilesCorrupt)
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatal("Open without RecoverCorrupt changed the damaged file")
	}
	s, err := Open(Options{ConfigDir: e.dir, Keychain: e.kc, Now: e.clock.Now, RecoverCorrupt: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.List()) != 1 {
		t.Fatalf("recovered store has %d profiles", len(s.List()))
	}
	aside := fmt.Sprintf("%s.damaged-%d", path, e.clock.Now().Unix())
	if b, err := os.ReadFile(aside); err != nil || string(b) != "{not json" {
		t.Fatalf("damaged file not kept at %s: %v", aside, err)
	}
}

func TestTwoStoresShareTheFile(t *testing.T) {
	e := newTestEnv(t)
	a, b := e.store, e.open(t)
	mustSave(t, a, tencent("from-a"), nil)
	mustSave(t, b, tencent("from-b"), nil)
	if _, err := b.Get("from-a"); err != nil {
		t.Fatalf("b lost a's profile: %v", err)
	}
	c := e.open(t)
	for _, n := range []string{"from-a", "from-b"} {
		if _, err := c.Get(n); err != nil {
			t.Fatalf("file lacks %q: %v", n, err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("p%d", i)
			for j := 0; j < 10; j++ {
				if _, err := e.store.Save(tencent(name), &Secret{testSecretID, fmt.Sprintf("%s%02d", testSecretKey[:30], j)}); err != nil {
					t.Error(err)
					return
				}
				_ = e.store.List()
				_ = e.store.Active()
				if _, err := e.store.Credentials(ctx, name); err != nil {
					t.Error(err)
					return
				}
				_ = e.store.KeychainStatus(ctx)
			}
			if i%2 == 0 {
				if err := e.store.Delete(name); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	if got := len(e.open(t).List()); got != 5 {
		t.Fatalf("%d profiles on disk, want 5 (local + 4)", got)
	}
}

func TestKeychainStatusAvailable(t *testing.T) {
	e := newTestEnv(t)
	st := e.store.KeychainStatus(context.Background())
	if !st.Available || st.Backend != "fake" || st.Code != "" {
		t.Fatalf("KeychainStatus = %+v", st)
	}
	e.kc.setFail("get", rawLocked)
	st = e.store.KeychainStatus(context.Background())
	if st.Available || st.Code != CodeKeychainLocked || st.Hint != HintFor(CodeKeychainLocked) {
		t.Fatalf("KeychainStatus when locked = %+v", st)
	}
}

// TestProfileSuite: the default suite is saved, survives a reload of the file, and a
// profile that names none (every profile written before the field existed) reads as "".
func TestProfileSuite(t *testing.T) {
	e := newTestEnv(t)
	mustSave(t, e.store, Profile{Name: "gm", Settings: Settings{Kind: KindTencent, Suite: SuiteSM4}}, nil)
	mustSave(t, e.store, Profile{Name: "plain", Settings: Settings{Kind: KindTencent}}, nil)
	if !strings.Contains(string(e.configBytes(t)), `"suite": "sm4"`) {
		t.Fatalf("the file does not hold the suite:\n%s", e.configBytes(t))
	}
	again := e.open(t)
	for name, want := range map[string]string{"gm": SuiteSM4, "plain": ""} {
		p, err := again.Get(name)
		if err != nil || p.Suite != want {
			t.Fatalf("%s: suite %q (%v), want %q", name, p.Suite, err, want)
		}
	}
}
