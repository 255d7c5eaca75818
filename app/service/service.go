// Package service is the web app's HTTP API: JSON everywhere, request ids, structured access logs,
// and a readiness state that the release sequence (see Serve) turns off before shutting down.
package service

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
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

// Options configure a Service.
type Options struct {
	Build Build
	// Lookup finds the instance's identity; it is called once, on the first info request.
	// nil reports imds.Unknown.
	Lookup func() imds.Identity
	// Log receives the access and event log, one JSON object a line (see logWriter): no request
	// and no step of the release sequence ever waits on it.
	Log io.Writer
	// TrustedProxies are the addresses of the load balancer's nodes: for a request from one of
	// them, the client address logged is read from X-Forwarded-For. Empty: every peer is the client.
	TrustedProxies []netip.Prefix
}

// Service holds the API's state.
type Service struct {
	build   Build
	started time.Time
	now     func() time.Time
	log     *logWriter
	proxies []netip.Prefix

	identityOnce sync.Once
	lookup       func() imds.Identity
	infoHead     []byte // the info body up to the instance, encoded on the first info request

	ready atomic.Bool
}

// New returns a service that reports itself ready. Its log lines are written out every
// LogFlushInterval, at 32 KiB, and on Flush.
func New(o Options) *Service { return newService(o, LogFlushInterval) }

func newService(o Options, logInterval time.Duration) *Service {
	if o.Lookup == nil {
		o.Lookup = func() imds.Identity { return imds.Unknown }
	}
	s := &Service{build: o.Build, started: time.Now(), now: time.Now, lookup: o.Lookup, log: newLogWriter(o.Log, logInterval), proxies: o.TrustedProxies}
	s.ready.Store(true)
	return s
}

// SetReady flips readiness; the load balancer's health check reads it. While not ready (the
// drain), every response says Connection: close.
func (s *Service) SetReady(ready bool) { s.ready.Store(ready) }

// Ready reports the readiness state.
func (s *Service) Ready() bool { return s.ready.Load() }

// Log queues one structured event line and wakes the log's writer; it never waits on the sink.
func (s *Service) Log(msg string, fields map[string]any) { s.log.event("info", msg, fields) }

// Flush waits until the sink has taken every log line queued so far, or until ctx is done; it
// reports whether everything was written.
func (s *Service) Flush(ctx context.Context) bool { return s.log.Flush(ctx) }

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
			writeError(w, r, http.StatusNotFound, "no such resource: "+capped(r.URL.Path))
			return
		}
		if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", rt.method+", HEAD")
			writeError(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
			return
		}
		rt.handler(w, r)
	})
	return s.withRequestLog(api)
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
	// LogLinesDropped counts log lines dropped since start because the sink did not keep up.
	LogLinesDropped uint64 `json:"log_lines_dropped"`
}

func (s *Service) info(w http.ResponseWriter, r *http.Request) {
	s.identityOnce.Do(func() { s.infoHead = s.encodeInfoHead(s.lookup()) })
	now := s.requestStart(w)
	// The busiest endpoint: encoded by hand into a pooled buffer, the same object encoding/json
	// would write for InfoResponse (the tests decode it into that type, unknown fields refused).
	bp := linePool.Get().(*[]byte)
	b := append((*bp)[:0], s.infoHead...)
	b = append(b, `,"uptime_seconds":`...)
	b = appendMillis(b, now.Sub(s.started).Microseconds()/1000) // seconds, to the millisecond
	b = append(b, `,"server_time":"`...)
	b = appendTimestamp(b, now)
	b = append(b, `","log_lines_dropped":`...)
	b = strconv.AppendUint(b, s.log.Dropped(), 10)
	b = append(b, "}\n"...)
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	linePool.Put(bp)
}

