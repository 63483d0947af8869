package endpoint_test

import (
	"errors"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/regions"
)

// sdkRegions is every region constant of the SDK (common/regions).
var sdkRegions = []string{
	regions.Bangkok, regions.Beijing, regions.Chengdu, regions.Chongqing, regions.Guangzhou,
	regions.GuangzhouOpen, regions.HongKong, regions.Jakarta, regions.Mumbai, regions.Seoul,
	regions.Shanghai, regions.Nanjing, regions.ShanghaiFSI, regions.ShenzhenFSI, regions.Singapore,
	regions.Tokyo, regions.Frankfurt, regions.Moscow, regions.Ashburn, regions.SiliconValley,
	regions.Toronto, regions.SaoPaulo,
}

func TestTencentCloudEverySDKRegion(t *testing.T) {
	fsi := map[string]bool{regions.ShanghaiFSI: true, regions.ShenzhenFSI: true}
	for _, region := range sdkRegions {
		t.Run(region, func(t *testing.T) { checkTencentRegion(t, region, fsi[region]) })
	}
}

// checkTencentRegion checks every endpoint KMS Desk derives for one region: nearest
// host on both sites unless the region is a financial zone, then the regional host;
// STS derived from KMS is the STS endpoint of the same place.
func checkTencentRegion(t *testing.T, region string, financial bool) {
	t.Helper()
	if !endpoint.ValidRegion(region) {
		t.Fatalf("ValidRegion(%q) = false", region)
	}
	if endpoint.IsFinancialRegion(region) != financial {
		t.Fatalf("IsFinancialRegion(%q) = %v, want %v", region, !financial, financial)
	}
	for _, site := range []endpoint.Site{endpoint.SiteChina, endpoint.SiteIntl, ""} {
		for _, service := range []string{endpoint.ServiceKMS, endpoint.ServiceSTS} {
			want := service + ".tencentcloudapi.com"
			switch {
			case financial:
				want = service + "." + region + ".tencentcloudapi.com"
			case site == endpoint.SiteIntl:
				want = service + ".intl.tencentcloudapi.com"
			}
			got, err := endpoint.TencentCloud(service, site, region)
			if err != nil || got.String() != want || got.SDKScheme() != "HTTPS" || !got.IsTencentCloud() {
				t.Fatalf("TencentCloud(%q, %q, %q) = %q, %v; want %q", service, site, region, got, err, want)
			}
			if again := endpoint.MustParse(want); again != got {
				t.Fatalf("TencentCloud gave %+v, Parse(%q) gives %+v", got, want, again)
			}
		}
		kms, _ := endpoint.TencentCloud(endpoint.ServiceKMS, site, region)
		sts, _ := endpoint.TencentCloud(endpoint.ServiceSTS, site, region)
		if got, err := kms.Sibling(endpoint.ServiceSTS); err != nil || got != sts {
			t.Fatalf("%q.Sibling(sts) = %q, %v; want %q", kms, got, err, sts)
		}
	}
	regional, err := endpoint.Regional(endpoint.ServiceKMS, region)
	if want := "kms." + region + ".tencentcloudapi.com"; err != nil || regional.String() != want {
		t.Fatalf("Regional(kms, %q) = %q, %v; want %q", region, regional, err, want)
	}
	if got, _ := regional.Sibling(endpoint.ServiceSTS); got.String() != "sts."+region+".tencentcloudapi.com" {
		t.Fatalf("%q.Sibling(sts) = %q", regional, got)
	}
}

func TestTencentCloudNearestRegion(t *testing.T) {
	for site, want := range map[endpoint.Site]string{
		endpoint.SiteChina: "kms.tencentcloudapi.com",
		"":                 "kms.tencentcloudapi.com",
		endpoint.SiteIntl:  "kms.intl.tencentcloudapi.com",
	} {
		if got, err := endpoint.TencentCloud(endpoint.ServiceKMS, site, ""); err != nil || got.String() != want {
			t.Errorf("TencentCloud(kms, %q, \"\") = %q, %v; want %q", site, got, err, want)
		}
	}
}

func TestTencentCloudRefuses(t *testing.T) {
	tests := []struct {
		name string
		call func() (endpoint.Endpoint, error)
	}{
		{"bad service", func() (endpoint.Endpoint, error) { return endpoint.TencentCloud("KMS", endpoint.SiteChina, "") }},
		{"service with dot", func() (endpoint.Endpoint, error) {
			return endpoint.TencentCloud("kms.x", endpoint.SiteChina, "ap-guangzhou")
		}},
		{"bad site", func() (endpoint.Endpoint, error) { return endpoint.TencentCloud("kms", "mars", "") }},
		{"bad region", func() (endpoint.Endpoint, error) {
			return endpoint.TencentCloud("kms", endpoint.SiteChina, "guangzhou")
		}},
		{"regional without region", func() (endpoint.Endpoint, error) { return endpoint.Regional("kms", "") }},
		{"regional bad service", func() (endpoint.Endpoint, error) { return endpoint.Regional("", "ap-guangzhou") }},
		{"sibling bad service", func() (endpoint.Endpoint, error) {
			return endpoint.MustParse("kms.tencentcloudapi.com").Sibling("sts.evil.com/")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.call()
			var pe *endpoint.Error
			if !errors.As(err, &pe) || pe.Op != "build endpoint" || !e.IsZero() {
				t.Fatalf("= %+v, %v; want a build endpoint error", e, err)
			}
		})
	}
}

func TestSibling(t *testing.T) {
	for in, want := range map[string]string{
		"kms.tencentcloudapi.com":                "sts.tencentcloudapi.com",
		"kms.intl.tencentcloudapi.com":           "sts.intl.tencentcloudapi.com",
		"kms.ap-guangzhou.tencentcloudapi.com":   "sts.ap-guangzhou.tencentcloudapi.com",
		"kms.internal.tencentcloudapi.com":       "sts.internal.tencentcloudapi.com",
		"https://kms.tencentcloudapi.com:443/x":  "sts.tencentcloudapi.com:443",
		"tencentcloudapi.com":                    "sts.tencentcloudapi.com",
		"tencentcloudapi.com.":                   "sts.tencentcloudapi.com.",
		"kms.tencentcloudapi.com.":               "sts.tencentcloudapi.com.",
		"https://kms.corp.example:8443":          "kms.corp.example:8443",
		"https://gw.example.com/kms":             "https://gw.example.com/kms",
		"http://127.0.0.1:9000":                  "http://127.0.0.1:9000",
		"kms.tencentcloudapi.com.corp.example":   "kms.tencentcloudapi.com.corp.example",
		"https://notencentcloudapi.com/kms-path": "https://notencentcloudapi.com/kms-path",
	} {
		got, err := endpoint.MustParse(in).Sibling(endpoint.ServiceSTS)
		if err != nil || got.String() != want {
			t.Errorf("%q.Sibling(sts) = %q, %v; want %q", in, got, err, want)
			continue
		}
		if again := endpoint.MustParse(got.String()); again != got {
			t.Errorf("Sibling gave %+v, which parses back as %+v", got, again)
		}
	}
}
