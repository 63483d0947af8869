package localkms

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// transports are the two ways the conformance suite reaches the server.
var transports = []string{"http", "inproc"}

// env is one server under test, reached over loopback HTTP or in process.
type env struct {
	t        *testing.T
	kind     string
	srv      *Server
	clock    *fakeClock
	dir      string
	endpoint string // host[:port] handed to the SDK
	baseURL  string // for hand-crafted requests
	rt       http.RoundTripper
	cred     Credential
}

func newEnv(t *testing.T, kind string, mods ...func(*Options)) *env {
	t.Helper()
	clock := newFakeClock()
	dir := t.TempDir()
	opts := Options{DataDir: dir, MasterKey: MasterKeyFile, Now: clock.Now}
	for _, m := range mods {
		m(&opts)
	}
	srv, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	cred, err := srv.CreateCredential("test")
	if err != nil {
		t.Fatalf("CreateCredential: %v", err)
	}
	e := &env{t: t, kind: kind, srv: srv, clock: clock, dir: dir, cred: cred}
	switch kind {
	case "http":
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		e.endpoint = strings.TrimPrefix(hs.URL, "http://")
		e.baseURL = hs.URL
		e.rt = hs.Client().Transport
	case "inproc":
		e.endpoint = "kms.tencentcloudapi.com"
		e.baseURL = "http://kms.tencentcloudapi.com"
		e.rt = srv.Transport()
	default:
		t.Fatalf("unknown transport %q", kind)
	}
	return e
}

func forEachTransport(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, kind := range transports {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, kind))
		})
	}
}

func (e *env) profile(mods ...func(*profile.ClientProfile)) *profile.ClientProfile {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = e.endpoint
	cpf.HttpProfile.ReqTimeout = 30
	for _, m := range mods {
		m(cpf)
	}
	return cpf
}

// kmsWith returns an official SDK client for the env with the given credential.
func (e *env) kmsWith(cred common.CredentialIface, region string, mods ...func(*profile.ClientProfile)) *kms.Client {
	e.t.Helper()
	c, err := kms.NewClient(cred, region, e.profile(mods...))
	if err != nil {
		e.t.Fatalf("kms.NewClient: %v", err)
	}
	if e.kind == "inproc" {
		c.WithHttpTransport(e.rt)
	}
	return c
}

func (e *env) kms(mods ...func(*profile.ClientProfile)) *kms.Client {
	return e.kmsWith(common.NewCredential(e.cred.SecretID, e.cred.SecretKey), "ap-guangzhou", mods...)
}

func (e *env) kmsRegion(region string) *kms.Client {
	return e.kmsWith(common.NewCredential(e.cred.SecretID, e.cred.SecretKey), region)
}

func (e *env) stsWith(cred common.CredentialIface) *sts.Client {
	e.t.Helper()
	c, err := sts.NewClient(cred, "ap-guangzhou", e.profile())
	if err != nil {
		e.t.Fatalf("sts.NewClient: %v", err)
	}
	if e.kind == "inproc" {
		c.WithHttpTransport(e.rt)
	}
	return c
}

