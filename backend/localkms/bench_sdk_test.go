package localkms_test

import (
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Benchmarks of the whole path, from official SDK clients to the server.

// benchClients is the number of concurrent SDK clients of the loopback benchmark.
const benchClients = 64

// newClient returns an official SDK client of lk.
func newClient(b *testing.B, lk *localkmstest.KMS) *kms.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = lk.Host()
	c, err := kms.NewClient(common.NewCredential(lk.SecretID, lk.SecretKey), lk.Region, cpf)
	if err != nil {
		b.Fatal(err)
	}
	if lk.Transport != nil {
		c.WithHttpTransport(lk.Transport)
	}
	return c
}

// encrypt sends one Encrypt request.
func encrypt(c *kms.Client, keyID, plaintext string) error {
	r := kms.NewEncryptRequest()
	r.KeyId = common.StringPtr(keyID)
	r.Plaintext = common.StringPtr(plaintext)
	_, err := c.Encrypt(r)
	return err
}

// BenchmarkEncryptLoopback64 measures signed Encrypt round trips from 64
// concurrent official SDK clients to ServeHTTP over loopback TCP, and reports
// requests per second and the 99th-percentile latency. Any error fails it.
//
//	go test -run '^$' -bench EncryptLoopback64 -benchtime 40000x ./backend/localkms/
func BenchmarkEncryptLoopback64(b *testing.B) {
	lk := localkmstest.Start(b, localkmstest.Loopback(), localkmstest.Keys("bench"))
	keyID := lk.KeyID("bench")
	plaintext := base64.StdEncoding.EncodeToString([]byte("a 32-byte secret for benchmarks"))
	clients := make([]*kms.Client, benchClients)
	for i := range clients {
		clients[i] = newClient(b, lk)
		if err := encrypt(clients[i], keyID, plaintext); err != nil { // warms the connection
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
				if err := encrypt(clients[i], keyID, plaintext); err != nil {
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
	lk := localkmstest.Start(b, localkmstest.Keys("bench"))
	keyID := lk.KeyID("bench")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := newClient(b, lk)
		for pb.Next() {
			if err := encrypt(c, keyID, "aGVsbG8="); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
