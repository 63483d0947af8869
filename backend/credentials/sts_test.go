package credentials

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
)

func TestDecideTemp(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		have       bool
		expiry     time.Time
		canRefresh bool
		want       tempAction
	}{
		{"none, role known", false, time.Time{}, true, tempRefresh},
		{"none, no role", false, time.Time{}, false, tempMissing},
		{"unknown expiry", true, time.Time{}, false, tempUse},
		{"unknown expiry with role", true, time.Time{}, true, tempUse},
		{"plenty left", true, now.Add(time.Hour), true, tempUse},
		{"just over 5 min", true, now.Add(RefreshBefore + time.Second), true, tempUse},
		{"exactly 5 min, role", true, now.Add(RefreshBefore), true, tempRefresh},
		{"4 min, role", true, now.Add(4 * time.Minute), true, tempRefresh},
		{"4 min, no role", true, now.Add(4 * time.Minute), false, tempUse},
		{"expired, role", true, now.Add(-time.Second), true, tempRefresh},
		{"expired now, no role", true, now, false, tempExpired},
		{"expired, no role", true, now.Add(-time.Hour), false, tempExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideTemp(now, tt.have, tt.expiry, tt.canRefresh); got != tt.want {
				t.Fatalf("decideTemp = %d, want %d", got, tt.want)
			}
		})
	}
}

// fakeAssumer stands in for sts:AssumeRole and records its requests.
type fakeAssumer struct {
	mu    sync.Mutex
	clock *fakeClock
	reqs  []assumeRequest
	err   error
	n     atomic.Int32
	token string
	// When set, each call signals entered and then waits for release.
	entered, release chan struct{}
}

func (f *fakeAssumer) assume(ctx context.Context, req assumeRequest) (kms.Credentials, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		<-f.release
	}
	n := f.n.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	if f.err != nil {
		return kms.Credentials{}, f.err
	}
	tok := f.token
	if tok == "" {
		tok = "token-" + string(rune('0'+n))
	}
	return kms.Credentials{
		SecretID: "AKIDtemp" + strings.Repeat("x", 27) + string(rune('0'+n)), SecretKey: "tempkey" + strings.Repeat("y", 24) + string(rune('0'+n)),
		Token: tok, Expiry: f.clock.Now().Add(req.Duration),
	}, nil
}

func (f *fakeAssumer) last() assumeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func newSTSEnv(t *testing.T) (*testEnv, *fakeAssumer) {
	e := newTestEnv(t)
	fa := &fakeAssumer{clock: e.clock}
	e.store.assume = fa.assume
	mustSave(t, e.store, Profile{Name: "work", Settings: Settings{Kind: KindTencent, Region: "ap-beijing", Language: LanguageEnUS, TimeoutSeconds: 7}}, &Secret{testSecretID, testSecretKey})
	return e, fa
}

