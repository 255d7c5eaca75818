package service

import (
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxLoggedBytes caps each client-supplied string (path, User-Agent) in log lines and error
// messages; longer values end with "…".
const MaxLoggedBytes = 256

// flushAt is the buffered size that makes a write go out at once, without waiting for Flush.
const flushAt = 32 << 10

// logWriter collects log lines and writes them in batches (one write per Flush or per 32 KiB,
// not one per request): a write to a file, a pipe or the journal is a system call each.
// Safe for concurrent use.
type logWriter struct {
	mu      sync.Mutex
	pending []byte
	out     io.Writer
}

func (l *logWriter) writeLine(line []byte, flush bool) {
	l.mu.Lock()
	l.pending = append(l.pending, line...)
	if flush || len(l.pending) >= flushAt {
		l.flushLocked()
	}
	l.mu.Unlock()
}

// Flush writes out every buffered line.
func (l *logWriter) Flush() {
	l.mu.Lock()
	l.flushLocked()
	l.mu.Unlock()
}

func (l *logWriter) flushLocked() {
	if len(l.pending) == 0 {
		return
	}
	_, _ = l.out.Write(l.pending)
	l.pending = l.pending[:0]
}

// event writes one structured line at once (lifecycle events are rare and should show promptly).
func (l *logWriter) event(level, msg string, fields map[string]any) {
	entry := map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "level": level, "msg": msg}
	for k, v := range fields {
		entry[k] = v
	}
	line, err := json.Marshal(entry)
	if err != nil {
		return
	}
	l.writeLine(append(line, '\n'), true)
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// accessLine is what one request logs.
type accessLine struct {
	method, path, requestID, remote, userAgent string
	status, bytes                              int
	start                                      time.Time
}

// request appends the access log line of one request that ended at `end`, built by hand into a
// pooled buffer: the same JSON object encoding/json would write, with no per-request map or
// reflection.
func (l *logWriter) request(end time.Time, a accessLine) {
	bp := linePool.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = end.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"info","msg":"request","method":`...)
	b = appendJSONString(b, a.method, MaxLoggedBytes)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, a.path, MaxLoggedBytes)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(a.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(a.bytes), 10)
	b = append(b, `,"duration_ms":`...)
	b = appendMillis(b, end.Sub(a.start).Microseconds())
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, a.requestID, MaxLoggedBytes)
	b = append(b, `,"remote":`...)
	b = appendJSONString(b, a.remote, MaxLoggedBytes)
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, a.userAgent, MaxLoggedBytes)
	b = append(b, "}\n"...)
	l.writeLine(b, false)
	*bp = b
	linePool.Put(bp)
}

const hexDigits = "0123456789abcdef"

// appendMillis appends microseconds as milliseconds with three decimals (1234 -> 1.234), without
// the shortest-float search strconv.AppendFloat does.
func appendMillis(b []byte, micros int64) []byte {
	if micros < 0 {
		micros = 0
	}
	b = strconv.AppendInt(b, micros/1000, 10)
	frac := micros % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// appendJSONString appends s as a JSON string, cut to at most max bytes of s (on a character
// boundary, then "…"). Control characters are escaped; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string, max int) []byte {
	b = append(b, '"')
	truncated := false
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, truncated = s[:cut], true
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	if truncated {
		b = append(b, "…"...)
	}
	return append(b, '"')
}

// capped returns s cut to MaxLoggedBytes (on a character boundary, then "…"), for messages that
// echo client input.
func capped(s string) string {
	if len(s) <= MaxLoggedBytes {
		return s
	}
	cut := MaxLoggedBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
