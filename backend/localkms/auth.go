package localkms

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TC3-HMAC-SHA256 verification (kms-api.md §1.2–1.3).

const (
	tc3Algorithm      = "TC3-HMAC-SHA256"
	tc3Terminator     = "tc3_request"
	unsignedPayload   = "UNSIGNED-PAYLOAD"
	maxClockSkew      = 300 * time.Second // allowed |server time − X-TC-Timestamp|
	maxSigningKeys    = 4096              // entries in the derived-key cache before it is reset
	authPrefix        = tc3Algorithm + " Credential="
	authSignedHeaders = "/" + tc3Terminator + ", SignedHeaders="
	authSignature     = ", Signature="
)

// authHeader is a parsed Authorization header. Parsing accepts exactly the
// strings matched by
//
//	^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$
type authHeader struct {
	secretID      string
	date          string
	service       string
	signedHeaders string
	signature     string
}

// parseAuthorization parses an Authorization header without regular expressions.
func parseAuthorization(s string) (authHeader, bool) {
	a, ok := parseAuthFields(s)
	if !ok {
		return authHeader{}, false
	}
	return a, true
}

func parseAuthFields(s string) (authHeader, bool) {
	var a authHeader
	if !strings.HasPrefix(s, authPrefix) {
		return a, false
	}
	rest := s[len(authPrefix):]
	i := strings.IndexByte(rest, '/')
	if i <= 0 {
		return a, false
	}
	a.secretID, rest = rest[:i], rest[i+1:]
	if len(rest) < 11 || rest[10] != '/' || !isDate(rest[:10]) {
		return a, false
	}
	a.date, rest = rest[:10], rest[11:]
	i = strings.IndexByte(rest, '/')
	if i <= 0 {
		return a, false
	}
	a.service, rest = rest[:i], rest[i:]
	if !strings.HasPrefix(rest, authSignedHeaders) {
		return a, false
	}
	rest = rest[len(authSignedHeaders):]
	i = 0
	for i < len(rest) && isSignedHeaderChar(rest[i]) {
		i++
	}
	if i == 0 {
		return a, false
	}
	a.signedHeaders, rest = rest[:i], rest[i:]
	if !strings.HasPrefix(rest, authSignature) {
		return a, false
	}
	rest = rest[len(authSignature):]
	if len(rest) != 64 {
		return a, false
	}
	for j := 0; j < len(rest); j++ {
		c := rest[j]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return a, false
		}
	}
	a.signature = rest
	return a, true
}

func isDate(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) == 10
}

func isSignedHeaderChar(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ';' || c == '-'
}

