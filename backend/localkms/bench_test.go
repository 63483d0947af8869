package localkms

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// benchClients is the number of concurrent SDK clients of the loopback benchmark.
const benchClients = 64

// BenchmarkEncryptLoopback64 measures signed Encrypt round trips from 64
// concurrent official SDK clients to ServeHTTP over loopback TCP, and reports
// requests per second and the 99th-percentile latency. Any error fails it.
//
//	go test -run '^$' -bench EncryptLoopback64 -benchtime 40000x ./backend/localkms/
func BenchmarkEncryptLoopback64(b *testing.B) {
	srv, err := Open(Options{DataDir: b.TempDir(), MasterKey: MasterKeyFile})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cred, err := srv.CreateCredential("bench")
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	endpoint := strings.TrimPrefix(hs.URL, "http://")

	clients := make([]*kms.Client, benchClients)
	for i := range clients {
		cpf := profile.NewClientProfile()
		cpf.HttpProfile.Scheme = "HTTP"
		cpf.HttpProfile.Endpoint = endpoint
		c, err := kms.NewClient(common.NewCredential(cred.SecretID, cred.SecretKey), "ap-guangzhou", cpf)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	req := kms.NewCreateKeyRequest()
	req.Alias = sp("bench")
	resp, err := clients[0].CreateKey(req)
	if err != nil {
		b.Fatal(err)
	}
	keyID := *resp.Response.KeyId
	plaintext := b64([]byte("a 32-byte secret for benchmarks"))

	// Warm every client's connection.
	encrypt := func(c *kms.Client) error {
		r := kms.NewEncryptRequest()
		r.KeyId = sp(keyID)
		r.Plaintext = sp(plaintext)
		_, err := c.Encrypt(r)
		return err
	}
	for _, c := range clients {
		if err := encrypt(c); err != nil {
			b.Fatal(err)
		}
	}

	var (
		next    atomic.Int64
		errs    atomic.Int64
		firstMu sync.Mutex
		first   error
		wg      sync.WaitGroup
	)
	lat := make([][]time.Duration, benchClients)
	b.ResetTimer()
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			local := make([]time.Duration, 0, b.N/benchClients+1)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := encrypt(clients[i]); err != nil {
					errs.Add(1)
					firstMu.Lock()
					if first == nil {
						first = err
					}
					firstMu.Unlock()
					continue
				}
				local = append(local, time.Since(t0))
			}
			lat[i] = local
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := errs.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", n, b.N, first)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	p99 := all[(len(all)*99)/100]
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkEncryptInProcess measures Encrypt through Transport (no socket) from
// one SDK client per goroutine.
func BenchmarkEncryptInProcess(b *testing.B) {
	srv, err := Open(Options{DataDir: b.TempDir(), MasterKey: MasterKeyFile})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cred, err := srv.CreateCredential("bench")
	if err != nil {
		b.Fatal(err)
	}
	newClient := func() *kms.Client {
		cpf := profile.NewClientProfile()
		c, err := kms.NewClient(common.NewCredential(cred.SecretID, cred.SecretKey), "ap-guangzhou", cpf)
		if err != nil {
			b.Fatal(err)
		}
		c.WithHttpTransport(srv.Transport())
		return c
	}
	req := kms.NewCreateKeyRequest()
	req.Alias = sp("bench")
	resp, err := newClient().CreateKey(req)
	if err != nil {
		b.Fatal(err)
	}
	keyID := *resp.Response.KeyId
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := newClient()
		for pb.Next() {
			r := kms.NewEncryptRequest()
			r.KeyId = sp(keyID)
			r.Plaintext = sp("aGVsbG8=")
			if _, err := c.Encrypt(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

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
			_, _, out := srv.handleHTTP(ctx, http.MethodPost, "kms.tencentcloudapi.com", "/", "", header, body)
			if bytes.Contains(out, []byte(`"Error"`)) {
				b.Fatalf("error reply: %s", out)
			}
		}
	})
}
