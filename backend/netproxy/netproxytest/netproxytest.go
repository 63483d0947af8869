// Package netproxytest starts an HTTP proxy on a loopback port for a test. It
// forwards plain requests (absolute-form, as clients send http:// requests to a
// proxy) and tunnels CONNECT (https://), counts what it served, can require Basic
// credentials, and can send every request to one address whatever host it names: a
// test then uses a host name that does not resolve ("kms.proxy.test"), and a request
// that succeeds proves it went through the proxy.
//
//	lk := localkmstest.Start(t, localkmstest.Loopback())
//	px := netproxytest.Start(t, netproxytest.Upstream(lk.Host()))
//	// a client with proxy px.URL and endpoint "http://kms.proxy.test" reaches lk.
package netproxytest

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// Proxy is a running test proxy.
type Proxy struct {
	// URL is "http://127.0.0.1:PORT".
	URL string

	upstream   string
	user, pass string
	transport  *http.Transport // forwards plain requests, never through a proxy

	mu      sync.Mutex
	served  int      // requests forwarded and tunnels opened
	refused int      // requests answered 407
	hosts   []string // the hosts asked for, in order
	conns   []net.Conn
}

// An Option changes how [Start] starts the proxy.
type Option func(*Proxy)

// Auth makes the proxy require Basic credentials (Proxy-Authorization); requests
// without them get 407.
func Auth(user, pass string) Option {
	return func(p *Proxy) { p.user, p.pass = user, pass }
}

// Upstream sends every request and tunnel to addr ("127.0.0.1:9000") whatever host
// it names.
func Upstream(addr string) Option {
	return func(p *Proxy) { p.upstream = addr }
}

// Start starts a proxy on a loopback port; the test's cleanup stops it and closes
// every tunnel.
func Start(t testing.TB, opts ...Option) *Proxy {
	t.Helper()
	p := &Proxy{transport: &http.Transport{}}
	for _, o := range opts {
		o(p)
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		p.transport.CloseIdleConnections()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

// Served returns how many requests the proxy forwarded plus how many tunnels it opened.
func (p *Proxy) Served() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served
}

// Refused returns how many requests were refused for missing or wrong credentials.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Hosts returns the hosts clients asked the proxy for (host:port of CONNECT, the
// URL's host of plain requests), in order.
func (p *Proxy) Hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.hosts)
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.user != "" && r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.pass)) {
		p.mu.Lock()
		p.refused++
		p.mu.Unlock()
		w.Header().Set("Proxy-Authenticate", `Basic realm="test"`)
		http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
		return
	}
	host := r.Host
	if r.Method != http.MethodConnect {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		host = r.URL.Host
	}
	p.mu.Lock()
	p.served++
	p.hosts = append(p.hosts, host)
	p.mu.Unlock()
	dest := host
	if p.upstream != "" {
		dest = p.upstream
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, dest)
		return
	}
	p.forward(w, r, dest)
}

// tunnel answers CONNECT and copies bytes both ways between the client and dest.
func (p *Proxy) tunnel(w http.ResponseWriter, dest string) {
	up, err := net.Dial("tcp", dest)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	}
	down, rw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, up, down)
	p.mu.Unlock()
	if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		up.Close()
		down.Close()
		return
	}
	go func() {
		defer up.Close()
		_, _ = io.Copy(up, rw) // rw holds what the client sent after CONNECT
	}()
	go func() {
		defer down.Close()
		_, _ = io.Copy(down, up)
	}()
}

// forward sends a plain proxied request to dest and copies the answer back.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, dest string) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Host = dest
	out.Header.Del("Proxy-Authorization")
	out.Header.Del("Proxy-Connection")
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// Silent starts a loopback server that accepts connections and never answers, as a
// KMS behind a broken network path does. It returns "http://127.0.0.1:PORT" and a
// channel that gets a value for each accepted connection (a test waits on it to know
// its request is on the wire). The test's cleanup closes everything.
func Silent(t testing.TB) (url string, accepted <-chan struct{}) {
	t.Helper()
	acc := make(chan struct{}, 64)
	addr := listen(t, func(_ net.Conn, stop <-chan struct{}) {
		select {
		case acc <- struct{}{}:
		default:
		}
		<-stop // held open, never read or answered
	})
	return "http://" + addr, acc
}

// listen starts a loopback TCP server that hands each connection to handle in a
// goroutine of its own. At the test's cleanup the listener closes, stop closes, every
// connection is closed (so handlers blocked on one return) and every handler is waited
// for.
func listen(t testing.TB, handle func(c net.Conn, stop <-chan struct{})) (addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-stop
				c.Close()
			}()
			go func() {
				defer wg.Done()
				handle(c, stop)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		close(stop)
		wg.Wait()
	})
	return ln.Addr().String()
}
