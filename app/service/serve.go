package service

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Timeouts of the HTTP server. IdleTimeout must exceed the load balancer's idle timeout (60 s on
// an ALB by default), or the balancer reuses a connection the server is closing and answers 502.
type Timeouts struct {
	ReadHeader time.Duration
	Read       time.Duration
	Write      time.Duration
	Idle       time.Duration
}

// DefaultTimeouts suit a JSON API behind an ALB with its default 60 s idle timeout. The API takes
// no request bodies, so the whole request gets what its headers get (one read deadline per
// request, not two).
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 5 * time.Second, Write: 15 * time.Second, Idle: 75 * time.Second}

// Release is the stop sequence: how long to keep serving after readiness is turned off (long
// enough for the load balancer to see the target unhealthy and deregister it), then how long
// in-flight requests get to finish.
type Release struct {
	Drain           time.Duration
	ShutdownTimeout time.Duration
}

// HeaderLimitBytes bounds the request line and headers of a request, as the ALB bounds all of a
// request's headers (64 KiB); larger requests get 431. net/http reads MaxHeaderBytes plus 4096
// bytes of slack before refusing, so MaxHeaderBytes is set that much lower. On a reused
// connection the bytes net/http has already buffered do not count: there up to 4 KiB more pass.
const HeaderLimitBytes = 64 << 10

// LogFlushInterval is how long a log line may wait in the buffer.
const LogFlushInterval = 100 * time.Millisecond

// NewServer returns an http.Server with every timeout and the header size limit set.
func NewServer(handler http.Handler, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    HeaderLimitBytes - 4096,
	}
}

// Serve serves on ln until ctx is done (SIGTERM), then releases gracefully:
//  1. readiness turns off, so the load balancer's health checks take the instance out;
//  2. for the drain period every request is still served, on the connection it came on, and each
//     response says Connection: close, so the balancer opens a fresh connection for its next
//     request instead of reusing this one. No connection is closed under the balancer: closing
//     idle keep-alive connections here would reset the next request the balancer sends on one;
//  3. Shutdown closes the connections left idle (the balancer no longer sends by then) and waits
//     for in-flight requests up to the shutdown timeout.
//
// The log never holds this up: Serve waits for the last log lines only within the shutdown
// timeout. Requests that net/http refuses before any handler runs (headers over the limit, a
// malformed request) get the API's JSON error and a log line (see refusingListener). It returns
// nil after a clean release.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, svc *Service, r Release) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(refusingListener{Listener: ln, svc: svc}) }()

	select {
	case err := <-served:
		return err // the listener failed before any stop was asked for
	case <-ctx.Done():
	}

	svc.SetReady(false)
	svc.Log("draining", map[string]any{"drain_seconds": r.Drain.Seconds()})
	time.Sleep(r.Drain)

	svc.Log("shutting down", map[string]any{"timeout_seconds": r.ShutdownTimeout.Seconds()})
	shutdownCtx, cancel := context.WithTimeout(context.Background(), r.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	svc.Log("stopped", nil)
	svc.Flush(shutdownCtx)
	return nil
}
