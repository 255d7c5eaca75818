package service

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"webapp/imds"
)

// newTestService writes its log only on flush (its interval is an hour), so tests see every write.
func newTestService(logs io.Writer) *Service {
	s := newService(Options{
		Build:  Build{Name: "webapp", Version: "v1.2.3", Commit: "abc123"},
		Lookup: func() imds.Identity { return imds.Identity{InstanceID: "i-0abc", AvailabilityZone: "eu-west-1a"} },
		Log:    logs,
	}, time.Hour)
	s.started = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return s.started.Add(90 * time.Second) }
	return s
}

// flush waits for the log's writer to have written everything queued.
func flush(t *testing.T, svc *Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !svc.Flush(ctx) {
		t.Fatal("the log was not written within 10 s")
	}
}

func do(t *testing.T, h http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not the expected JSON: %v", err)
	}
	return v
}

func TestInfoReportsBuildInstanceUptimeAndTime(t *testing.T) {
	rec := do(t, newTestService(&bytes.Buffer{}).Handler(), http.MethodGet, "/api/v1/info", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	got := decode[InfoResponse](t, rec)
	want := InfoResponse{Service: "webapp", Version: "v1.2.3", Commit: "abc123", InstanceID: "i-0abc", AvailabilityZone: "eu-west-1a", UptimeSeconds: 90, ServerTime: "2026-01-01T00:01:30Z", LogLinesDropped: 0}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestEveryResponseIsJSON(t *testing.T) {
	h := newTestService(&bytes.Buffer{}).Handler()
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/info"}, {"GET", "/api/v1/health/live"}, {"GET", "/api/v1/health/ready"},
		{"GET", "/nope"}, {"POST", "/api/v1/info"}, {"DELETE", "/api/v1/health/ready"},
	} {
		rec := do(t, h, c.method, c.path, nil)
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %s: body %q is not JSON", c.method, c.path, rec.Body.String())
		}
	}
}

func TestUnknownPathIs404WithAJSONError(t *testing.T) {
	rec := do(t, newTestService(&bytes.Buffer{}).Handler(), http.MethodGet, "/api/v2/nothing", map[string]string{RequestIDHeader: "req-1"})
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	body := decode[ErrorResponse](t, rec)
	if body.Error.Status != 404 || body.Error.RequestID != "req-1" || !strings.Contains(body.Error.Message, "/api/v2/nothing") {
		t.Fatalf("body %+v", body)
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	rec := do(t, newTestService(&bytes.Buffer{}).Handler(), http.MethodPost, "/api/v1/info", nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status %d", rec.Code)
	}
	if allow := rec.Header().Get("Allow"); allow != "GET, HEAD" {
		t.Fatalf("Allow %q", allow)
	}
	if body := decode[ErrorResponse](t, rec); body.Error.Status != 405 {
		t.Fatalf("body %+v", body)
	}
}

func TestReadinessFollowsTheReadyState(t *testing.T) {
	s := newTestService(&bytes.Buffer{})
	h := s.Handler()
	if rec := do(t, h, "GET", "/api/v1/health/ready", nil); rec.Code != 200 || decode[HealthResponse](t, rec).Status != "ready" {
		t.Fatalf("ready: %d %s", rec.Code, rec.Body.String())
	}
	s.SetReady(false)
	if rec := do(t, h, "GET", "/api/v1/health/ready", nil); rec.Code != 503 || decode[HealthResponse](t, rec).Status != "draining" {
		t.Fatalf("draining: %d %s", rec.Code, rec.Body.String())
	}
	if rec := do(t, h, "GET", "/api/v1/health/live", nil); rec.Code != 200 {
		t.Fatalf("liveness must stay 200 while draining, got %d", rec.Code)
	}
}

func TestRequestIDIsKeptWhenValidAndMadeOtherwise(t *testing.T) {
	h := newTestService(&bytes.Buffer{}).Handler()
	if got := do(t, h, "GET", "/api/v1/health/live", map[string]string{RequestIDHeader: "abc-123"}).Header().Get(RequestIDHeader); got != "abc-123" {
		t.Fatalf("kept id: %q", got)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 129)} {
		got := do(t, h, "GET", "/api/v1/health/live", map[string]string{RequestIDHeader: bad}).Header().Get(RequestIDHeader)
		if len(got) != 32 || got == bad {
			t.Fatalf("for %q got id %q, want a fresh 32-hex id", bad, got)
		}
	}
}

