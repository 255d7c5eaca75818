// Package service is the web app's HTTP API: JSON everywhere, request ids, structured access logs,
// and a readiness state that the release sequence (see Serve) turns off before shutting down.
package service

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webapp/imds"
)

// Build describes the binary: set at build time with -ldflags.
type Build struct {
	Name    string
	Version string
	Commit  string
}

// Service holds the API's state.
type Service struct {
	build   Build
	started time.Time
	now     func() time.Time
	log     *jsonLogger

	identityOnce sync.Once
	lookup       func() imds.Identity
	identity     imds.Identity

	ready atomic.Bool
}

// New returns a service that reports itself ready. lookup is called once, on the first info
// request; nil reports imds.Unknown.
func New(build Build, lookup func() imds.Identity, logOut io.Writer) *Service {
	if lookup == nil {
		lookup = func() imds.Identity { return imds.Unknown }
	}
	s := &Service{build: build, started: time.Now(), now: time.Now, lookup: lookup, log: &jsonLogger{out: logOut}}
	s.ready.Store(true)
	return s
}

// SetReady flips readiness; the load balancer's health check reads it.
func (s *Service) SetReady(ready bool) { s.ready.Store(ready) }

// Ready reports the readiness state.
func (s *Service) Ready() bool { return s.ready.Load() }

// Log writes one structured event line.
func (s *Service) Log(msg string, fields map[string]any) { s.log.write("info", msg, fields) }

type route struct {
	method  string
	handler func(http.ResponseWriter, *http.Request)
}

// Handler is the API with its middleware (request id, access log, JSON errors).
func (s *Service) Handler() http.Handler {
	routes := map[string]route{
		"/api/v1/info":         {http.MethodGet, s.info},
		"/api/v1/health/live":  {http.MethodGet, s.live},
		"/api/v1/health/ready": {http.MethodGet, s.readiness},
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.URL.Path]
		if !ok {
			writeError(w, r, http.StatusNotFound, "no such resource: "+r.URL.Path)
			return
		}
		if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", rt.method+", HEAD")
			writeError(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
			return
		}
		rt.handler(w, r)
	})
	return s.withRequestID(s.withAccessLog(api))
}

// InfoResponse is the body of GET /api/v1/info.
type InfoResponse struct {
	Service          string  `json:"service"`
	Version          string  `json:"version"`
	Commit           string  `json:"commit"`
	InstanceID       string  `json:"instance_id"`
	AvailabilityZone string  `json:"availability_zone"`
	UptimeSeconds    float64 `json:"uptime_seconds"`
	ServerTime       string  `json:"server_time"`
}

func (s *Service) info(w http.ResponseWriter, r *http.Request) {
	s.identityOnce.Do(func() { s.identity = s.lookup() })
	writeJSON(w, http.StatusOK, InfoResponse{
		Service:          s.build.Name,
		Version:          s.build.Version,
		Commit:           s.build.Commit,
		InstanceID:       s.identity.InstanceID,
		AvailabilityZone: s.identity.AvailabilityZone,
		UptimeSeconds:    s.now().Sub(s.started).Seconds(),
		ServerTime:       s.now().UTC().Format(time.RFC3339Nano),
	})
}

// HealthResponse is the body of the health endpoints.
type HealthResponse struct {
	Status string `json:"status"`
}

func (s *Service) live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, HealthResponse{Status: "alive"})
}

func (s *Service) readiness(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, HealthResponse{Status: "draining"})
		return
	}
	writeJSON(w, http.StatusOK, HealthResponse{Status: "ready"})
}

// ErrorResponse is the body of every error.
type ErrorResponse struct {
	Error struct {
		Status    int    `json:"status"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, r *http.Request, status int, message string) {
	var body ErrorResponse
	body.Error.Status = status
	body.Error.Message = message
	body.Error.RequestID = w.Header().Get(RequestIDHeader)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func (s *Service) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (s *Service) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.write("info", "request", map[string]any{
			"method":      r.Method,
			"path":        r.URL.Path,
			"status":      rec.status,
			"bytes":       rec.bytes,
			"duration_ms": float64(time.Since(start).Microseconds()) / 1000,
			"request_id":  w.Header().Get(RequestIDHeader),
			"remote":      strings.Split(r.RemoteAddr, ":")[0],
			"user_agent":  r.UserAgent(),
		})
	})
}

// jsonLogger writes one JSON object per line; safe for concurrent use.
type jsonLogger struct {
	mu  sync.Mutex
	out io.Writer
}

func (l *jsonLogger) write(level, msg string, fields map[string]any) {
	entry := map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "level": level, "msg": msg}
	for k, v := range fields {
		entry[k] = v
	}
	line, err := json.Marshal(entry)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.out.Write(append(line, '\n'))
}
