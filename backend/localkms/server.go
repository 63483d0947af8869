package localkms

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Options configures a [Server]. Only DataDir is required.
type Options struct {
	// DataDir holds the database (localkms.db) and, with the file master key,
	// master.key. It is created with mode 0700 if missing.
	DataDir string
	// Region is used when a request carries no X-TC-Region (default "ap-guangzhou",
	// or the first of Regions when Regions is set). It must be one of Regions.
	Region string
	// Regions is the GetRegions answer and the set of regions requests may name;
	// any other region is answered with UnsupportedRegion. Default: DefaultRegions.
	Regions []string
	// NationalStandardRegions are the regions run in national-standard (国密)
	// mode, as Tencent Cloud's SM regions are: symmetric keys created there are
	// SM4 (128-bit material, SM4-GCM blobs), ListAlgorithms answers what the real
	// service offers there (SM4; SM2 and RSA_2048 decryption; SM2 signing),
	// KeyMetadata.Type is 4, and imported material must be 128-bit. Each must be
	// one of Regions. A key keeps its algorithm when the mode of its region changes.
	NationalStandardRegions []string
	// CmkLimit is the number of keys a region holds at most, reported by
	// GetServiceStatus; CreateKey beyond it fails with
	// LimitExceeded.CmkLimitExceeded. Default DefaultCmkLimit.
	CmkLimit int
	// Uin is the account's numeric UIN, reported as CreatorUin and in ResourceId
	// (default "100000000001").
	Uin string
	// AppID is the account's numeric AppId (default "1250000000"); informational.
	AppID string
	// AcceptEnvCredentials also accepts the pair in TENCENTCLOUD_SECRET_ID and
	// TENCENTCLOUD_SECRET_KEY, read once by Open and never stored.
	AcceptEnvCredentials bool
	// MasterKey selects where the at-rest master key lives (default MasterKeyAuto).
	MasterKey MasterKeyMode
	// Now is the service clock: key creation and deletion dates, rotation, import
	// and temporary-credential expiry. Default time.Now. The ±5 minute window of
	// request signatures is always checked against the real wall clock, because
	// clients sign with theirs.
	Now func() time.Time
	// Logger receives one line per request (action, code, latency, request id,
	// region) and the startup line naming the master key location; never secrets or
	// plaintext. Nil discards.
	Logger *slog.Logger
}

// DefaultRegions is the default GetRegions answer (Open copies it; treat it as
// read-only).
var DefaultRegions = []string{
	"ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-nanjing",
	"ap-hongkong", "ap-singapore", "ap-bangkok", "ap-jakarta", "ap-seoul", "ap-tokyo",
	"ap-mumbai", "eu-frankfurt", "na-siliconvalley", "na-ashburn", "sa-saopaulo",
}

// Defaults of Options.
const (
	// DefaultRegion is the region of requests without X-TC-Region.
	DefaultRegion = "ap-guangzhou"
	// DefaultUin is the account UIN reported as CreatorUin.
	DefaultUin = "100000000001"
	// DefaultAppID is the account AppId.
	DefaultAppID = "1250000000"
	// DefaultCmkLimit is the default of Options.CmkLimit, in keys per region.
	DefaultCmkLimit = 10000
)

// Request limits and served API versions.
const (
	maxRequestBody  = 1 << 20  // bytes of a POST body (larger: RequestSizeLimitExceeded)
	maxRequestQuery = 32 << 10 // bytes of a GET query string (the documented GET limit)
	kmsVersion      = "2019-01-18"
	stsVersion      = "2018-08-13"
)

// Server is a local Tencent Cloud KMS. It is safe for concurrent use.
type Server struct {
	now       func() time.Time
	log       *slog.Logger
	uin       uint64
	regions   []string
	regionSet map[string]bool
	national  map[string]bool // regions in national-standard mode
	cmkLimit  int
	region    string
	dataDir   string
	store     *store
	// instance is this data folder's id; instances are those of restored backups
	// (guarded by mu).
	instance  string
	instances []string

	// writeMu serialises state changes: check, persist (fsync), publish.
	writeMu sync.Mutex
	seq     uint64 // creation order of keys; guarded by writeMu

	// mu guards the maps; snapshots in them are immutable.
	mu      sync.RWMutex
	keys    map[string]*key
	aliases map[string]string // aliasIndex(region, alias) → KeyId
	creds   map[string]*credential

	sigKeys    signingKeyCache
	replay     *replayCache
	bodyBudget byteBudget // bytes of large request bodies being read (ServeHTTP)
	closed     atomic.Bool
}

