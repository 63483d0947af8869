package localkms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// fromAddress returns a RoundTripper whose connections leave from the loopback
// address ip, so that the server sees another client address.
func fromAddress(t *testing.T, ip string) http.RoundTripper {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", "127.0.0.1:1")
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Skipf("this system has no loopback address %s (only Linux and Windows route all of 127/8)", ip)
	}
	if c != nil {
		c.Close()
	}
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}

// TestReplayIsRefused resends a captured TC3 request over loopback: from another
// address it is refused whatever its unsigned headers are retargeted to; from the
// address that first used it, it is accepted during the grace period (the SDKs
// sign identical requests of one second identically) and refused after it.
func TestReplayIsRefused(t *testing.T) {
	e := newEnv(t, "http")
	clock := newFakeClock()
	e.srv.replay.now = clock.Now
	id := e.createKey("victim")
	other := fromAddress(t, "127.0.0.2")

	describe := rawReq{action: "DescribeKey", body: `{"KeyId":"` + id + `"}`, timestamp: time.Now(), language: "en-US"}
	e.do(describe).wantCode(t, "")
	for name, edit := range map[string]func(*rawReq){
		"unchanged":       func(*rawReq) {},
		"as DisableKey":   func(r *rawReq) { r.action = "DisableKey" },
		"to ap-beijing":   func(r *rawReq) { r.region = "ap-beijing" },
		"as ArchiveKey":   func(r *rawReq) { r.action = "ArchiveKey" },
		"language en-US":  func(r *rawReq) { r.language = "en-US" },
		"as GetPublicKey": func(r *rawReq) { r.action = "GetPublicKey" },
	} {
		r := describe
		r.rt = other
		edit(&r)
		resp := e.do(r)
		resp.wantCode(t, codeSignatureExpire)
		if !strings.Contains(resp.message, "already") {
			t.Errorf("%s: message %q does not say the signature was already used", name, resp.message)
		}
	}
	if st := e.describe(id).KeyState; *st != stateEnabled {
		t.Fatalf("the key is %s after the refused replays", *st)
	}

	// The client that used the signature first may use it again at once: the Go SDK
	// gives DisableKey and DescribeKey of one key in one second the same signature.
	same := describe
	same.action = "GetKeyRotationStatus"
	e.do(same).wantCode(t, "")
	clock.Advance(replayGrace)
	e.do(describe).wantCode(t, "")
	clock.Advance(time.Second)
	e.do(describe).wantCode(t, codeSignatureExpire)
	same.action = "DisableKey"
	e.do(same).wantCode(t, codeSignatureExpire)
	// (Not e.describe: the SDK would sign its DescribeKey exactly as the replay.)
	if st := e.srv.snapshot(id).rec.State; st != stateEnabled {
		t.Fatalf("the key is %s after the refused replays", st)
	}
}

// signV1 (re)signs params with the legacy HmacSHA256 signature for a POST to host (the
// SDK-driven TestSignatureV1 checks v1StringToSign against the real SDK).
func signV1(params url.Values, secretKey, host string) {
	params.Del("Signature")
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(v1StringToSign("POST", host, params)))
	params.Set("Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// TestReplayV1IsRefused resends a signature-v1 request: its Nonce makes every
// legitimate request unique, so a second use is refused even from the same
// address.
func TestReplayV1IsRefused(t *testing.T) {
	e := newEnv(t, "http")
	params := url.Values{
		"Action": {"GetRegions"}, "Version": {kmsVersion}, "Region": {"ap-guangzhou"},
		"SecretId": {e.cred.SecretID}, "Timestamp": {strconv.FormatInt(time.Now().Unix(), 10)},
		"Nonce": {"48213"}, "SignatureMethod": {"HmacSHA256"},
	}
	signV1(params, e.cred.SecretKey, e.host())
	r := rawReq{authz: "-", contentType: "application/x-www-form-urlencoded", body: params.Encode()}
	e.do(r).wantCode(t, "")
	e.do(r).wantCode(t, codeSignatureExpire)
	params.Set("Nonce", "48214")
	signV1(params, e.cred.SecretKey, e.host())
	r.body = params.Encode()
	e.do(r).wantCode(t, "")
}

// TestReplayCacheBound fills a small cache: a new signature is then refused with
// RequestLimitExceeded (and not remembered), known ones are still recognised,
// and room comes back when the old timestamps leave the window.
func TestReplayCacheBound(t *testing.T) {
	clock := newFakeClock()
	c := newReplayCache()
	c.now, c.max = clock.Now, 4
	peer := netip.MustParseAddr("127.0.0.1")
	ts := clock.Now().Unix()
	sig := func(i int) []byte { return []byte(fmt.Sprintf("%032d", i)) }
	for i := range 4 {
		if ae := c.check(sig(i), peer, ts+int64(i), false); ae != nil {
			t.Fatalf("signature %d: %v", i, ae)
		}
	}
	if ae := c.check(sig(4), peer, ts, false); ae == nil || ae.code != codeRequestLimitExceeded {
		t.Fatalf("fifth signature: %v", ae)
	}
	clock.Advance(replayGrace + time.Second)
	if ae := c.check(sig(0), peer, ts, false); ae == nil || ae.code != codeSignatureExpire {
		t.Fatalf("replay when full: %v", ae)
	}
	// At ts+301, signature 0 has left its window; 1-3 are one to three seconds younger.
	clock.Advance(maxClockSkew - replayGrace)
	if ae := c.check(sig(4), peer, ts+300, false); ae != nil {
		t.Fatalf("after the window: %v", ae)
	}
	if len(c.entries) != 4 {
		t.Fatalf("%d entries, want 4", len(c.entries))
	}
	if ae := c.check(sig(1), peer, ts+1, false); ae == nil || ae.code != codeSignatureExpire {
		t.Fatalf("signature 1 forgotten too early: %v", ae)
	}
	// In process there is no address to bind to: never refused.
	if ae := c.check(sig(1), netip.Addr{}, ts+1, true); ae != nil {
		t.Fatalf("in process: %v", ae)
	}
}

// TestSDKRetriesWhenTheReplayCacheIsFull: the SDK resends the very same signed
// request after RequestLimitExceeded (RateLimitExceededMaxRetries). A refused
// signature is not remembered, so the retry goes through once there is room,
// even later than the grace period.
func TestSDKRetriesWhenTheReplayCacheIsFull(t *testing.T) {
	e := newEnv(t, "http")
	clock := newFakeClock()
	e.srv.replay.now = clock.Now
	remembered := func() int {
		e.srv.replay.mu.Lock()
		defer e.srv.replay.mu.Unlock()
		return len(e.srv.replay.entries)
	}
	setMax := func(n int) {
		e.srv.replay.mu.Lock()
		e.srv.replay.max = n
		e.srv.replay.mu.Unlock()
	}
	full := remembered()
	setMax(full)
	retries := 0
	c := e.kms(func(p *profile.ClientProfile) {
		p.RateLimitExceededMaxRetries = 1
		p.RateLimitExceededRetryDuration = func(int) time.Duration {
			retries++
			clock.Advance(replayGrace + time.Second)
			setMax(full + 1) // room for one signature
			return 0
		}
	})
	if _, err := c.GetRegions(kms.NewGetRegionsRequest()); err != nil || retries != 1 {
		t.Fatalf("GetRegions: %v after %d retries", err, retries)
	}
	if n := remembered(); n != full+1 {
		t.Fatalf("%d signatures remembered, want %d", n, full+1)
	}
}
