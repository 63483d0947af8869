package localkms

import (
	"bytes"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

func TestSmoke(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("smoke")
		blob := e.mustEncrypt(id, []byte("hello"), `{"b":"2","a":"1"}`)
		t.Log(blob)
		pt, kid, err := e.decrypt(blob, `{"a":"1","b":"2"}`)
		must(t, err)
		if !bytes.Equal(pt, []byte("hello")) || kid != id {
			t.Fatal("mismatch")
		}
		_, _, err = e.decrypt(blob, `{"a":"1"}`)
		wantCode(t, err, codeInvalidCiphertext)
		req := kms.NewListKeysRequest()
		_, err = e.kms().ListKeys(req)
		must(t, err)
		g := e.kms(func(p *profile.ClientProfile) { p.HttpProfile.ReqMethod = "GET" })
		r2 := kms.NewDescribeKeysRequest()
		r2.KeyIds = []*string{sp(id)}
		resp, err := g.DescribeKeys(r2)
		must(t, err)
		t.Log(resp.ToJsonString())
	})
}
