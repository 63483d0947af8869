package credentials_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
	"github.com/kmsdesk/kmsdesk/backend/netproxy/netproxytest"
)

// TestDefaultEndpointEveryRegionBothSites: for every region the local KMS's GetRegions
// answers (and every region of the offline list, the financial zones among them), on
// both sites, a profile without an endpoint gets the host that serves it, and STS is
// reached at the same place.
func TestDefaultEndpointEveryRegionBothSites(t *testing.T) {
	lk := localkmstest.Start(t)
	c, err := kms.New(kms.Config{Region: lk.Region, Endpoint: lk.URL, Transport: lk.Transport,
		Credentials: kms.StaticCredentials(kms.Credentials{SecretID: lk.SecretID, SecretKey: lk.SecretKey})})
	if err != nil {
		t.Fatal(err)
	}
	regions, err := c.Regions(context.Background())
	if err != nil || len(regions) == 0 {
		t.Fatalf("GetRegions = %v, %v", regions, err)
	}
	for _, r := range credentials.KnownRegions() {
		if !slices.Contains(regions, r.ID) {
			regions = append(regions, r.ID)
		}
	}
	store, err := credentials.Open(credentials.Options{ConfigDir: t.TempDir(), Keychain: credentials.NewMemoryKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range regions {
		for _, site := range []endpoint.Site{endpoint.SiteChina, endpoint.SiteIntl} {
			want := map[endpoint.Site]string{endpoint.SiteChina: "kms.tencentcloudapi.com", endpoint.SiteIntl: "kms.intl.tencentcloudapi.com"}[site]
			if endpoint.IsFinancialRegion(region) {
				want = "kms." + region + ".tencentcloudapi.com"
			}
			p, err := store.Save(credentials.Profile{Name: "p", Settings: credentials.Settings{Kind: credentials.KindTencent, Region: region, Site: site}}, nil)
			if err != nil || p.Endpoint != want || p.Site != site {
				t.Errorf("%s on %s: endpoint %q, site %q, %v; want %q", region, site, p.Endpoint, p.Site, err, want)
			}
			if got := credentials.DefaultEndpointFor(site, region); got != want {
				t.Errorf("DefaultEndpointFor(%s, %s) = %q; want %q", site, region, got, want)
			}
			sts, err := endpoint.MustParse(want).Sibling(endpoint.ServiceSTS)
			if err != nil || sts.String() != "sts"+want[len("kms"):] {
				t.Errorf("STS for %s = %q, %v", want, sts, err)
			}
		}
	}
	t.Logf("%d regions, 2 sites", len(regions))
}

// TestAssumeRoleThroughProxy: AssumeRole uses the profile's proxy (with its password
// from the keychain), like KMS calls do.
func TestAssumeRoleThroughProxy(t *testing.T) {
	netproxytest.ResolveTestDomain(t)
	lk := localkmstest.Start(t, localkmstest.Loopback())
	longTerm, err := lk.Server.CreateCredential("sts-proxy")
	if err != nil {
		t.Fatal(err)
	}
	px := netproxytest.Start(t, netproxytest.Upstream(lk.Host()), netproxytest.Auth("alice", "pw"))
	_, port, _ := net.SplitHostPort(lk.Host())

	store, err := credentials.Open(credentials.Options{ConfigDir: t.TempDir(), Keychain: credentials.NewMemoryKeychain(), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	p := credentials.Profile{Name: "lk", Settings: credentials.Settings{Kind: credentials.KindTencent, Region: "ap-guangzhou", Endpoint: "http://kms.proxy.test:" + port, InsecureHTTP: true, Proxy: credentials.Proxy{Mode: netproxy.ModeManual, URL: px.URL, Username: "alice"}}}
	if _, err := store.Save(p, &credentials.Secret{SecretID: longTerm.SecretID, SecretKey: longTerm.SecretKey}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetProxyPassword("lk", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AssumeRole(context.Background(), "lk", "qcs::cam::uin/100000000001:roleName/kmsdesk-test", "", 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if px.Served() != 1 || px.Refused() != 0 || px.Hosts()[0] != "kms.proxy.test:"+port {
		t.Fatalf("proxy served %d (refused %d) for %v; want the AssumeRole request", px.Served(), px.Refused(), px.Hosts())
	}
}