// Open opens (creating if needed) the local KMS in opts.DataDir.
func Open(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, newError(CodeInvalidOptions, nil, "DataDir is required")
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, newError(CodeInvalidOptions, err, "resolve DataDir")
	}
	s := &Server{
		now:     opts.Now,
		log:     opts.Logger,
		dataDir: dir,
		keys:    make(map[string]*key),
		aliases: make(map[string]string),
		creds:   make(map[string]*credential),
		replay:  newReplayCache(),
	}
	s.bodyBudget.free = largeBodyBudget
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.setAccount(opts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, newError(CodeDataDir, err, "create data dir")
	}
	if err := checkDataDir(dir, s.log); err != nil {
		return nil, err
	}
	db, info, err := openDB(filepath.Join(dir, dbFileName))
	if err != nil {
		return nil, err
	}
	mk, source, err := loadMasterKey(dir, opts.MasterKey, info.source)
	if err != nil {
		db.Close()
		return nil, err
	}
	st, upgraded, err := newStore(db, mk, source, info)
	wipe(mk)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.store = st
	s.instance, s.instances = info.instance, info.instances
	if err := s.loadState(); err != nil {
		db.Close()
		return nil, err
	}
	if opts.AcceptEnvCredentials {
		id, secret := os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
		if id != "" && secret != "" {
			s.creds[id] = &credential{Name: "environment", SecretID: id, SecretKey: secret, Kind: kindEnvironment, CreatedAt: s.nowUnix()}
		}
	}
	if upgraded {
		s.log.Info("localkms: upgraded the database to format "+dbFormat+" (records bound to their revision)", slog.String("data_dir", dir))
	}
	where := "a 0600 file " + filepath.Join(dir, masterKeyFileName)
	if source == sourceKeychain {
		where = "the OS keychain (service " + keychainService + ")"
	}
	s.log.Info("localkms: opened data dir "+dir+"; master key in "+where,
		slog.String("data_dir", dir), slog.String("master_key", source), slog.Int("keys", len(s.keys)))
	return s, nil
}

func (s *Server) setAccount(opts Options) error {
	uin := opts.Uin
	if uin == "" {
		uin = DefaultUin
	}
	n, err := strconv.ParseUint(uin, 10, 64)
	if err != nil || n == 0 {
		return newError(CodeInvalidOptions, nil, "Uin %q is not a positive integer", uin)
	}
	s.uin = n
	appID := opts.AppID
	if appID == "" {
		appID = DefaultAppID
	}
	if _, err := strconv.ParseUint(appID, 10, 64); err != nil {
		return newError(CodeInvalidOptions, nil, "AppID %q is not an integer", appID)
	}
	s.regions = slices.Clone(opts.Regions)
	if len(s.regions) == 0 {
		s.regions = slices.Clone(DefaultRegions)
	}
	s.regionSet = make(map[string]bool, len(s.regions))
	for _, r := range s.regions {
		if r == "" {
			return newError(CodeInvalidOptions, nil, "Regions contains an empty name")
		}
		s.regionSet[r] = true
	}
	s.region = opts.Region
	if s.region == "" {
		s.region = DefaultRegion
		if len(opts.Regions) > 0 {
			s.region = opts.Regions[0]
		}
	}
	if !s.regionSet[s.region] {
		return newError(CodeInvalidOptions, nil, "Region %q is not one of Regions", s.region)
	}
	s.national = make(map[string]bool, len(opts.NationalStandardRegions))
	for _, r := range opts.NationalStandardRegions {
		if !s.regionSet[r] {
			return newError(CodeInvalidOptions, nil, "national-standard region %q is not one of Regions", r)
		}
		s.national[r] = true
	}
	s.cmkLimit = opts.CmkLimit
	switch {
	case s.cmkLimit == 0:
		s.cmkLimit = DefaultCmkLimit
	case s.cmkLimit < 0:
		return newError(CodeInvalidOptions, nil, "CmkLimit %d is negative", opts.CmkLimit)
	}
	return nil
}

