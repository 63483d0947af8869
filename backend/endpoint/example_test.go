package endpoint_test

import (
	"fmt"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
)

func ExampleParse() {
	for _, in := range []string{"KMS.TencentCloudAPI.com", "https://gw.example.com/kms/", "http://[::1]:9000"} {
		e, err := endpoint.Parse(in)
		if err != nil {
			panic(err)
		}
		// profile.HttpProfile.Scheme and .Endpoint of the Tencent Cloud SDK:
		fmt.Printf("%-28s %-5s %s\n", e, e.SDKScheme(), e.SDKEndpoint())
	}
	_, err := endpoint.Parse("https://admin:secret@kms.example")
	fmt.Println(err)
	// Output:
	// kms.tencentcloudapi.com      HTTPS kms.tencentcloudapi.com
	// https://gw.example.com/kms   HTTPS gw.example.com/kms
	// http://[::1]:9000            HTTP  [::1]:9000
	// parse endpoint "https://***@kms.example": must not contain user info ('@')
}

func ExampleTencentCloud() {
	for _, region := range []string{"ap-guangzhou", "ap-shanghai-fsi"} {
		kms, _ := endpoint.TencentCloud(endpoint.ServiceKMS, endpoint.SiteChina, region)
		sts, _ := kms.Sibling(endpoint.ServiceSTS)
		intl, _ := endpoint.TencentCloud(endpoint.ServiceKMS, endpoint.SiteIntl, region)
		fmt.Println(region, kms, sts, intl)
	}
	// Output:
	// ap-guangzhou kms.tencentcloudapi.com sts.tencentcloudapi.com kms.intl.tencentcloudapi.com
	// ap-shanghai-fsi kms.ap-shanghai-fsi.tencentcloudapi.com sts.ap-shanghai-fsi.tencentcloudapi.com kms.ap-shanghai-fsi.tencentcloudapi.com
}
