package service

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// MaxLoggedBytes caps each client-supplied string (path, User-Agent) in log lines and error
// messages; longer values end with "…".
const MaxLoggedBytes = 256

// flushAt is the buffered size that wakes the writer at once, without waiting for the interval.
const flushAt = 32 << 10

// MaxPendingLogBytes bounds the log lines waiting for the sink. While the sink takes nothing (a full
// pipe, a stuck journald), lines past this bound are dropped and counted, never waited for.
const MaxPendingLogBytes = 4 << 20

// logWriter collects log lines in a bounded buffer and one goroutine (run) writes them out in
// batches: one write per interval or per 32 KiB, not one per request (a write to a file, a pipe or
// the journal is a system call each). Nothing else ever writes to the sink, so no request and no
// step of the release sequence waits on it: when the sink stalls, lines beyond MaxPendingLogBytes
// are dropped and counted, and once a write returns, a line says how many were lost. Safe for
// concurrent use.
type logWriter struct {
	out  io.Writer
	wake chan struct{} // capacity 1: the writer has work now

	mu       sync.Mutex
	pending  []byte
	spare    []byte        // the last batch's buffer, reused
	accepted uint64        // lines accepted so far
	written  uint64        // of those, lines the sink has taken
	lost     uint64        // lines dropped since the last report
	progress chan struct{} // closed and replaced after each write

	dropped atomic.Uint64 // lines dropped since start
}

// newLogWriter starts the writer goroutine, which writes every interval and whenever woken; it
// runs for the life of the process.
func newLogWriter(out io.Writer, interval time.Duration) *logWriter {
	l := &logWriter{out: out, wake: make(chan struct{}, 1), progress: make(chan struct{})}
	go l.run(interval)
	return l
}

func (l *logWriter) run(interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-l.wake:
		case <-tick.C:
		}
		l.writeOut()
	}
}

func (l *logWriter) signal() {
	select {
	case l.wake <- struct{}{}:
	default: // already woken
	}
}

// writeLine queues one line; it never waits on the sink.
func (l *logWriter) writeLine(line []byte, urgent bool) {
	l.mu.Lock()
	if len(l.pending)+len(line) > MaxPendingLogBytes {
		l.lost++
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.pending = append(l.pending, line...)
	l.accepted++
	full := len(l.pending) >= flushAt
	l.mu.Unlock()
	if urgent || full {
		l.signal()
	}
}

// writeOut writes what is pending (only the writer goroutine calls it, so at most one write to
// the sink is ever under way), followed by the count of lines dropped while the last write hung.
func (l *logWriter) writeOut() {
	l.mu.Lock()
	batch, through, lost := l.pending, l.accepted, l.lost
	l.pending, l.spare, l.lost = l.spare[:0], nil, 0
	l.mu.Unlock()
	if lost > 0 {
		batch = appendEvent(batch, time.Now(), "warn", "log lines dropped", map[string]any{"dropped_lines": lost, "dropped_lines_total": l.dropped.Load()})
	}
	if len(batch) > 0 {
		_, _ = l.out.Write(batch)
	}
	l.mu.Lock()
	if cap(batch) <= 2*MaxPendingLogBytes {
		l.spare = batch[:0]
	}
	l.written = through
	close(l.progress)
	l.progress = make(chan struct{})
	l.mu.Unlock()
}

// Flush wakes the writer and waits until the sink has taken every line accepted before the call,
// or until ctx is done; it reports whether everything was written.
func (l *logWriter) Flush(ctx context.Context) bool {
	l.mu.Lock()
	target := l.accepted
	l.mu.Unlock()
	l.signal()
	for {
		l.mu.Lock()
		done, progress := l.written >= target, l.progress
		l.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return false
		}
	}
}

// Dropped is the number of lines dropped since start because the sink did not keep up.
func (l *logWriter) Dropped() uint64 { return l.dropped.Load() }

// appendEvent appends one structured event line (lifecycle events are rare: encoding/json is fine).
func appendEvent(b []byte, at time.Time, level, msg string, fields map[string]any) []byte {
	entry := map[string]any{"time": at.UTC().Format(time.RFC3339Nano), "level": level, "msg": msg}
	for k, v := range fields {
		entry[k] = v
	}
	line, err := json.Marshal(entry)
	if err != nil {
		return b
	}
	return append(append(b, line...), '\n')
}

// event queues one structured line and wakes the writer, so it shows promptly.
func (l *logWriter) event(level, msg string, fields map[string]any) {
	l.writeLine(appendEvent(nil, time.Now(), level, msg, fields), true)
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
	b = appendTimestamp(b, end)
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

// stampSecond caches the formatted whole second ("2006-01-02T15:04:05") that every timestamp in
// that second starts with: formatting it is most of what time.AppendFormat costs per request.
type stampSecond struct {
	unix int64
	text [19]byte
}

var lastStampSecond atomic.Pointer[stampSecond]

// appendTimestamp appends t as t.UTC().AppendFormat(b, time.RFC3339Nano) would (trailing zeros of
// the fraction dropped, no fraction when it is zero), with the whole second cached.
func appendTimestamp(b []byte, t time.Time) []byte {
	unix, nanos := t.Unix(), t.Nanosecond()
	s := lastStampSecond.Load()
	if s == nil || s.unix != unix {
		s = &stampSecond{unix: unix}
		time.Unix(unix, 0).UTC().AppendFormat(s.text[:0], "2006-01-02T15:04:05")
		lastStampSecond.Store(s)
	}
	b = append(b, s.text[:]...)
	if nanos != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i, n := 9, nanos; i >= 1; i-- {
			frac[i] = byte('0' + n%10)
			n /= 10
		}
		end := 10
		for frac[end-1] == '0' {
			end--
		}
		b = append(b, frac[:end]...)
	}
	return append(b, 'Z')
}