func (s *Server) loadState() error {
	recs, creds, err := s.store.load()
	if err != nil {
		return err
	}
	for _, r := range recs {
		k, err := newKey(*r)
		if err != nil {
			return newError(CodeCorrupt, err, "load key")
		}
		s.keys[r.KeyID] = k
		s.aliases[aliasIndex(r.Region, r.Alias)] = r.KeyID
		s.seq = max(s.seq, r.Seq)
	}
	now := s.nowUnix()
	var expired []string
	for _, c := range creds {
		if c.Kind == kindTemporary && now >= c.Expiry {
			expired = append(expired, c.SecretID)
			continue
		}
		s.creds[c.SecretID] = c
	}
	if len(expired) > 0 {
		if err := s.store.commit(write{delCreds: expired}); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database. Requests after Close are answered with InternalError.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.store.db.Close()
	s.mu.Lock()
	for _, k := range s.keys {
		for i := range k.rec.Versions {
			wipe(k.rec.Versions[i].Material)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return newError(CodeStorage, err, "close database")
	}
	return nil
}

func (s *Server) nowUnix() int64 { return s.now().Unix() }

func (s *Server) logInternal(op string, err error) {
	s.log.Error("localkms: internal error", slog.String("op", op), slog.String("error", err.Error()))
}

// ServeHTTP serves the API on path "/" (POST with a JSON body, or GET with a
// flattened query). Other paths get 404 and other methods 405; every API answer,
// including errors, is HTTP 200. The body is read only once the headers have
// been authenticated as far as they can be without it, and large bodies only
// while few are being read (see [Server.Serve] for the connection limits).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	peer, _ := netip.ParseAddrPort(r.RemoteAddr)
	body := &httpBody{r: r, budget: &s.bodyBudget}
	defer body.release()
	status, hdr, out := s.handleHTTP(r.Context(), &request{
		peer: peer.Addr().Unmap(), method: r.Method, host: host, path: r.URL.Path, rawQuery: r.URL.RawQuery,
		header: r.Header, length: r.ContentLength, readBody: body.read,
	})
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if !body.done && r.ContentLength != 0 {
		// Answered without reading the body: do not wait for it.
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(status)
	w.Write(out)
}

// Transport returns an http.RoundTripper that serves requests in process with the
// same handler as ServeHTTP, including signature verification, without a socket.
// It is safe for concurrent use. Hand it to an SDK client with WithHttpTransport.
func (s *Server) Transport() http.RoundTripper { return transport{s: s} }

type transport struct{ s *Server }

// RoundTrip implements http.RoundTripper.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("localkms transport: read request body: %w", err)
		}
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	status, hdr, out := t.s.handleHTTP(req.Context(), inMemoryRequest(req.Method, host, req.URL.Path, req.URL.RawQuery, req.Header, body))
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        hdr,
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)),
		Request:       req,
	}, nil
}

// request is one HTTP request as the pipeline sees it.
type request struct {
	peer     netip.Addr // client address; invalid in process
	method   string
	host     string
	path     string
	rawQuery string
	header   http.Header
	length   int64 // of the body; -1 when not known before reading it
	// readBody returns the body; the pipeline calls it once the headers have
	// been checked as far as they can be without it.
	readBody func() ([]byte, *apiError)
}

// inMemoryRequest is a request served in process, whose body is already read.
func inMemoryRequest(method, host, path, rawQuery string, header http.Header, body []byte) *request {
	return &request{method: method, host: host, path: path, rawQuery: rawQuery, header: header,
		length: int64(len(body)), readBody: func() ([]byte, *apiError) { return body, nil }}
}

var jsonHeader = []string{"application/json"}

// handleHTTP is the whole request pipeline shared by ServeHTTP and Transport.
func (s *Server) handleHTTP(ctx context.Context, req *request) (int, http.Header, []byte) {
	if req.path != "/" && req.path != "" {
		return http.StatusNotFound, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("404 page not found: the local KMS serves only /\n")
	}
	if req.method != http.MethodPost && req.method != http.MethodGet {
		return http.StatusMethodNotAllowed, http.Header{"Allow": {"GET, POST"}, "Content-Type": {"text/plain; charset=utf-8"}}, []byte("405 method not allowed: use POST or GET\n")
	}
	start := time.Now()
	c := &call{
		ctx:       ctx,
		peer:      req.peer,
		action:    req.header.Get("X-Tc-Action"),
		english:   req.header.Get("X-Tc-Language") == "en-US",
		requestID: uuid.NewString(),
	}
	out, ae := s.dispatch(c, req)
	code := "OK"
	if ae != nil {
		code = ae.code
		out = errorResponse(ae, c.english, c.requestID)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "localkms request",
		slog.String("action", c.action),
		slog.String("code", code),
		slog.Duration("latency", time.Since(start)),
		slog.String("request_id", c.requestID),
		slog.String("region", c.region))
	return http.StatusOK, http.Header{"Content-Type": jsonHeader}, out
}