func TestAccessLogIsOneJSONObjectPerRequest(t *testing.T) {
	var logs bytes.Buffer
	svc := newTestService(&logs)
	h := svc.Handler()
	do(t, h, "GET", "/api/v1/info", map[string]string{RequestIDHeader: "r1"})
	do(t, h, "GET", "/missing", map[string]string{RequestIDHeader: "r2"})
	flush(t, svc)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines: %q", len(lines), logs.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &entry); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"msg": "request", "method": "GET", "path": "/missing", "status": float64(404), "request_id": "r2"} {
		if entry[k] != want {
			t.Errorf("%s = %v, want %v", k, entry[k], want)
		}
	}
	if _, ok := entry["duration_ms"]; !ok {
		t.Error("no duration_ms")
	}
}

// Behind the ALB the peer is a load balancer node; the client is in X-Forwarded-For, which the ALB
// appends to. Only a trusted peer's header is believed, and only its trusted part.
func TestTheClientAddressComesFromXForwardedForOnlyThroughTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("10.0.1.0/24")}
	cases := []struct {
		name    string
		proxies []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"a load balancer node forwards a client", trusted, "10.0.0.5:4711", []string{"203.0.113.7"}, "203.0.113.7"},
		{"an untrusted peer cannot claim an address", trusted, "198.51.100.1:4711", []string{"203.0.113.7"}, "198.51.100.1"},
		{"what the client wrote before the balancer's entry is not believed", trusted, "10.0.0.5:4711", []string{"192.0.2.66, 203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies is walked", trusted, "10.0.0.5:4711", []string{"203.0.113.7, 10.0.1.9"}, "203.0.113.7"},
		{"repeated header lines read as one list", trusted, "10.0.0.5:4711", []string{"192.0.2.66", "203.0.113.7"}, "203.0.113.7"},
		{"an IPv6 client", trusted, "10.0.0.5:4711", []string{"2001:db8::7"}, "2001:db8::7"},
		{"a trusted peer without the header", trusted, "10.0.0.5:4711", nil, "10.0.0.5"},
		{"garbage stops the walk at the last address read", trusted, "10.0.0.5:4711", []string{"203.0.113.7, not-an-address, 10.0.1.9"}, "10.0.1.9"},
		{"nothing trusted: the header is ignored", nil, "10.0.0.5:4711", []string{"203.0.113.7"}, "10.0.0.5"},
		{"an IPv4-mapped peer is matched as IPv4", trusted, "[::ffff:10.0.0.5]:4711", []string{"203.0.113.7"}, "203.0.113.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// GIVEN a service that trusts c.proxies
			var logs bytes.Buffer
			svc := newService(Options{Build: Build{Name: "webapp"}, Log: &logs, TrustedProxies: c.proxies}, time.Hour)
			// WHEN a request comes from c.peer with c.xff
			req := httptest.NewRequest("GET", "/api/v1/health/live", nil)
			req.RemoteAddr = c.peer
			for _, v := range c.xff {
				req.Header.Add(ForwardedForHeader, v)
			}
			svc.Handler().ServeHTTP(httptest.NewRecorder(), req)
			flush(t, svc)
			// THEN the access log names c.want
			if got := logLines(t, logs.String())[0]["remote"]; got != c.want {
				t.Fatalf("remote logged as %q, want %q", got, c.want)
			}
		})
	}
}