// sdkCode returns the Tencent Cloud error code of err ("" for nil).
func sdkCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var se *tcerr.TencentCloudSDKError
	if !errors.As(err, &se) {
		t.Fatalf("error is not a TencentCloudSDKError: %v", err)
	}
	if se.GetRequestId() == "" {
		t.Fatalf("error without RequestId: %v", err)
	}
	return se.GetCode()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := sdkCode(t, err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func sp(s string) *string { return &s }

// opt is sp for an optional parameter: nil (left out) for "".
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
func up(n uint64) *uint64 { return &n }

// createKey creates a key through the SDK and returns its KeyId.
func (e *env) createKey(alias string, mods ...func(*kms.CreateKeyRequest)) string {
	e.t.Helper()
	req := kms.NewCreateKeyRequest()
	req.Alias = sp(alias)
	for _, m := range mods {
		m(req)
	}
	resp, err := e.kms().CreateKey(req)
	if err != nil {
		e.t.Fatalf("CreateKey %s: %v", alias, err)
	}
	return *resp.Response.KeyId
}

func (e *env) describe(id string) *kms.KeyMetadata {
	e.t.Helper()
	req := kms.NewDescribeKeyRequest()
	req.KeyId = sp(id)
	resp, err := e.kms().DescribeKey(req)
	if err != nil {
		e.t.Fatalf("DescribeKey %s: %v", id, err)
	}
	return resp.Response.KeyMetadata
}

func (e *env) encrypt(id string, plain []byte, ec string) (string, error) {
	req := kms.NewEncryptRequest()
	req.KeyId = sp(id)
	req.Plaintext = sp(b64(plain))
	req.EncryptionContext = opt(ec)
	resp, err := e.kms().Encrypt(req)
	if err != nil {
		return "", err
	}
	return *resp.Response.CiphertextBlob, nil
}

func (e *env) mustEncrypt(id string, plain []byte, ec string) string {
	e.t.Helper()
	blob, err := e.encrypt(id, plain, ec)
	if err != nil {
		e.t.Fatalf("Encrypt: %v", err)
	}
	return blob
}

func (e *env) decrypt(blob, ec string) ([]byte, string, error) {
	req := kms.NewDecryptRequest()
	req.CiphertextBlob = sp(blob)
	req.EncryptionContext = opt(ec)
	resp, err := e.kms().Decrypt(req)
	if err != nil {
		return nil, "", err
	}
	return unb64(e.t, *resp.Response.Plaintext), *resp.Response.KeyId, nil
}

// stateActions are the actions setState sends, by the names it takes.
var stateActions = map[string]string{
	"disable":  "DisableKey",
	"enable":   "EnableKey",
	"archive":  "ArchiveKey",
	"schedule": "ScheduleKeyDeletion", // in 7 days
}

// setState moves a key through state changes, named as in stateActions.
func (e *env) setState(id string, actions ...string) {
	e.t.Helper()
	for _, a := range actions {
		action, ok := stateActions[a]
		if !ok {
			e.t.Fatalf("unknown state action %s", a)
		}
		body := `{"KeyId":"` + id + `"}`
		if a == "schedule" {
			body = `{"KeyId":"` + id + `","PendingWindowInDays":7}`
		}
		if r := e.do(rawReq{action: action, body: body}); r.code != "" {
			e.t.Fatalf("%s %s: %s (%s)", a, id, r.code, r.message)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

// ---- hand-crafted requests -----------------------------------------------------

// rawReq describes a request built and signed by the test itself, with an
// implementation of TC3-HMAC-SHA256 written independently of the server's.
type rawReq struct {
	method      string // default POST
	action      string
	version     string // default 2019-01-18
	region      string // default ap-guangzhou; "-" omits the header
	body        string // POST body
	query       string // GET query
	contentType string // default by method
	secretID    string // default env credential
	secretKey   string
	token       string
	service     string    // credential scope service, default "kms"
	signHost    string    // host used in the signature, default the request host
	timestamp   time.Time // default now
	scopeDate   string    // default the timestamp's UTC date
	unsigned    bool      // X-TC-Content-SHA256: UNSIGNED-PAYLOAD
	language    string
	authz       string              // replaces the Authorization header when set ("-" omits it)
	path        string              // default "/"
	host        string              // Host header (and signed host), default the env's
	rt          http.RoundTripper   // sends the request, default the env's
	tamper      func(*http.Request) // applied after signing
}

type rawResp struct {
	status      int
	contentType string
	body        []byte
	code        string
	message     string
	requestID   string
	response    map[string]any
}

func tc3Sign(secretKey, service, date, stringToSign string) string {
	h := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	k := h(h(h([]byte("TC3"+secretKey), date), service), "tc3_request")
	return hex.EncodeToString(h(k, stringToSign))
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (e *env) host() string {
	if e.kind == "http" {
		return e.endpoint
	}
	return "kms.tencentcloudapi.com"
}

func (e *env) do(r rawReq) rawResp {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.version == "" {
		r.version = kmsVersion
	}
	if r.region == "" {
		r.region = "ap-guangzhou"
	}
	if r.contentType == "" {
		r.contentType = "application/json"
		if r.method == http.MethodGet {
			r.contentType = "application/x-www-form-urlencoded"
		}
	}
	if r.secretID == "" {
		r.secretID, r.secretKey = e.cred.SecretID, e.cred.SecretKey
	}
	if r.service == "" {
		r.service = "kms"
	}
	if r.timestamp.IsZero() {
		r.timestamp = time.Now()
	}
	if r.path == "" {
		r.path = "/"
	}
	host := e.host()
	if r.host != "" {
		host = r.host
	}
	if r.signHost == "" {
		r.signHost = host
	}
	ts := strconv.FormatInt(r.timestamp.Unix(), 10)
	date := r.timestamp.UTC().Format("2006-01-02")
	if r.scopeDate == "" {
		r.scopeDate = date
	}
	payloadHash := hexSHA256(r.body)
	if r.unsigned {
		payloadHash = hexSHA256("UNSIGNED-PAYLOAD")
	}
	canonical := r.method + "\n/\n" + r.query + "\ncontent-type:" + r.contentType + "\nhost:" + r.signHost + "\n\ncontent-type;host\n" + payloadHash
	scope := r.scopeDate + "/" + r.service + "/tc3_request"
	sts := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + hexSHA256(canonical)
	authz := "TC3-HMAC-SHA256 Credential=" + r.secretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" + tc3Sign(r.secretKey, r.service, r.scopeDate, sts)
	if r.authz != "" {
		authz = r.authz
	}
	url := e.baseURL + r.path
	if r.query != "" {
		url += "?" + r.query
	}
	req, err := http.NewRequest(r.method, url, strings.NewReader(r.body))
	if err != nil {
		e.t.Fatalf("build request: %v", err)
	}
	req.Host = host
	req.Header.Set("Content-Type", r.contentType)
	if authz != "-" {
		req.Header.Set("Authorization", authz)
	}
	req.Header.Set("X-TC-Action", r.action)
	req.Header.Set("X-TC-Version", r.version)
	req.Header.Set("X-TC-Timestamp", ts)
	if r.region != "-" {
		req.Header.Set("X-TC-Region", r.region)
	}
	if r.token != "" {
		req.Header.Set("X-TC-Token", r.token)
	}
	if r.unsigned {
		req.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
	}
	if r.language != "" {
		req.Header.Set("X-TC-Language", r.language)
	}
	if r.tamper != nil {
		r.tamper(req)
	}
	rt := e.rt
	if r.rt != nil {
		rt = r.rt
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		e.t.Fatalf("round trip: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read response: %v", err)
	}
	out := rawResp{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
	if out.contentType != "application/json" {
		return out
	}
	var env struct {
		Response map[string]any `json:"Response"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		e.t.Fatalf("response is not JSON: %v: %s", err, body)
	}
	out.response = env.Response
	out.requestID, _ = env.Response["RequestId"].(string)
	if er, ok := env.Response["Error"].(map[string]any); ok {
		out.code, _ = er["Code"].(string)
		out.message, _ = er["Message"].(string)
	}
	return out
}

func (r rawResp) wantCode(t *testing.T, code string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("HTTP status %d, want 200 (body %s)", r.status, r.body)
	}
	if r.code != code {
		t.Fatalf("code = %q (%s), want %q; body %s", r.code, r.message, code, r.body)
	}
	if !validKeyID(strings.ToLower(r.requestID)) {
		t.Fatalf("RequestId %q is not a UUID", r.requestID)
	}
}
