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

// DefaultTimeouts suit a JSON API behind an ALB with its default 60 s idle timeout.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 15 * time.Second, Write: 15 * time.Second, Idle: 75 * time.Second}

// Release is the stop sequence: how long to keep serving after readiness is turned off (long
// enough for the load balancer to see the target unhealthy and deregister it), then how long
// in-flight requests get to finish.
type Release struct {
	Drain           time.Duration
	ShutdownTimeout time.Duration
}

// MaxHeaderBytes bounds the request line and headers; larger requests get 431. It matches the
// ALB's own limit on all headers (64 KiB), far below Go's default of 1 MiB.
const MaxHeaderBytes = 64 << 10

// LogFlushInterval is how long an access log line may wait in the buffer while Serve runs.
const LogFlushInterval = 100 * time.Millisecond

// NewServer returns an http.Server with every timeout and the header size limit set.
func NewServer(handler http.Handler, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// Serve serves on ln until ctx is done (SIGTERM), then releases gracefully: readiness off and
// keep-alives off first (idle connections close, each later response says Connection: close, so
// clients reconnect instead of losing a request on a connection closed at shutdown), every request
// still served for the drain period, then Shutdown waits for in-flight requests up to the shutdown
// timeout. The access log is flushed every LogFlushInterval and once more before Serve returns.
// It returns nil after a clean release.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, svc *Service, r Release) error {
	stopFlushing := make(chan struct{})
	go func() {
		tick := time.NewTicker(LogFlushInterval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				svc.Flush()
			case <-stopFlushing:
				return
			}
		}
	}()
	defer func() {
		close(stopFlushing)
		svc.Flush()
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err // the listener failed before any stop was asked for
	case <-ctx.Done():
	}

	svc.SetReady(false)
	srv.SetKeepAlivesEnabled(false)
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
	return nil
}
