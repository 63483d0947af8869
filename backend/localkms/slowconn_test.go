package localkms_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"

	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// heapSampler records the largest HeapInuse seen until stop is called.
type heapSampler struct {
	mu   sync.Mutex
	max  uint64
	done chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			h.sample()
			select {
			case <-h.done:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.mu.Lock()
	h.max = max(h.max, ms.HeapInuse)
	h.mu.Unlock()
}

// stop ends the sampling and returns the largest HeapInuse seen.
func (h *heapSampler) stop() uint64 {
	close(h.done)
	h.wg.Wait()
	h.sample()
	return h.max
}

// TestSlowConnections holds 300 slow connections open against the server over
// loopback (100 that never finish their headers, 100 with an unknown SecretId
// and 100 with a known SecretId but no valid signature, the last two sending a
// 1 MiB body but its last byte), checks that the process heap stays under 100 MB
// and that a normal SDK request is still answered within a second.
func TestSlowConnections(t *testing.T) {
	const (
		perKind   = 100
		bodySize  = 1 << 20 // the largest body the server accepts
		heapLimit = 100 << 20
	)
	lk := localkmstest.Start(t, localkmstest.Loopback(), localkmstest.Keys("k"))
	addr := lk.Host()
	filler := make([]byte, 64<<10)
	for i := range filler {
		filler[i] = 'A'
	}
	request := func(secretID string) string {
		ts := time.Now().Unix()
		date := time.Unix(ts, 0).UTC().Format(time.DateOnly)
		return "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(bodySize) + "\r\n" +
			"Authorization: TC3-HMAC-SHA256 Credential=" + secretID + "/" + date + "/kms/tc3_request, SignedHeaders=content-type;host, Signature=" + fmt.Sprintf("%064x", 0) + "\r\n" +
			"X-TC-Action: Encrypt\r\nX-TC-Version: 2019-01-18\r\nX-TC-Timestamp: " + strconv.FormatInt(ts, 10) + "\r\n\r\n"
	}
	// open dials and sends head, then, when body is true, all of the body but
	// its last byte; a write failing because the server closed the connection
	// ends the sending.
	open := func(head string, body bool) (net.Conn, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, head); err != nil {
			return c, nil
		}
		for left := bodySize - 1; body && left > 0; {
			n, err := c.Write(filler[:min(left, len(filler))])
			if err != nil {
				return c, nil
			}
			left -= n
		}
		return c, nil
	}

	heap := startHeapSampler()
	clients := make([]net.Conn, 3*perKind)
	errs := make(chan error, len(clients))
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0: // headers never finished
				clients[i], err = open("POST / HTTP/1.1\r\nHost: "+addr+"\r\nX-TC-Action: Encr", false)
			case 1:
				clients[i], err = open(request("AKIDunknownunknownunknownunknown0000"), true)
			case 2:
				clients[i], err = open(request(lk.SecretID), true)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("slow client: %v", err)
	}
	t.Cleanup(func() {
		for _, c := range clients {
			c.Close()
		}
	})

	// A normal SDK request, while all of the above are connected.
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = addr
	cpf.HttpProfile.ReqTimeout = 5
	client, err := kms.NewClient(common.NewCredential(lk.SecretID, lk.SecretKey), lk.Region, cpf)
	if err != nil {
		t.Fatal(err)
	}
	req := kms.NewEncryptRequest()
	req.KeyId, req.Plaintext = common.StringPtr(lk.KeyID("k")), common.StringPtr("aGVsbG8=")
	start := time.Now()
	_, err = client.Encrypt(req)
	latency := time.Since(start)
	peak := heap.stop()
	if err != nil {
		t.Fatalf("normal request under load: %v", err)
	}
	t.Logf("heap in use at most %.1f MiB; normal request answered in %v", float64(peak)/(1<<20), latency)
	if peak > heapLimit {
		t.Errorf("heap in use reached %.1f MiB under %d slow connections (limit %d MiB)", float64(peak)/(1<<20), len(clients), heapLimit>>20)
	}
	if latency > time.Second {
		t.Errorf("normal request took %v under load", latency)
	}

	// Connections the server refused are answered and closed at once, not held
	// until a timeout; only slow headers and the few bodies admitted (16 MiB of
	// 1 MiB bodies) stay open.
	var held atomic.Int32
	deadline := time.Now().Add(2 * time.Second)
	for i, c := range clients {
		if i%3 == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(deadline)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				held.Add(1)
			} else if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d of %d connections with a body are still being read", held.Load(), 2*perKind)
	if held.Load() > 20 {
		t.Errorf("%d connections with a body are still held open", held.Load())
	}
}
