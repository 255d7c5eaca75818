package service

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// benchWriter is the least a ResponseWriter does (a fresh header map per request, the body
// discarded), so the benchmark measures the service's handler chain and its log line, not net/http.
type benchWriter struct {
	header http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.header }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkInfo is one GET /api/v1/info through the whole handler chain, access log line included
// (go test -bench Info -benchmem ./service).
func BenchmarkInfo(b *testing.B) {
	svc := newService(Options{Build: Build{Name: "webapp", Version: "v1", Commit: "abc"}, Log: io.Discard}, 10*time.Millisecond)
	h := svc.Handler()
	req, _ := http.NewRequest(http.MethodGet, "/api/v1/info", nil)
	req.RemoteAddr = "10.0.1.7:43210"
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := &benchWriter{header: make(http.Header)}
		h.ServeHTTP(w, req)
	}
}