// signingKeyCache caches kSigning per (SecretId, date, service); a credential's
// SecretKey never changes, so the SecretId identifies the secret.
type signingKeyCache struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func (c *signingKeyCache) get(secretID, secretKey, date, service string) []byte {
	id := secretID + "\x00" + date + "\x00" + service
	c.mu.RLock()
	k, ok := c.m[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveSigningKey(secretKey, date, service)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSigningKeys {
		c.m = make(map[string][]byte)
	}
	c.m[id] = k
	c.mu.Unlock()
	return k
}

func (c *signingKeyCache) forget(secretID string) {
	prefix := secretID + "\x00"
	c.mu.Lock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// deriveSigningKey computes kSigning = HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request").
func deriveSigningKey(secretKey, date, service string) []byte {
	kDate := hmacSHA256([]byte("TC3"+secretKey), date)
	kService := hmacSHA256(kDate, service)
	return hmacSHA256(kService, tc3Terminator)
}

// signInput is what the signature covers, gathered from a request.
type signInput struct {
	method      string
	rawQuery    string
	header      http.Header
	payloadHash string // lowercase hex
	timestamp   string
	date        string
	service     string
	signed      []string // signed header names, in the order given
}

// canonicalRequest builds the canonical request string for host h.
func (in *signInput) canonicalRequest(h string) []byte {
	b := make([]byte, 0, 256)
	b = append(b, in.method...)
	b = append(b, "\n/\n"...)
	b = append(b, in.rawQuery...)
	b = append(b, '\n')
	for _, name := range in.signed {
		var v string
		switch name {
		case "host":
			v = h
		case "content-type":
			v = in.header.Get("Content-Type") // canonical key: no allocation
		default:
			v = in.header.Get(name)
		}
		b = append(b, name...)
		b = append(b, ':')
		b = append(b, strings.ToLower(strings.TrimSpace(v))...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	for i, name := range in.signed {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, name...)
	}
	b = append(b, '\n')
	b = append(b, in.payloadHash...)
	return b
}

// stringToSign builds the string to sign for host h.
func (in *signInput) stringToSign(h string) string {
	sum := sha256.Sum256(in.canonicalRequest(h))
	var sb strings.Builder
	sb.Grow(len(tc3Algorithm) + len(in.timestamp) + len(in.date) + len(in.service) + len(tc3Terminator) + 64 + 8)
	sb.WriteString(tc3Algorithm)
	sb.WriteByte('\n')
	sb.WriteString(in.timestamp)
	sb.WriteByte('\n')
	sb.WriteString(in.date)
	sb.WriteByte('/')
	sb.WriteString(in.service)
	sb.WriteByte('/')
	sb.WriteString(tc3Terminator)
	sb.WriteByte('\n')
	var hexSum [64]byte
	hex.Encode(hexSum[:], sum[:])
	sb.Write(hexSum[:])
	return sb.String()
}

// signature computes the hex signature for host h with signing key k.
func (in *signInput) signature(k []byte, h string) []byte {
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(in.stringToSign(h)))
	var out [64]byte
	hex.Encode(out[:], mac.Sum(nil))
	return out[:]
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hostWithoutPort strips a trailing ":port" (keeping IPv6 brackets).
func hostWithoutPort(h string) (string, bool) {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || strings.LastIndexByte(h, ']') > i {
		return h, false
	}
	if _, err := strconv.ParseUint(h[i+1:], 10, 16); err != nil {
		return h, false
	}
	return h[:i], true
}

// authResult is the caller identified by a verified signature.
type authResult struct {
	cred *credential
}

// tc3Request is a TC3 request whose headers have been checked: everything but
// the payload hash and the signature itself.
type tc3Request struct {
	in       signInput
	cred     *credential
	ts       int64
	host     string
	sig      string // hex
	unsigned bool   // X-TC-Content-SHA256: UNSIGNED-PAYLOAD
}

// checkTC3Headers checks everything of a TC3-HMAC-SHA256 request that can be
// checked without its body: the Authorization header, the timestamp, the
// credential and its token, and the credential scope.
func (s *Server) checkTC3Headers(req *request) (*tc3Request, *apiError) {
	a, ok := parseAuthorization(req.header.Get("Authorization"))
	if !ok {
		return nil, apiErr(codeInvalidAuthorization,
			"The Authorization header is malformed; it must be a TC3-HMAC-SHA256 authorization.",
			"Authorization 请求头格式错误，必须为 TC3-HMAC-SHA256 签名。")
	}
	signed := strings.Split(a.signedHeaders, ";")
	hasCT, hasHost := false, false
	for _, n := range signed {
		switch n {
		case "":
			return nil, apiErr(codeInvalidAuthorization, "SignedHeaders contains an empty name.", "SignedHeaders 含有空的请求头名。")
		case "content-type":
			hasCT = true
		case "host":
			hasHost = true
		}
	}
	if !hasCT || !hasHost {
		return nil, apiErr(codeInvalidAuthorization,
			"SignedHeaders must include content-type and host.",
			"SignedHeaders 必须包含 content-type 和 host。")
	}
	tsText := req.header.Get("X-Tc-Timestamp")
	ts, ae := parseTimestamp("X-TC-Timestamp", tsText)
	if ae != nil {
		return nil, ae
	}
	cred, ae := s.checkCredential(a.secretID, req.header.Get("X-Tc-Token"), ts)
	if ae != nil {
		return nil, ae
	}
	if a.date != time.Unix(ts, 0).UTC().Format(time.DateOnly) {
		return nil, errSignatureFailure()
	}
	if ae := checkScopeService(a.service, req.header.Get("X-Tc-Version"), req.host); ae != nil {
		return nil, ae
	}
	return &tc3Request{
		in: signInput{
			method:    req.method,
			rawQuery:  req.rawQuery,
			header:    req.header,
			timestamp: tsText,
			date:      a.date,
			service:   a.service,
			signed:    signed,
		},
		cred:     cred,
		ts:       ts,
		host:     req.host,
		sig:      a.signature,
		unsigned: req.header.Get("X-Tc-Content-Sha256") == unsignedPayload,
	}, nil
}

// authenticate verifies the TC3-HMAC-SHA256 signature of a request, reading its
// body only once the headers have passed (and, with UNSIGNED-PAYLOAD, once the
// signature has), refuses a replayed signature, and returns the body.
func (s *Server) authenticate(peer netip.Addr, req *request) (authResult, []byte, *apiError) {
	var res authResult
	p, ae := s.checkTC3Headers(req)
	if ae != nil {
		return res, nil, ae
	}
	var body []byte
	if p.unsigned {
		p.in.payloadHash = sha256Hex([]byte(unsignedPayload))
	} else {
		if body, ae = req.readBody(); ae != nil {
			return res, nil, ae
		}
		p.in.payloadHash = sha256Hex(body)
	}
	k := s.sigKeys.get(p.cred.SecretID, p.cred.SecretKey, p.in.date, p.in.service)
	want := []byte(p.sig)
	ok := subtle.ConstantTimeCompare(p.in.signature(k, p.host), want) == 1
	if bare, stripped := hostWithoutPort(p.host); !ok && stripped {
		ok = subtle.ConstantTimeCompare(p.in.signature(k, bare), want) == 1
	}
	if !ok {
		return res, nil, errSignatureFailure()
	}
	var sig [32]byte
	hex.Decode(sig[:], want) // parseAuthorization checked 64 lowercase hex digits
	if ae := s.replay.check(sig[:], peer, p.ts, false); ae != nil {
		return res, nil, ae
	}
	if p.unsigned {
		if body, ae = req.readBody(); ae != nil {
			return res, nil, ae
		}
	}
	return authResult{cred: p.cred}, body, nil
}

// checkScopeService checks the service named in the credential scope: "kms", or
// "sts" for the STS API version. The signature does not cover X-TC-Version or
// X-TC-Action, but the scope binds a signature to one service, so a request
// signed for another product (cvm, or sts for a KMS action) is refused. The
// Node SDK signs with the first label of its endpoint ("127" for
// 127.0.0.1:9000); that label is accepted for hosts that are IP literals or
// localhost, whose first label names no Tencent Cloud product.
func checkScopeService(service, version, host string) *apiError {
	want := "kms"
	if version == stsVersion {
		want = "sts"
	}
	if service == want || service == nodeService(host) {
		return nil
	}
	return apiErr(codeSignatureFailure,
		fmt.Sprintf("The credential scope names the service %q; this endpoint serves %q.", truncate(service, 32), want),
		fmt.Sprintf("签名凭证范围中的服务为 %q，此接入点提供的服务为 %q。", truncate(service, 32), want))
}

// nodeService is the service the Node SDK signs with for a request to host
// (its endpoint's first dot-separated label), when host is an IP literal or
// localhost; "" otherwise.
func nodeService(host string) string {
	name := host
	if bare, ok := hostWithoutPort(host); ok {
		name = bare
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if _, err := netip.ParseAddr(name); err != nil && name != "localhost" {
		return ""
	}
	label, _, _ := strings.Cut(host, ".")
	return label
}

// checkCredential resolves a SecretId, checks the session token of temporary
// credentials and the ±5 minute window of the request timestamp (against the
// wall clock: clients sign with theirs).
func (s *Server) checkCredential(secretID, token string, ts int64) (*credential, *apiError) {
	cred, state := s.lookupCredential(secretID)
	switch {
	case state == credExpired, state == credUnknown && token != "":
		// The real service's answer to a temporary credential whose token timed out.
		// An unknown SecretId that comes with a token gets it too: an expired
		// temporary credential is forgotten when the next one is issued or the server
		// restarts, and its holder must get the same answer before and after.
		return nil, errTokenFailure()
	case state == credUnknown:
		return nil, apiErr(codeSecretIDNotFound,
			"The SecretId is not found, please ensure that your SecretId is correct.",
			"SecretId 不存在，请输入正确的密钥。")
	}
	if cred.Token != "" {
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(cred.Token)) != 1 {
			return nil, apiErr(codeTokenFailure,
				"The X-TC-Token is missing or does not match the temporary SecretId.",
				"X-TC-Token 缺失或与临时密钥不匹配。")
		}
	} else if token != "" {
		return nil, apiErr(codeTokenFailure,
			"An X-TC-Token was sent with a permanent SecretId.",
			"永久密钥不应携带 X-TC-Token。")
	}
	if d := time.Since(time.Unix(ts, 0)); d > maxClockSkew || d < -maxClockSkew {
		return nil, apiErr(codeSignatureExpire,
			"Signature expired. Timestamp and server time cannot differ by more than five minutes.",
			"签名过期。Timestamp 和服务器时间相差不得超过五分钟。")
	}
	return cred, nil
}

// errTokenFailure is the answer to a temporary credential whose token expired, with
// the real service's message.
func errTokenFailure() *apiError {
	return apiErr(codeTokenFailure,
		"Token verification failed. Please check your Token is correct.",
		"Token 校验失败，请检查 Token 是否正确。")
}

// Legacy signature v1 (HmacSHA1 / HmacSHA256), still used by tccli: every
// parameter travels in the form body (POST) or the query (GET), and the string to
// sign is METHOD + host + path + "?" + the parameters sorted by name, joined as
// name=value with "&", values not URL-encoded.

// v1CommonParams are the common parameters of signature v1; they are not action
// parameters.
var v1CommonParams = map[string]bool{
	"Action": true, "Version": true, "Region": true, "Timestamp": true, "Nonce": true,
	"SecretId": true, "SignatureMethod": true, "Signature": true, "Token": true,
	"Language": true, "RequestClient": true,
}

// parseTimestamp parses the request timestamp text, from the header or
// parameter name.
func parseTimestamp(name, text string) (int64, *apiError) {
	if text == "" {
		return 0, errMissingParam(name)
	}
	ts, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, errInvalidParam(name, "must be Unix seconds", "必须是 Unix 时间戳（秒）")
	}
	return ts, nil
}

// authenticateV1 verifies a signature-v1 request from peer (invalid in process)
// whose parameters are params, and refuses a signature used before.
func (s *Server) authenticateV1(peer netip.Addr, method, host string, params url.Values) (authResult, *apiError) {
	var res authResult
	secretID := params.Get("SecretId")
	if secretID == "" {
		return res, errMissingParam("SecretId")
	}
	var newHash func() hash.Hash
	switch params.Get("SignatureMethod") {
	case "", "HmacSHA1":
		newHash = sha1.New
	case "HmacSHA256":
		newHash = sha256.New
	default:
		return res, errInvalidParam("SignatureMethod", "must be HmacSHA1, HmacSHA256 or (with an Authorization header) TC3-HMAC-SHA256", "取值必须为 HmacSHA1、HmacSHA256，或使用 Authorization 请求头的 TC3-HMAC-SHA256")
	}
	ts, ae := parseTimestamp("Timestamp", params.Get("Timestamp"))
	if ae != nil {
		return res, ae
	}
	cred, ae := s.checkCredential(secretID, params.Get("Token"), ts)
	if ae != nil {
		return res, ae
	}
	got, err := base64.StdEncoding.DecodeString(params.Get("Signature"))
	if err != nil {
		return res, errSignatureFailure()
	}
	sign := func(h string) []byte {
		m := hmac.New(newHash, []byte(cred.SecretKey))
		m.Write([]byte(v1StringToSign(method, h, params)))
		return m.Sum(nil)
	}
	ok := hmac.Equal(sign(host), got)
	if bare, stripped := hostWithoutPort(host); !ok && stripped {
		ok = hmac.Equal(sign(bare), got)
	}
	if !ok {
		return res, errSignatureFailure()
	}
	if ae := s.replay.check(got, peer, ts, true); ae != nil {
		return res, ae
	}
	return authResult{cred: cred}, nil
}

// v1StringToSign is what a signature-v1 request signs: the method, the host, "/?" and
// its parameters but Signature, sorted by name, as name=value joined by '&' (values as
// sent, not escaped).
func v1StringToSign(method, host string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var query strings.Builder
	for i, k := range names {
		if i > 0 {
			query.WriteByte('&')
		}
		query.WriteString(k)
		query.WriteByte('=')
		query.WriteString(params.Get(k))
	}
	return method + host + "/?" + query.String()
}

func errSignatureFailure() *apiError {
	return apiErr(codeSignatureFailure,
		"The provided credentials could not be validated. Please check your signature is correct.",
		"请求签名验证失败，请检查您的签名计算是否正确。")
}