func TestAssumeRoleAndRefresh(t *testing.T) {
	e, fa := newSTSEnv(t)
	ctx := context.Background()
	const arn = "qcs::cam::uin/100000000001:roleName/kms-operator"

	p, err := e.store.AssumeRole(ctx, "work", arn, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := fa.last()
	if req.Base.SecretID != testSecretID || req.Base.SecretKey != testSecretKey {
		t.Fatalf("AssumeRole did not sign with the long-term keys: %v", req.Base)
	}
	if req.RoleArn != arn || req.SessionName != "kmsdesk-work" || req.Duration != time.Hour ||
		req.Region != "ap-beijing" || req.Language != "en-US" || req.Timeout != 7 ||
		req.Endpoint != endpoint.MustParse("sts.tencentcloudapi.com") {
		t.Fatalf("AssumeRole request = %+v", req)
	}
	ti := p.Temporary
	if ti == nil || ti.RoleArn != arn || !ti.HasCredentials || ti.SecondsLeft != 3600 || ti.Storage != StorageKeychain {
		t.Fatalf("Temporary = %+v", ti)
	}
	if !p.HasSecret || p.SecretStorage != StorageKeychain {
		t.Fatalf("long-term keys must stay in the keychain: %+v", p)
	}

	c1, err := e.store.Credentials(ctx, "work")
	if err != nil || c1.Token != "token-1" {
		t.Fatalf("Credentials = %v, %v", c1, err)
	}
	e.clock.Advance(50 * time.Minute) // 10 min left: still fine
	if c, _ := e.store.Credentials(ctx, "work"); c.Token != "token-1" || fa.n.Load() != 1 {
		t.Fatalf("refreshed too early: %v after %d calls", c, fa.n.Load())
	}
	e.clock.Advance(6 * time.Minute) // 4 min left: refresh
	c2, err := e.store.Credentials(ctx, "work")
	if err != nil || c2.Token != "token-2" || fa.n.Load() != 2 {
		t.Fatalf("no refresh with 4 min left: %v, %v, %d calls", c2, err, fa.n.Load())
	}
	if fa.last().RoleArn != arn || fa.last().Duration != time.Hour {
		t.Fatalf("refresh lost the role settings: %+v", fa.last())
	}
	if p, _ := e.store.Get("work"); p.Temporary.SecondsLeft != 3600 {
		t.Fatalf("SecondsLeft after refresh = %d", p.Temporary.SecondsLeft)
	}

	// Refresh failing while the credentials still work: keep using them.
	e.clock.Advance(58 * time.Minute) // 2 min left
	fa.err = errors.New("network down")
	c3, err := e.store.Credentials(ctx, "work")
	if err != nil || c3.Token != "token-2" {
		t.Fatalf("still-valid credentials not returned on refresh failure: %v, %v", c3, err)
	}
	// ... but not after they expire.
	e.clock.Advance(3 * time.Minute)
	_, err = e.store.Credentials(ctx, "work")
	if err == nil || !strings.Contains(err.Error(), "network down") {
		t.Fatalf("expired credentials with failing refresh: %v", err)
	}

	// A restart reads the token back from the keychain item.
	fa.err = nil
	s2 := e.open(t)
	s2.assume = fa.assume
	e.clock.Advance(-34 * time.Minute) // back to 33 min before token-2 expires
	calls := fa.n.Load()
	c4, err := s2.Credentials(ctx, "work")
	if err != nil || c4.Token != "token-2" || fa.n.Load() != calls {
		t.Fatalf("after restart: %v, %v (calls %d -> %d)", c4, err, calls, fa.n.Load())
	}

	if err := e.store.ClearTemporary("work"); err != nil {
		t.Fatal(err)
	}
	if e.kc.has(t, "work#sts") {
		t.Fatal("ClearTemporary left the sts item")
	}
	if c, err := e.store.Credentials(ctx, "work"); err != nil || c.Token != "" || c.SecretKey != testSecretKey {
		t.Fatalf("after ClearTemporary = %v, %v", c, err)
	}
}

// TestRefreshIsSingleFlight: while one caller refreshes, every other caller
// waits for that refresh (the lock's wait hook says so) instead of calling
// AssumeRole too, and then gets the fresh credentials.
func TestRefreshIsSingleFlight(t *testing.T) {
	e, fa := newSTSEnv(t)
	ctx := context.Background()
	if _, err := e.store.AssumeRole(ctx, "work", "qcs::cam::uin/1:roleName/r", "sess", 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(29 * time.Minute) // 1 minute left: every caller wants a refresh
	const callers = 8
	fa.entered, fa.release = make(chan struct{}, callers), make(chan struct{})
	waiting := make(chan struct{}, callers)
	e.store.refreshWait = func(string) { waiting <- struct{}{} }

	type result struct {
		token string
		err   error
	}
	results := make(chan result, callers)
	for range callers {
		go func() {
			c, err := e.store.Credentials(ctx, "work")
			results <- result{c.Token, err}
		}()
	}
	hang := time.NewTimer(30 * time.Second) // only ends a broken run; nothing waits on time
	defer hang.Stop()
	select {
	case <-fa.entered:
	case <-hang.C:
		t.Fatal("no caller started a refresh")
	}
	for n := 0; n < callers-1; n++ {
		select {
		case <-waiting:
		case <-fa.entered:
			t.Fatalf("a second AssumeRole started while one was in flight (%d callers were waiting)", n)
		case <-hang.C:
			t.Fatalf("only %d of %d callers wait for the refresh in flight", n, callers-1)
		}
	}
	close(fa.release)
	for range callers {
		r := <-results
		if r.err != nil || r.token != "token-2" {
			t.Fatalf("caller got %q, %v; want the refreshed token-2", r.token, r.err)
		}
	}
	if n := fa.n.Load(); n != 2 {
		t.Fatalf("%d AssumeRole calls, want 2 (initial + one refresh)", n)
	}
}

func TestTemporaryWithoutRole(t *testing.T) {
	e, fa := newSTSEnv(t)
	ctx := context.Background()
	c := kms.Credentials{SecretID: testSecretID2, SecretKey: testSecretKy2, Token: "pasted-token", Expiry: e.clock.Now().Add(10 * time.Minute)}
	if err := e.store.SetTemporary("work", c); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Credentials(ctx, "work")
	if err != nil || got != c {
		t.Fatalf("Credentials = %v, %v", got, err)
	}
	e.clock.Advance(8 * time.Minute) // 2 min left, no role: still used
	if got, err := e.store.Credentials(ctx, "work"); err != nil || got.Token != "pasted-token" {
		t.Fatalf("Credentials near expiry = %v, %v", got, err)
	}
	e.clock.Advance(3 * time.Minute)
	_, err = e.store.Credentials(ctx, "work")
	wantCode(t, err, CodeCredentialsExpired)
	if fa.n.Load() != 0 {
		t.Fatal("AssumeRole called without a role")
	}

	for _, tt := range []struct {
		name string
		c    kms.Credentials
		code string
	}{
		{"no token", kms.Credentials{SecretID: testSecretID, SecretKey: testSecretKey}, CodeSecretInvalid},
		{"token too long", kms.Credentials{SecretID: testSecretID, SecretKey: testSecretKey, Token: strings.Repeat("t", MaxTokenLen+1)}, CodeSecretInvalid},
		{"already expired", kms.Credentials{SecretID: testSecretID, SecretKey: testSecretKey, Token: "t", Expiry: e.clock.Now()}, CodeCredentialsExpired},
		{"no key", kms.Credentials{SecretID: testSecretID, Token: "t"}, CodeSecretInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, e.store.SetTemporary("work", tt.c), tt.code) })
	}
	wantCode(t, e.store.SetTemporary(LocalProfileName, kms.Credentials{SecretID: testSecretID, SecretKey: testSecretKey, Token: "t"}), CodeProfileInvalid)
	wantCode(t, e.store.SetTemporary("nope", kms.Credentials{SecretID: testSecretID, SecretKey: testSecretKey, Token: "t"}), CodeProfileNotFound)
}