// v1Params returns the parameters of a signature-v1 request, one without an
// Authorization header whose form body (POST) or query (GET) carries a
// Signature; nil if req is not one.
func v1Params(req *request) (url.Values, *apiError) {
	var raw string
	switch req.method {
	case http.MethodGet:
		raw = req.rawQuery
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(req.header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, nil
		}
		body, ae := req.readBody()
		if ae != nil {
			return nil, ae
		}
		raw = string(body)
	}
	params, err := url.ParseQuery(raw)
	if err != nil || params.Get("Signature") == "" {
		return nil, nil
	}
	return params, nil
}

// call is the per-request context handed to actions.
type call struct {
	ctx       context.Context
	peer      netip.Addr // client address; invalid in process
	action    string
	region    string
	english   bool
	requestID string
	cred      *credential
}

// decodeFunc fills a parameter struct (through a pointer) from the request.
type decodeFunc func(dst any) *apiError

// actionSpec is an entry of the dispatch table.
type actionSpec struct {
	result *responseEncoder
	// run decodes the parameters, runs the action and encodes its answer.
	run func(s *Server, c *call, dec decodeFunc) ([]byte, *apiError)
}

// act makes the dispatch table entry of an action: its parameter struct P (see
// params.go), its result struct R (see response.go) and its logic fn. A nil
// result with a nil error answers the zero R. The schema of P and the encoder of
// R are built here, at package initialisation.
func act[P, R any](fn func(s *Server, c *call, p *P) (*R, *apiError)) actionSpec {
	schemaOf(reflect.TypeFor[P]())
	enc := newResponseEncoder(reflect.TypeFor[R]())
	return actionSpec{result: enc, run: func(s *Server, c *call, dec decodeFunc) ([]byte, *apiError) {
		var p P
		if e := dec(&p); e != nil {
			return nil, e
		}
		r, e := fn(s, c, &p)
		if e != nil {
			return nil, e
		}
		if r == nil {
			r = new(R)
		}
		out, err := enc.encode(r, c.requestID)
		if err != nil {
			s.logInternal("encode response", err)
			return nil, errInternal()
		}
		return out, nil
	}}
}

var (
	kmsActions map[string]actionSpec
	stsActions map[string]actionSpec
)

func init() {
	kmsActions = map[string]actionSpec{
		"CreateKey":                 act(actCreateKey),
		"DescribeKey":               act(actDescribeKey),
		"DescribeKeys":              act(actDescribeKeys),
		"ListKeys":                  act(actListKeys),
		"ListKeyDetail":             act(actListKeyDetail),
		"UpdateAlias":               act(actUpdateAlias),
		"UpdateKeyDescription":      act(actUpdateKeyDescription),
		"EnableKey":                 act(actEnableKey),
		"EnableKeys":                act(actEnableKeys),
		"DisableKey":                act(actDisableKey),
		"DisableKeys":               act(actDisableKeys),
		"ScheduleKeyDeletion":       act(actScheduleKeyDeletion),
		"CancelKeyDeletion":         act(actCancelKeyDeletion),
		"ArchiveKey":                act(actArchiveKey),
		"CancelKeyArchive":          act(actCancelKeyArchive),
		"EnableKeyRotation":         act(actEnableKeyRotation),
		"DisableKeyRotation":        act(actDisableKeyRotation),
		"GetKeyRotationStatus":      act(actGetKeyRotationStatus),
		"RotateKey":                 act(actRotateKey),
		"Encrypt":                   act(actEncrypt),
		"Decrypt":                   act(actDecrypt),
		"ReEncrypt":                 act(actReEncrypt),
		"GenerateDataKey":           act(actGenerateDataKey),
		"GenerateRandom":            act(actGenerateRandom),
		"GetServiceStatus":          act(actGetServiceStatus),
		"GetRegions":                act(actGetRegions),
		"ListAlgorithms":            act(actListAlgorithms),
		"GetPublicKey":              act(actGetPublicKey),
		"AsymmetricRsaDecrypt":      act(actAsymmetricRsaDecrypt),
		"AsymmetricSm2Decrypt":      act(actAsymmetricSm2Decrypt),
		"SignByAsymmetricKey":       act(actSignByAsymmetricKey),
		"VerifyByAsymmetricKey":     act(actVerifyByAsymmetricKey),
		"GetParametersForImport":    act(actGetParametersForImport),
		"ImportKeyMaterial":         act(actImportKeyMaterial),
		"DeleteImportedKeyMaterial": act(actDeleteImportedKeyMaterial),
	}
	stsActions = map[string]actionSpec{
		"AssumeRole": act(actAssumeRole),
	}
}

