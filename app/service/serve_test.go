package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
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

// syncBuffer is a log sink the server goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs Serve on a loopback port; stop() is the SIGTERM.
func startServe(t *testing.T, svc *Service, r Release) (addr string, stop func(), done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- Serve(ctx, NewServer(svc.Handler(), DefaultTimeouts), ln, svc, r) }()
	return ln.Addr().String(), cancel, done
}

// rawGet sends one HTTP/1.1 request on conn and reads its response.
func rawGet(t *testing.T, conn net.Conn, reader *bufio.Reader, path string) *http.Response {
	t.Helper()
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// A client talking to the instance directly (no load balancer) keeps its connection open; when the
// drain starts the server closes it while idle and answers every later request with
// Connection: close, so no request meets a connection closed under it at shutdown.
func TestDrainTurnsKeepAlivesOff(t *testing.T) {
	svc := New(Build{Name: "webapp"}, nil, io.Discard)
	addr, stop, done := startServe(t, svc, Release{Drain: 800 * time.Millisecond, ShutdownTimeout: time.Second})
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	idleReader := bufio.NewReader(idle)
	if res := rawGet(t, idle, idleReader, "/api/v1/health/live"); res.Close {
		t.Fatal("before the drain the server closes keep-alive connections")
	}

	stop()
	time.Sleep(100 * time.Millisecond)
	_ = idle.SetReadDeadline(time.Now().Add(300 * time.Millisecond)) // well inside the 800ms drain
	if _, err := idleReader.ReadByte(); err != io.EOF {
		t.Fatalf("idle keep-alive connection at drain start: read gave %v, want EOF (closed by the server)", err)
	}
	fresh, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	res := rawGet(t, fresh, bufio.NewReader(fresh), "/api/v1/health/live")
	if res.StatusCode != 200 || !res.Close {
		t.Fatalf("request during the drain: %d, Connection: close %v; want 200 and close", res.StatusCode, res.Close)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestServeFlushesEveryAccessLogLineBeforeReturning(t *testing.T) {
	var logs syncBuffer
	svc := New(Build{Name: "webapp"}, nil, &logs)
	addr, stop, done := startServe(t, svc, Release{Drain: 0, ShutdownTimeout: time.Second})
	for i := 0; i < 25; i++ {
		if code, err := get(t, "http://"+addr+"/api/v1/health/live"); err != nil || code != 200 {
			t.Fatal(code, err)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), `"msg":"request"`); n != 25 {
		t.Fatalf("%d request lines after Serve returned, want 25", n)
	}
}

func TestServeFlushesTheLogWhileRunning(t *testing.T) {
	var logs syncBuffer
	svc := New(Build{Name: "webapp"}, nil, &logs)
	addr, stop, done := startServe(t, svc, Release{Drain: 0, ShutdownTimeout: time.Second})
	defer func() { stop(); <-done }()
	if _, err := get(t, "http://"+addr+"/api/v1/health/live"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * LogFlushInterval)
	if !strings.Contains(logs.String(), `"msg":"request"`) {
		t.Fatalf("after %s the line is still buffered", 3*LogFlushInterval)
	}
}

func TestOversizedRequestHeadersAreRefused(t *testing.T) {
	svc := New(Build{Name: "webapp"}, nil, io.Discard)
	addr, stop, done := startServe(t, svc, Release{Drain: 0, ShutdownTimeout: time.Second})
	defer func() { stop(); <-done }()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res := rawGet(t, conn, bufio.NewReader(conn), "/"+strings.Repeat("a", 1<<20))
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("1 MB URL: %d, want 431", res.StatusCode)
	}
}
