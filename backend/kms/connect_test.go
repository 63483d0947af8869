package kms_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
	"github.com/kmsdesk/kmsdesk/backend/netproxy/netproxytest"
)

// TestProxyCarriesKMSTraffic: with a proxy, every KMS request goes through it. The
// endpoint's host name resolves to this computer (netproxytest.ResolveTestDomain), so
// the proxy settings decide alone which way a request takes, and a real proxy process
// counts what it carried.
func TestProxyCarriesKMSTraffic(t *testing.T) {
	netproxytest.ResolveTestDomain(t)
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("orders"))
	_, port, _ := net.SplitHostPort(lk.Host())
	ep := "http://kms.proxy.test:" + port
	px := netproxytest.Start(t, netproxytest.Upstream(lk.Host()), netproxytest.Auth("alice", "pw"))
	// The environment names the proxy too: "none" must ignore it, "system" must use it.
	env := func(k string) string {
		if k == "HTTP_PROXY" || k == "HTTPS_PROXY" {
			return "http://alice:pw@" + strings.TrimPrefix(px.URL, "http://")
		}
		return ""
	}
	creds := kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey})
	list := func(p netproxy.Config) error {
		t.Helper()
		p.Getenv = env
		f, err := p.Func()
		if err != nil {
			t.Fatal(err)
		}
		c, err := kms.New(kms.Config{Region: lk.Region, Endpoint: ep, Credentials: creds, Proxy: f})
		if err != nil {
			t.Fatal(err)
		}
		page, err := c.ListKeys(context.Background(), kms.ListOptions{})
		if err == nil && (page.Total != 1 || page.Keys[0].Alias != "orders") {
			t.Fatalf("ListKeys through %v = %+v", p, page)
		}
		return err
	}

	if err := list(netproxy.Config{Mode: netproxy.ModeNone}); err != nil || px.Served() != 0 {
		t.Fatalf("none: %v, proxy served %d; want a direct request, the proxy untouched", err, px.Served())
	}
	if err := list(netproxy.Config{Mode: netproxy.ModeManual, URL: px.URL, Username: "alice", Password: "pw"}); err != nil || px.Served() != 1 {
		t.Fatalf("manual: %v, proxy served %d; want 1", err, px.Served())
	}
	if err := list(netproxy.Config{Mode: netproxy.ModeSystem}); err != nil || px.Served() != 2 {
		t.Fatalf("system (environment): %v, proxy served %d; want 2", err, px.Served())
	}
	for _, h := range px.Hosts() {
		if h != "kms.proxy.test:"+port {
			t.Fatalf("the proxy was asked for %q; want the KMS endpoint", h)
		}
	}
	err := list(netproxy.Config{Mode: netproxy.ModeManual, URL: px.URL, Username: "alice", Password: "wrong"})
	if err == nil || px.Refused() != 1 {
		t.Fatalf("wrong proxy password: %v, refused %d", err, px.Refused())
	}
}

// TestSilentEndpointFailsFast: an endpoint that accepts and never answers fails with
// Client.Timeout after about the connect (first-byte) timeout, and a request timeout
// shorter than it wins.
func TestSilentEndpointFailsFast(t *testing.T) {
	ep, _ := netproxytest.Silent(t)
	creds := kms.StaticCredentials(kms.Credentials{SecretID: "AKIDx", SecretKey: "k"})
	for _, tc := range []struct {
		name             string
		connect, request time.Duration
		want             time.Duration
	}{
		{"first byte", 300 * time.Millisecond, 30 * time.Second, 300 * time.Millisecond},
		{"whole request", 10 * time.Second, 400 * time.Millisecond, 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: ep, Credentials: creds, ConnectTimeout: tc.connect, Timeout: tc.request})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = c.ListKeys(context.Background(), kms.ListOptions{})
			took := time.Since(start)
			if errcode.Code(err) != kms.CodeTimeout {
				t.Fatalf("ListKeys = %v; want %s", err, kms.CodeTimeout)
			}
			if took < tc.want || took > tc.want+2*time.Second {
				t.Fatalf("failed after %v; want about %v", took, tc.want)
			}
		})
	}
}

// TestCancelAbortsTheRequest: cancelling the context ends a request that waits for an
// answer at once, with Client.Cancelled.
func TestCancelAbortsTheRequest(t *testing.T) {
	ep, accepted := netproxytest.Silent(t)
	c, err := kms.New(kms.Config{Region: "ap-guangzhou", Endpoint: ep, Timeout: time.Minute, ConnectTimeout: time.Minute,
		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: "AKIDx", SecretKey: "k"})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var start time.Time
	go func() {
		_, err := c.ListKeys(ctx, kms.ListOptions{})
		done <- err
	}()
	<-accepted // the request is on its way
	start = time.Now()
	cancel()
	select {
	case err := <-done:
		if errcode.Code(err) != kms.CodeCancelled {
			t.Fatalf("ListKeys = %v; want %s", err, kms.CodeCancelled)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("the cancelled request ended after %v", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled request did not end")
	}
}