// dispatch authenticates, routes and runs one request, and returns its answer.
func (s *Server) dispatch(c *call, req *request) ([]byte, *apiError) {
	if s.closed.Load() {
		return nil, apiErr(codeInternalError, "The local KMS has been shut down.", "本地 KMS 已关闭。")
	}
	if req.length > maxRequestBody || len(req.rawQuery) > maxRequestQuery {
		return nil, errRequestTooLarge()
	}
	var (
		version string
		dec     decodeFunc
	)
	if req.header.Get("Authorization") == "" {
		params, ae := v1Params(req)
		if ae != nil {
			return nil, ae
		}
		if params == nil {
			return nil, apiErr(codeInvalidAuthorization,
				"The request is not signed: send an Authorization header (TC3-HMAC-SHA256) or signature v1 parameters.",
				"请求未签名：请使用 Authorization 请求头（TC3-HMAC-SHA256）或签名方法 v1 的参数。")
		}
		// Signature v1: the common parameters travel with the others.
		c.action = params.Get("Action")
		c.english = params.Get("Language") == "en-US"
		auth, ae := s.authenticateV1(c.peer, req.method, req.host, params)
		if ae != nil {
			return nil, ae
		}
		c.cred = auth.cred
		version, c.region = params.Get("Version"), params.Get("Region")
		dec = func(dst any) *apiError { return decodeQueryValues(params, v1CommonParams, dst) }
	} else {
		auth, body, ae := s.authenticate(c.peer, req)
		if ae != nil {
			return nil, ae
		}
		c.cred = auth.cred
		version, c.region = req.header.Get("X-Tc-Version"), req.header.Get("X-Tc-Region")
		if req.method == http.MethodGet {
			dec = func(dst any) *apiError { return decodeQueryParams(req.rawQuery, dst) }
		} else {
			if ct := req.header.Get("Content-Type"); ct != "application/json" {
				if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
					return nil, errInvalidParam("Content-Type", "must be application/json for POST requests", "POST 请求必须使用 application/json")
				}
			}
			dec = func(dst any) *apiError { return decodeJSONParams(body, dst) }
		}
	}
	if c.region == "" {
		c.region = s.region
	}
	if c.action == "" {
		return nil, errMissingParam("Action")
	}
	var table map[string]actionSpec
	switch version {
	case "":
		return nil, errMissingParam("Version")
	case kmsVersion:
		table = kmsActions
	case stsVersion:
		table = stsActions
	default:
		return nil, apiErr(codeNoSuchVersion,
			fmt.Sprintf("The API version %q does not exist; the local KMS serves KMS %s and STS %s.", truncate(version, 32), kmsVersion, stsVersion),
			fmt.Sprintf("接口版本 %q 不存在；本地 KMS 支持 KMS %s 和 STS %s。", truncate(version, 32), kmsVersion, stsVersion))
	}
	spec, ok := table[c.action]
	if !ok {
		return nil, apiErr(codeInvalidAction,
			fmt.Sprintf("The action %q does not exist in API version %s.", truncate(c.action, 64), version),
			fmt.Sprintf("接口 %q 在版本 %s 中不存在。", truncate(c.action, 64), version))
	}
	if version == kmsVersion && !s.regionSet[c.region] {
		return nil, apiErr(codeUnsupportedRegion,
			fmt.Sprintf("The region %q is not supported by this local KMS.", truncate(c.region, 64)),
			fmt.Sprintf("本地 KMS 不支持地域 %q。", truncate(c.region, 64)))
	}
	return spec.run(s, c, dec)
}
