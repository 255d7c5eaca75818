package service

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// countingWriter counts Write calls, as a file or the journal would count system calls. The log's
// writer goroutine writes while the test reads: the mutex orders them.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func (c *countingWriter) state() (writes int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes, c.buf.String()
}

// stalledWriter is a sink that stops reading (a full pipe, a stuck journald): every Write waits
// until resume is closed.
type stalledWriter struct {
	resume chan struct{}
	countingWriter
}

func (s *stalledWriter) Write(p []byte) (int, error) {
	<-s.resume
	return s.countingWriter.Write(p)
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
	// GIVEN a service whose log is written only when asked (its interval is an hour)
	var out countingWriter
	svc := newTestService(&out)
	h := svc.Handler()
	// WHEN it serves 100 requests (less than the 32 KiB batch), then flushes
	for i := 0; i < 100; i++ {
		do(t, h, "GET", "/api/v1/health/live", nil)
	}
	if writes, _ := out.state(); writes != 0 {
		t.Fatalf("%d writes before a flush; want 0 (lines wait in the buffer)", writes)
	}
	flush(t, svc)
	// THEN the 100 lines went out in one write
	writes, text := out.state()
	if writes != 1 {
		t.Fatalf("%d writes for one flush of 100 lines, want 1", writes)
	}
	if n := len(logLines(t, text)); n != 100 {
		t.Fatalf("%d lines after the flush, want 100", n)
	}
}

func TestAccessLogGoesOutWithoutAFlushOnceTheBufferIsFull(t *testing.T) {
	var out countingWriter
	svc := newTestService(&out)
	h := svc.Handler()
	served := 0
	for ; served*200 < flushAt; served++ { // lines are longer than 200 bytes
		do(t, h, "GET", "/api/v1/health/live", nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		writes, text := out.state()
		if writes > 0 {
			if len(text) < flushAt {
				t.Fatalf("wrote %d bytes, want at least the %d-byte batch", len(text), flushAt)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests (over %d bytes of log) and nothing written after 10 s", served, flushAt)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A sink that stops reading costs log lines, never requests: past MaxPendingLogBytes lines are
// dropped and counted (on /api/v1/info), and once the sink reads again a line says how many.
func TestAStalledLogSinkDropsLinesAndNeverBlocksARequest(t *testing.T) {
	// GIVEN a sink that takes nothing
	sink := &stalledWriter{resume: make(chan struct{})}
	svc := newService(Options{Build: Build{Name: "webapp"}, Log: sink}, 10*time.Millisecond)
	h := svc.Handler()
	// WHEN the service serves well over the buffer's worth of requests
	requests := 2 * MaxPendingLogBytes / 200
	served := make(chan struct{})
	go func() {
		defer close(served)
		for i := 0; i < requests; i++ {
			if rec := do(t, h, "GET", "/api/v1/health/live", nil); rec.Code != 200 {
				t.Errorf("request %d: %d", i, rec.Code)
				return
			}
		}
	}()
	select {
	case <-served:
	case <-time.After(60 * time.Second):
		t.Fatalf("%d requests did not finish in 60 s while the log sink stalled: requests wait on the log", requests)
	}
	// THEN lines were dropped, and the info endpoint says how many
	dropped := svc.log.Dropped()
	if dropped == 0 {
		t.Fatalf("%d requests into a stalled sink and no line dropped", requests)
	}
	info := decode[InfoResponse](t, do(t, h, "GET", "/api/v1/info", nil))
	if info.LogLinesDropped < dropped {
		t.Fatalf("info reports %d dropped lines, want at least %d", info.LogLinesDropped, dropped)
	}
	// AND once the sink reads again, the lines kept are written and a line counts the ones lost
	close(sink.resume)
	flush(t, svc)
	flush(t, svc) // the report goes out with the batch after the one that hung
	_, text := sink.state()
	lines := logLines(t, text)
	var reported float64
	requestLines := 0
	for _, l := range lines {
		switch l["msg"] {
		case "log lines dropped":
			reported += l["dropped_lines"].(float64)
		case "request":
			requestLines++
		}
	}
	if uint64(reported) != svc.log.Dropped() {
		t.Fatalf("the log reports %v dropped lines, the counter %d", reported, svc.log.Dropped())
	}
	if uint64(requestLines)+svc.log.Dropped() != uint64(requests)+1 { // and the info request
		t.Fatalf("%d request lines written + %d dropped, want %d requests in all", requestLines, svc.log.Dropped(), requests+1)
	}
}

func TestAccessLogEscapesWhatClientsSendAsEncodingJSONWould(t *testing.T) {
	var logs bytes.Buffer
	svc := newTestService(&logs)
	for _, ua := range []string{`quote " backslash \ tab	 newline
 bell` + "\a", "ünïcødé ✓ 😀", "bad utf8 \xff\xfe end", "</script>&"} {
		logs.Reset()
		do(t, svc.Handler(), "GET", "/api/v1/health/live", map[string]string{"User-Agent": ua})
		flush(t, svc)
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
	flush(t, svc)
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
		flush(t, svc)
		if got := logLines(t, logs.String())[0]["remote"]; got != want {
			t.Errorf("remote %q logged as %q, want %q", addr, got, want)
		}
	}
}

func TestAnAccessLogLineAllocatesNothing(t *testing.T) {
	l := newLogWriter(io.Discard, time.Hour)
	start := time.Now()
	line := accessLine{method: "GET", path: "/api/v1/info", status: 200, bytes: 180, requestID: "0123456789abcdef0123456789abcdef", remote: "10.0.1.7", userAgent: "ELB-HealthChecker/2.0", start: start}
	l.request(start, line) // warm the pool
	if allocs := testing.AllocsPerRun(1000, func() { l.request(start, line); l.mu.Lock(); l.pending = l.pending[:0]; l.mu.Unlock() }); allocs > 0 {
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

func TestTimestampsAreWrittenAsRFC3339NanoWouldWriteThem(t *testing.T) {
	// GIVEN instants with every shape of fraction (none, trailing zeros, all nine digits), in other
	// zones and across second, day and year boundaries, each twice (the cached second is reused)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	instants := []time.Time{
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 100_000_000, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 120, time.UTC),
		time.Date(2026, 6, 1, 3, 4, 5, 1, zone),
		time.Unix(0, 0),
	}
	seed := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC).UnixNano()
	for i := int64(0); i < 2000; i++ {
		instants = append(instants, time.Unix(0, seed+i*i*7_919_317))
	}
	for _, at := range append(instants, instants...) {
		// WHEN it is written THEN it reads as encoding the time with RFC3339Nano in UTC does
		if got, want := string(appendTimestamp(nil, at)), at.UTC().Format(time.RFC3339Nano); got != want {
			t.Fatalf("%v written as %s, want %s", at, got, want)
		}
	}
}