// encodeInfoHead encodes the part of the info body that never changes: the build and the instance.
func (s *Service) encodeInfoHead(id imds.Identity) []byte {
	b := append([]byte(nil), `{"service":`...)
	b = appendJSONString(b, s.build.Name, maxInfoField)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, s.build.Version, maxInfoField)
	b = append(b, `,"commit":`...)
	b = appendJSONString(b, s.build.Commit, maxInfoField)
	b = append(b, `,"instance_id":`...)
	b = appendJSONString(b, id.InstanceID, maxInfoField)
	b = append(b, `,"availability_zone":`...)
	return appendJSONString(b, id.AvailabilityZone, maxInfoField)
}

// maxInfoField bounds build and instance strings in the info body (they are ours, not clients').
const maxInfoField = 1024

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

// Shared header values: net/http only reads them, so every response can use the same slices.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	closeConnection = []string{"close"}
)

func setJSONHeaders(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	setJSONHeaders(w)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

// validRequestID: 1 to 128 of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Request ids are 32 hex digits: a random per-process prefix and a counter, unique without a
// system call per request.
var (
	idPrefix  [8]byte
	idCounter atomic.Uint64
)

func init() { _, _ = rand.Read(idPrefix[:]) }

func newRequestID() string {
	var b [16]byte
	var text [32]byte
	copy(b[:8], idPrefix[:])
	binary.BigEndian.PutUint64(b[8:], idCounter.Add(1))
	hex.Encode(text[:], b[:])
	return string(text[:])
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

type recorder struct {
	http.ResponseWriter
	start  time.Time
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

// remoteHost is the client address without its port: "192.0.2.1", "2001:db8::1".
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// ForwardedForHeader is where a load balancer puts the addresses a request came through.
const ForwardedForHeader = "X-Forwarded-For"

// clientAddress is the address the request came from: the peer, unless the peer is a trusted
// proxy. Then X-Forwarded-For is read from the right (each proxy appends the address it saw, the
// ALB included): the first address that is not a trusted proxy is the client; a value that is
// not an address ends the walk at the last address read.
func (s *Service) clientAddress(r *http.Request) string {
	client := remoteHost(r.RemoteAddr)
	if len(s.proxies) == 0 || !s.trusts(client) {
		return client
	}
	values := r.Header[ForwardedForHeader]
	for i := len(values) - 1; i >= 0; i-- {
		for rest := values[i]; rest != ""; {
			hop := rest
			if comma := strings.LastIndexByte(rest, ','); comma >= 0 {
				hop, rest = rest[comma+1:], rest[:comma]
			} else {
				rest = ""
			}
			hop = strings.TrimSpace(hop)
			addr, err := netip.ParseAddr(hop)
			if err != nil {
				return client
			}
			if client = hop; !s.trustsAddr(addr) {
				return client
			}
		}
	}
	return client
}

// trusts reports whether host is an address inside TrustedProxies.
func (s *Service) trusts(host string) bool {
	addr, err := netip.ParseAddr(host)
	return err == nil && s.trustsAddr(addr)
}

func (s *Service) trustsAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range s.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// withRequestLog gives every response its request id (and, while draining, Connection: close)
// and logs one access line per request.
func (s *Service) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorders.Get().(*recorder)
		*rec = recorder{ResponseWriter: w, start: s.now()}
		defer recorders.Put(rec)
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		h := w.Header()
		h[RequestIDHeader] = []string{id} // the canonical form of the name
		if !s.Ready() {
			// Draining: serve on, but close the connection after this response, so whoever holds it
			// (the load balancer) opens a new one instead of reusing one Shutdown will close.
			h["Connection"] = closeConnection
		}
		next.ServeHTTP(rec, r)
		s.log.request(s.now(), accessLine{
			method:    r.Method,
			path:      r.URL.Path,
			status:    rec.status,
			bytes:     rec.bytes,
			start:     rec.start,
			requestID: id,
			remote:    s.clientAddress(r),
			userAgent: r.UserAgent(),
		})
	})
}

// requestStart is when the request began (the access log takes it), or now outside the chain.
func (s *Service) requestStart(w http.ResponseWriter) time.Time {
	if rec, ok := w.(*recorder); ok {
		return rec.start
	}
	return s.now()
}
