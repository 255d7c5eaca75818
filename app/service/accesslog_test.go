package service

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// countingWriter counts Write calls, as a file or the journal would count system calls.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

func logLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, line)
		}
		out = append(out, entry)
	}
	return out
}

func TestAccessLogIsWrittenInBatchesAndNothingIsLostOnFlush(t *testing.T) {
	var out countingWriter
	svc := newTestService(&bytes.Buffer{})
	svc.log.out = &out
	h := svc.Handler()
	for i := 0; i < 100; i++ {
		do(t, h, "GET", "/api/v1/health/live", nil)
	}
	if out.writes != 0 {
		t.Fatalf("%d writes before a flush; want 0 (lines wait in the buffer)", out.writes)
	}
	svc.Flush()
	if out.writes != 1 {
		t.Fatalf("%d writes for one flush of 100 lines, want 1", out.writes)
	}
	if n := len(logLines(t, out.String())); n != 100 {
		t.Fatalf("%d lines after the flush, want 100", n)
	}
}

func TestAccessLogGoesOutWithoutAFlushOnceTheBufferIsFull(t *testing.T) {
	var out countingWriter
	svc := newTestService(&bytes.Buffer{})
	svc.log.out = &out
	h := svc.Handler()
	for out.writes == 0 {
		do(t, h, "GET", "/api/v1/health/live", nil)
		if out.Len() == 0 && len(svc.log.pending) > 2*flushAt {
			t.Fatalf("%d bytes buffered and nothing written", len(svc.log.pending))
		}
	}
	if out.Len() < flushAt {
		t.Fatalf("wrote %d bytes, want at least the %d-byte batch", out.Len(), flushAt)
	}
}

func TestAccessLogEscapesWhatClientsSendAsEncodingJSONWould(t *testing.T) {
	var logs bytes.Buffer
	svc := newTestService(&logs)
	for _, ua := range []string{`quote " backslash \ tab	 newline
 bell` + "\a", "ünïcødé ✓ 😀", "bad utf8 \xff\xfe end", "</script>&"} {
		logs.Reset()
		do(t, svc.Handler(), "GET", "/api/v1/health/live", map[string]string{"User-Agent": ua})
		svc.Flush()
		got := logLines(t, logs.String())[0]["user_agent"]
		var want string // what encoding/json makes of it (each invalid byte becomes U+FFFD)
		encoded, _ := json.Marshal(ua)
		_ = json.Unmarshal(encoded, &want)
		if got != want {
			t.Errorf("user_agent logged as %q, want %q", got, want)
		}
	}
}

func TestClientStringsAreCappedInLogsAndErrors(t *testing.T) {
	var logs bytes.Buffer
	svc := newTestService(&logs)
	long := "/" + strings.Repeat("é", 5000) // 10 KB, two bytes a character
	rec := do(t, svc.Handler(), "GET", long, map[string]string{"User-Agent": strings.Repeat("u", 100_000)})
	svc.Flush()
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	var body ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Error.Message) > MaxLoggedBytes+64 || !strings.HasSuffix(body.Error.Message, "…") || !utf8.ValidString(body.Error.Message) {
		t.Fatalf("404 message is %d bytes: %q...", len(body.Error.Message), body.Error.Message[:40])
	}
	entry := logLines(t, logs.String())[0]
	for _, field := range []string{"path", "user_agent"} {
		v := entry[field].(string)
		if len(v) > MaxLoggedBytes+len("…") || !strings.HasSuffix(v, "…") {
			t.Errorf("%s logged with %d bytes", field, len(v))
		}
	}
	if line := logs.Len(); line > 2048 {
		t.Errorf("log line is %d bytes", line)
	}
}

func TestIPv6ClientAddressesAreLoggedWhole(t *testing.T) {
	for addr, want := range map[string]string{"[2001:db8::1]:4711": "2001:db8::1", "192.0.2.7:80": "192.0.2.7", "@": "@"} {
		var logs bytes.Buffer
		svc := newTestService(&logs)
		req := httptest.NewRequest("GET", "/api/v1/health/live", nil)
		req.RemoteAddr = addr
		svc.Handler().ServeHTTP(httptest.NewRecorder(), req)
		svc.Flush()
		if got := logLines(t, logs.String())[0]["remote"]; got != want {
			t.Errorf("remote %q logged as %q, want %q", addr, got, want)
		}
	}
}

func TestAnAccessLogLineAllocatesNothing(t *testing.T) {
	l := &logWriter{out: io.Discard}
	start := time.Now()
	line := accessLine{method: "GET", path: "/api/v1/info", status: 200, bytes: 180, requestID: "0123456789abcdef0123456789abcdef", remote: "10.0.1.7", userAgent: "ELB-HealthChecker/2.0", start: start}
	l.request(start, line) // warm the pool
	if allocs := testing.AllocsPerRun(1000, func() { l.request(start, line); l.pending = l.pending[:0] }); allocs > 0 {
		t.Fatalf("%.1f allocations per access log line, want 0", allocs)
	}
}

func TestMillisecondsAreWrittenWithThreeDecimals(t *testing.T) {
	for micros, want := range map[int64]string{0: "0.000", 7: "0.007", 1234: "1.234", 90_000_000: "90000.000", -5: "0.000"} {
		if got := string(appendMillis(nil, micros)); got != want {
			t.Errorf("appendMillis(%d) = %s, want %s", micros, got, want)
		}
	}
}
