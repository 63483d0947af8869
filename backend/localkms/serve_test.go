package localkms_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// TestServeReturnsWhenAConnectionOutlivesShutdown: a client that has begun a
// request but not finished its headers keeps its connection active past the 5 s
// Serve gives in-flight work at shutdown. Serve must then cut it and return
// (it used to wait forever for a second answer of http.Server.Serve, and so did
// "kmsctl local serve" at Ctrl-C and every test that served on loopback).
func TestServeReturnsWhenAConnectionOutlivesShutdown(t *testing.T) {
	t.Parallel()
	srv, err := localkms.Open(localkms.Options{DataDir: t.TempDir(), MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// The server has read the bytes once it answers a complete request on another
	// connection: then the first connection is active, not new or idle.
	probe, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(probe, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(probe); err != nil {
		t.Fatal(err)
	}
	probe.Close()

	started := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v, want nil (no request was cut)", err)
		}
		t.Logf("Serve returned %v after the cancel", time.Since(started).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return 30 s after its context ended (5 s are given to in-flight requests)")
	}
	// The cut connection is closed by the server.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("the unfinished connection was not closed: %v", err)
	}
}
