package service

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, error) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// The release sequence: on stop, readiness fails first; requests in flight and requests that
// arrive during the drain all complete with 200; then the server shuts down and Serve returns nil.
func TestServeReleasesWithoutDroppingRequests(t *testing.T) {
	svc := New(Build{Name: "webapp"}, nil, io.Discard)
	slowStarted := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", svc.Handler())
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(slowStarted)
		time.Sleep(700 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, NewServer(mux, DefaultTimeouts), ln, svc, Release{Drain: 500 * time.Millisecond, ShutdownTimeout: 5 * time.Second})
	}()

	if code, err := get(t, base+"/api/v1/health/ready"); err != nil || code != 200 {
		t.Fatalf("before stop: ready %d %v", code, err)
	}
	slow := make(chan int, 1)
	go func() {
		code, err := get(t, base+"/slow")
		if err != nil {
			code = -1
		}
		slow <- code
	}()
	<-slowStarted

	stop() // SIGTERM
	time.Sleep(50 * time.Millisecond)
	if code, err := get(t, base+"/api/v1/health/ready"); err != nil || code != 503 {
		t.Fatalf("during drain: ready %d %v, want 503", code, err)
	}
	if code, err := get(t, base+"/api/v1/info"); err != nil || code != 200 {
		t.Fatalf("request arriving during drain: %d %v, want 200", code, err)
	}
	if code := <-slow; code != 200 {
		t.Fatalf("request in flight at SIGTERM: %d, want 200", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if _, err := get(t, base+"/api/v1/info"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

func TestServeKeepsServingForTheWholeDrain(t *testing.T) {
	svc := New(Build{Name: "webapp"}, nil, io.Discard)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, NewServer(svc.Handler(), DefaultTimeouts), ln, svc, Release{Drain: 600 * time.Millisecond, ShutdownTimeout: time.Second})
	}()
	stop()
	start := time.Now()
	for time.Since(start) < 450*time.Millisecond {
		if code, err := get(t, "http://"+ln.Addr().String()+"/api/v1/health/live"); err != nil || code != 200 {
			t.Fatalf("at %s into the drain: %d %v", time.Since(start), code, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 550*time.Millisecond {
		t.Fatalf("returned after %s, before the 600ms drain ended", elapsed)
	}
}

func TestServerHasEveryTimeoutSet(t *testing.T) {
	srv := NewServer(http.NotFoundHandler(), DefaultTimeouts)
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Fatalf("timeouts %+v", srv)
	}
	if srv.IdleTimeout <= 60*time.Second {
		t.Fatalf("idle timeout %s must exceed the ALB's 60s", srv.IdleTimeout)
	}
}