func TestLargeTokenStaysInMemory(t *testing.T) {
	e, fa := newSTSEnv(t)
	fa.token = strings.Repeat("T", 3000) // STS tokens may reach 4,096 bytes
	p, err := e.store.AssumeRole(context.Background(), "work", "qcs::cam::uin/1:roleName/r", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Temporary.Storage != StorageSession || !p.Temporary.HasCredentials {
		t.Fatalf("Temporary = %+v, want session storage", p.Temporary)
	}
	if e.kc.has(t, "work#sts") {
		t.Fatal("oversized token written to the keychain")
	}
	assertNoSecrets(t, "profiles file", e.configBytes(t), fa.token)
	if fa.last().Duration != DefaultAssumeRoleDuration {
		t.Fatalf("default duration = %s", fa.last().Duration)
	}
	// After a restart the memory copy is gone; the role brings it back.
	s2 := e.open(t)
	s2.assume = fa.assume
	c, err := s2.Credentials(context.Background(), "work")
	if err != nil || c.Token != fa.token || fa.n.Load() != 2 {
		t.Fatalf("after restart: %v, %v, %d calls", c, err, fa.n.Load())
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	e, _ := newSTSEnv(t)
	ctx := context.Background()
	mustSave(t, e.store, tencent("nokeys"), nil)
	tests := []struct {
		name, profile, arn, session string
		d                           time.Duration
		code                        string
	}{
		{"empty arn", "work", "", "", 0, CodeProfileInvalid},
		{"arn with space", "work", "qcs::cam::uin/1: role", "", 0, CodeProfileInvalid},
		{"bad session name", "work", "qcs::cam::uin/1:roleName/r", "has space", 0, CodeProfileInvalid},
		{"too short", "work", "qcs::cam::uin/1:roleName/r", "", time.Second, CodeProfileInvalid},
		{"too long", "work", "qcs::cam::uin/1:roleName/r", "", 13 * time.Hour, CodeProfileInvalid},
		{"no keys", "nokeys", "qcs::cam::uin/1:roleName/r", "", 0, CodeCredentialsMissing},
		{"local", LocalProfileName, "qcs::cam::uin/1:roleName/r", "", 0, CodeProfileInvalid},
		{"missing", "nope", "qcs::cam::uin/1:roleName/r", "", 0, CodeProfileNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.store.AssumeRole(ctx, tt.profile, tt.arn, tt.session, tt.d)
			wantCode(t, err, tt.code)
		})
	}
}

func TestSTSErrorKeepsTencentCode(t *testing.T) {
	e, fa := newSTSEnv(t)
	fa.err = stsError("assume role", tcerr.NewTencentCloudSDKError("AuthFailure.SecretIdNotFound", "no such id", "req-1"))
	_, err := e.store.AssumeRole(context.Background(), "work", "qcs::cam::uin/1:roleName/r", "", 0)
	wantCode(t, err, "AuthFailure.SecretIdNotFound")
	wantCode(t, stsError("assume role", errors.New("dial tcp: refused")), CodeSTSFailed)
	if p, _ := e.store.Get("work"); p.Temporary != nil {
		t.Fatalf("failed AssumeRole changed the profile: %+v", p.Temporary)
	}
}

func TestSTSEndpointFor(t *testing.T) {
	tests := []struct{ name, override, endpoint, want string }{
		{"default", "", DefaultEndpoint, "sts.tencentcloudapi.com"},
		{"regional", "", "kms.ap-guangzhou.tencentcloudapi.com", "sts.ap-guangzhou.tencentcloudapi.com"},
		{"financial zone", "", "kms.ap-shenzhen-fsi.tencentcloudapi.com", "sts.ap-shenzhen-fsi.tencentcloudapi.com"},
		{"intl", "", "kms.intl.tencentcloudapi.com", "sts.intl.tencentcloudapi.com"},
		{"custom https", "", "https://kms.corp.example:8443", "kms.corp.example:8443"},
		{"gateway path", "", "https://gw.example.com/kms", "https://gw.example.com/kms"},
		{"local http", "", "http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"override", "http://127.0.0.1:9100", DefaultEndpoint, "http://127.0.0.1:9100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			s, err := Open(Options{ConfigDir: e.dir, Keychain: e.kc, STSEndpoint: tt.override})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.stsEndpointFor(profileRecord{Settings: Settings{Endpoint: tt.endpoint}})
			if err != nil || got.String() != tt.want {
				t.Fatalf("stsEndpointFor = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	_, err := Open(Options{ConfigDir: t.TempDir(), Keychain: NewMemoryKeychain(), STSEndpoint: "http://sts.tencentcloudapi.com"})
	wantCode(t, err, CodeProfileInvalid)
}

func TestCredentialsFromAssumeRole(t *testing.T) {
	str := func(s string) *string { return &s }
	i64 := func(v int64) *int64 { return &v }
	good := func() *sts.AssumeRoleResponse {
		r := sts.NewAssumeRoleResponse()
		r.Response = &sts.AssumeRoleResponseParams{
			Credentials: &sts.Credentials{TmpSecretId: str(testSecretID), TmpSecretKey: str(testSecretKey), Token: str("tok")},
			ExpiredTime: i64(1800000000), Expiration: str("2027-01-15T08:00:00Z"),
		}
		return r
	}
	c, err := credentialsFromAssumeRole(good())
	if err != nil || c.Expiry != time.Unix(1800000000, 0).UTC() || c.Token != "tok" {
		t.Fatalf("good response = %v, %v", c, err)
	}
	onlyISO := good()
	onlyISO.Response.ExpiredTime = nil
	if c, err := credentialsFromAssumeRole(onlyISO); err != nil || !c.Expiry.Equal(time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("ISO expiry = %v, %v", c.Expiry, err)
	}
	for name, mutate := range map[string]func(r *sts.AssumeRoleResponse){
		"nil body":        func(r *sts.AssumeRoleResponse) { r.Response = nil },
		"no credentials":  func(r *sts.AssumeRoleResponse) { r.Response.Credentials = nil },
		"no token":        func(r *sts.AssumeRoleResponse) { r.Response.Credentials.Token = nil },
		"empty key":       func(r *sts.AssumeRoleResponse) { r.Response.Credentials.TmpSecretKey = str("") },
		"no expiry":       func(r *sts.AssumeRoleResponse) { r.Response.ExpiredTime, r.Response.Expiration = nil, nil },
		"malformed ISO":   func(r *sts.AssumeRoleResponse) { r.Response.ExpiredTime, r.Response.Expiration = nil, str("tomorrow") },
		"token with \\n":  func(r *sts.AssumeRoleResponse) { r.Response.Credentials.Token = str("a\nb") },
		"negative expiry": func(r *sts.AssumeRoleResponse) { r.Response.ExpiredTime, r.Response.Expiration = i64(-5), nil },
	} {
		t.Run(name, func(t *testing.T) {
			r := good()
			mutate(r)
			_, err := credentialsFromAssumeRole(r)
			wantCode(t, err, CodeSTSFailed)
		})
	}
}

// roundTripFunc lets a test see the request the SDK builds.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSDKAssumeRoleWiring checks only the plumbing that the local-KMS
// integration test relies on: the endpoint and transport from Options
// reach the official SDK client, and the request is signed with the
// profile's long-term SecretId. It is not a test of STS behaviour.
func TestSDKAssumeRoleWiring(t *testing.T) {
	var seen *http.Request
	var body []byte
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r
		body, _ = io.ReadAll(r.Body)
		resp := `{"Response":{"Credentials":{"Token":"tok","TmpSecretId":"` + testSecretID2 + `","TmpSecretKey":"` + testSecretKy2 + `"},"ExpiredTime":1800000000,"Expiration":"2027-01-15T08:00:00Z","RequestId":"r1"}}`
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader([]byte(resp))), Request: r}, nil
	})
	e := newTestEnv(t)
	s, err := Open(Options{ConfigDir: e.dir, Keychain: e.kc, Now: e.clock.Now, STSEndpoint: "http://127.0.0.1:9000", STSTransport: tr})
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, tencent("work"), &Secret{testSecretID, testSecretKey})
	p, err := s.AssumeRole(context.Background(), "work", "qcs::cam::uin/1:roleName/r", "", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if seen == nil {
		t.Fatal("transport not used")
	}
	if seen.URL.String() != "http://127.0.0.1:9000/" || seen.Header.Get("X-TC-Action") != "AssumeRole" || seen.Header.Get("X-TC-Region") != "ap-shanghai" {
		t.Fatalf("request = %s %v", seen.URL, seen.Header)
	}
	if !strings.Contains(seen.Header.Get("Authorization"), "Credential="+testSecretID+"/") {
		t.Fatalf("not signed with the long-term SecretId: %s", seen.Header.Get("Authorization"))
	}
	if !strings.Contains(string(body), `"DurationSeconds":900`) || !strings.Contains(string(body), `"RoleSessionName":"kmsdesk-work"`) {
		t.Fatalf("body = %s", body)
	}
	if p.Temporary == nil || !p.Temporary.Expiry.Equal(time.Unix(1800000000, 0)) {
		t.Fatalf("Temporary = %+v", p.Temporary)
	}
}
