package localkms

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// Limits of [Server.Serve] (docs/LOCAL-KMS.md, "Security model").
const (
	maxConnections    = 1024             // connections served at once; more wait to be accepted
	readHeaderTimeout = 10 * time.Second // to send the request line and headers
	readTimeout       = 30 * time.Second // to send the whole request, body included
	writeTimeout      = 60 * time.Second // from the end of the headers to the end of the answer
	idleTimeout       = 60 * time.Second // between two requests on a kept-alive connection
	maxHeaderBytes    = 16 << 10         // request line and headers (net/http adds 4 KiB of slack)
	shutdownTimeout   = 5 * time.Second  // in-flight requests get this long after ctx ends
)

// Serve serves the API over HTTP on ln, or over HTTPS when tlsConfig is set,
// until ctx is cancelled; it then stops accepting connections, gives in-flight
// requests up to 5 s, and returns nil. Serve closes ln.
//
// Serve bounds what clients can hold: at most 1024 connections at once (further
// ones wait to be accepted), 10 s and 16 KiB for the request headers, 30 s for
// the whole request, 60 s to write the answer and 60 s of idleness between
// requests. ServeHTTP adds the limits on request bodies.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	// inflight counts requests being answered: at shutdown, connections that carry
	// none (a client's spare connection that never sent a request is "new", not
	// "idle", to net/http for 5 s) may be cut; a request may not.
	var inflight atomic.Int64
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			defer inflight.Add(-1)
			s.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		TLSConfig:         tlsConfig,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln = netutil.LimitListener(ln, maxConnections)
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		n := inflight.Load()
		hs.Close()
		<-errc // Serve's own answer (ErrServerClosed): taken here, once
		if n > 0 {
			return fmt.Errorf("shut down: %d requests cut: %w", n, err)
		}
		return nil // only connections without a request were cut
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
