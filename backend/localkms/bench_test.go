package localkms

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkServerEncrypt measures the server side alone: one signed Encrypt
// request (verification, decoding, AES-GCM, response) through handleHTTP,
// without an SDK or a socket.
func BenchmarkServerEncrypt(b *testing.B) {
	srv, err := Open(Options{DataDir: b.TempDir(), MasterKey: MasterKeyFile})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cred, err := srv.CreateCredential("bench")
	if err != nil {
		b.Fatal(err)
	}
	k, ae := srv.createKey(keySpec{region: "ap-guangzhou", alias: "bench", usage: usageEncryptDecrypt, origin: originTencent, state: stateEnabled})
	if ae != nil {
		b.Fatal(ae)
	}
	body := []byte(`{"KeyId":"` + k.rec.KeyID + `","Plaintext":"YSAzMi1ieXRlIHNlY3JldCBmb3IgYmVuY2htYXJrcw=="}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	date := time.Now().UTC().Format("2006-01-02")
	canonical := "POST\n/\n\ncontent-type:application/json\nhost:kms.tencentcloudapi.com\n\ncontent-type;host\n" + hexSHA256(string(body))
	scope := date + "/kms/tc3_request"
	sig := tc3Sign(cred.SecretKey, "kms", date, "TC3-HMAC-SHA256\n"+ts+"\n"+scope+"\n"+hexSHA256(canonical))
	header := http.Header{
		"Authorization":  {"TC3-HMAC-SHA256 Credential=" + cred.SecretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" + sig},
		"Content-Type":   {"application/json"},
		"X-Tc-Action":    {"Encrypt"},
		"X-Tc-Version":   {kmsVersion},
		"X-Tc-Timestamp": {ts},
		"X-Tc-Region":    {"ap-guangzhou"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _, out := srv.handleHTTP(ctx, inMemoryRequest(http.MethodPost, "kms.tencentcloudapi.com", "/", "", header, body))
			if bytes.Contains(out, []byte(`"Error"`)) {
				b.Fatalf("error reply: %s", out)
			}
		}
	})
}
