package service

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
	svc := New(Options{Build: Build{Name: "webapp"}, Log: io.Discard})
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
	svc := New(Options{Build: Build{Name: "webapp"}, Log: io.Discard})
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

// waitForDrain polls readiness on a connection of its own until it answers 503.
func waitForDrain(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if code, err := get(t, "http://"+addr+"/api/v1/health/ready"); err == nil && code == 503 {
			return
		}
	}
	t.Fatal("readiness did not turn 503 within 5 s of the stop")
}

// The race behind dropped requests at full load: the load balancer holds a keep-alive connection
// that is idle at the instant of SIGTERM and sends its next request on it before its health checks
// have taken the instance out. That request must be served, and the response must tell the
// balancer to open a new connection next time.
func TestAConnectionIdleAtSIGTERMServesItsNextRequest(t *testing.T) {
	// GIVEN a keep-alive connection that served one request and is idle
	svc := New(Options{Build: Build{Name: "webapp"}, Log: io.Discard})
	// A drain long enough for a busy machine to get the request in before it ends.
	addr, stop, done := startServe(t, svc, Release{Drain: 2 * time.Second, ShutdownTimeout: time.Second})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reader := bufio.NewReader(conn)
	if res := rawGet(t, conn, reader, "/api/v1/health/live"); res.Close {
		t.Fatal("before the drain the server closes keep-alive connections")
	}
	// WHEN the stop arrives while it is idle, and then a request comes on it
	stop()
	waitForDrain(t, addr)
	time.Sleep(50 * time.Millisecond)
	res := rawGet(t, conn, reader, "/api/v1/info")
	// THEN the request is served, with Connection: close, and the server then closes the connection
	if res.StatusCode != 200 || !res.Close {
		t.Fatalf("request on a connection idle at SIGTERM: %d, Connection: close %v; want 200 and close", res.StatusCode, res.Close)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := reader.ReadByte(); err != io.EOF {
		t.Fatalf("after a Connection: close answer the read gave %v, want EOF", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEveryResponseDuringTheDrainClosesItsConnection(t *testing.T) {
	svc := New(Options{Build: Build{Name: "webapp"}, Log: io.Discard})
	addr, stop, done := startServe(t, svc, Release{Drain: 2 * time.Second, ShutdownTimeout: time.Second})
	stop()
	waitForDrain(t, addr)
	for _, path := range []string{"/api/v1/info", "/api/v1/health/live", "/api/v1/health/ready", "/nope"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if res := rawGet(t, conn, bufio.NewReader(conn), path); !res.Close {
			t.Errorf("%s during the drain: %d without Connection: close", path, res.StatusCode)
		}
		conn.Close()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A sink nobody reads (stdout into a pipe whose reader hangs): requests, readiness and the whole
// release sequence go on; Serve returns within the drain and shutdown bounds.
func TestAPipeNobodyReadsHoldsUpNeitherRequestsNorTheStop(t *testing.T) {
	// GIVEN the log going into a real pipe that is never read (64 KiB of kernel buffer)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	svc := New(Options{Build: Build{Name: "webapp"}, Log: w})
	release := Release{Drain: 300 * time.Millisecond, ShutdownTimeout: time.Second}
	addr, stop, done := startServe(t, svc, release)
	// WHEN it serves far more than the pipe holds
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 3000; i++ {
		res, err := client.Get("http://" + addr + "/api/v1/info")
		if err != nil {
			t.Fatalf("request %d with the log pipe full: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	// THEN readiness still answers, and the stop completes within drain + shutdown
	if code, err := get(t, "http://"+addr+"/api/v1/health/ready"); err != nil || code != 200 {
		t.Fatalf("readiness with the log pipe full: %d %v", code, err)
	}
	start := time.Now()
	stop()
	bound := release.Drain + release.ShutdownTimeout + 500*time.Millisecond
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(bound):
		t.Fatalf("Serve did not return within %s of the stop while the log pipe was full", bound)
	}
	t.Logf("stopped %s after SIGTERM with the log pipe full", time.Since(start).Round(time.Millisecond))
}

func TestServeFlushesEveryAccessLogLineBeforeReturning(t *testing.T) {
	var logs syncBuffer
	svc := New(Options{Build: Build{Name: "webapp"}, Log: &logs})
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
	svc := New(Options{Build: Build{Name: "webapp"}, Log: &logs})
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

// rawRequest sends bytes as they are on a fresh connection and reads the answer.
func rawRequest(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %.60q: %v", request, err)
	}
	return res
}

// headerBlock is a GET request whose request line and headers take exactly n bytes.
func headerBlock(n int) string {
	head := "GET /api/v1/health/live HTTP/1.1\r\nHost: test\r\nX-Pad: "
	return head + strings.Repeat("a", n-len(head)-len("\r\n\r\n")) + "\r\n\r\n"
}

// Requests net/http refuses before any handler runs get the API's answer: JSON with a request id,
// and an access log line.
func TestRequestsTheServerRefusesGetJSONWithARequestIDAndALogLine(t *testing.T) {
	cases := []struct {
		name, request string
		status        int
		message       string
	}{
		{"headers over the limit", headerBlock(HeaderLimitBytes + 1), 431, "exceed 65536 bytes"},
		{"a malformed request line", "GARBAGE\r\n\r\n", 400, "Bad Request"},
		{"no Host header", "GET /api/v1/info HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
		{"an unknown transfer encoding", "POST /api/v1/info HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: rot13\r\n\r\n", 501, "Unsupported transfer encoding"},
		{"an unknown protocol version", "GET /api/v1/info HTTP/2.7\r\nHost: test\r\n\r\n", 505, "unsupported protocol version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// GIVEN a running service
			var logs syncBuffer
			svc := New(Options{Build: Build{Name: "webapp"}, Log: &logs})
			addr, stop, done := startServe(t, svc, Release{Drain: 0, ShutdownTimeout: time.Second})
			// WHEN it gets the request
			res := rawRequest(t, addr, c.request)
			// THEN the answer is the API's JSON error with a request id
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var body ErrorResponse
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatalf("body is not the JSON error: %v", err)
			}
			id := res.Header.Get(RequestIDHeader)
			if body.Error.Status != c.status || body.Error.RequestID != id || len(id) != 32 || !strings.Contains(body.Error.Message, c.message) {
				t.Fatalf("body %+v with %s %q; want status %d, the header's request id and a message with %q", body, RequestIDHeader, id, c.status, c.message)
			}
			// AND one access log line carries the status and the same request id
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			var line map[string]any
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var entry map[string]any
				if json.Unmarshal([]byte(l), &entry) == nil && entry["msg"] == "request" {
					line = entry
				}
			}
			if line == nil || line["status"] != float64(c.status) || line["request_id"] != id || line["remote"] != "127.0.0.1" {
				t.Fatalf("access log line %v; want status %d, request id %s, remote 127.0.0.1", line, c.status, id)
			}
		})
	}
}

// The limit is the ALB's, 64 KiB for the request line and all headers, to the byte.
func TestTheHeaderLimitIsExactly64KiB(t *testing.T) {
	svc := New(Options{Build: Build{Name: "webapp"}, Log: io.Discard})
	addr, stop, done := startServe(t, svc, Release{Drain: 0, ShutdownTimeout: time.Second})
	defer func() { stop(); <-done }()
	for size, want := range map[int]int{HeaderLimitBytes - 1: 200, HeaderLimitBytes: 200, HeaderLimitBytes + 1: 431} {
		if res := rawRequest(t, addr, headerBlock(size)); res.StatusCode != want {
			t.Errorf("request line and headers of %d bytes: %d, want %d", size, res.StatusCode, want)
		}
	}
}
