package service

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// net/http answers a request it refuses before any handler runs (431 for headers over the limit,
// 400 for a malformed request or a missing Host, 501 for an unknown transfer encoding, 505 for an
// unknown protocol version) with one write straight to the connection: the status line, exactly
// these headers, and a text body. No response of the API looks like this: they are JSON.
const (
	netHTTPStatusLinePrefix = "HTTP/1.1 "
	netHTTPRefusalHeaders   = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
)

// refusingListener hands out connections that turn net/http's own refusals into the API's JSON
// errors, each with a request id and an access log line.
type refusingListener struct {
	net.Listener
	svc *Service
}

func (l refusingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &refusingConn{Conn: c, svc: l.svc}, nil
}

type refusingConn struct {
	net.Conn
	svc *Service
}

func (c *refusingConn) Write(b []byte) (int, error) {
	status, message, ok := parseRefusal(b)
	if !ok {
		return c.Conn.Write(b)
	}
	start := time.Now()
	id := newRequestID()
	var body ErrorResponse
	body.Error.Status = status
	body.Error.Message = message
	body.Error.RequestID = id
	encoded, _ := json.Marshal(body)
	encoded = append(encoded, '\n')
	out := make([]byte, 0, 256+len(encoded))
	out = append(out, netHTTPStatusLinePrefix...)
	out = strconv.AppendInt(out, int64(status), 10)
	out = append(out, ' ')
	out = append(out, http.StatusText(status)...)
	out = append(out, "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\n"+RequestIDHeader+": "...)
	out = append(out, id...)
	out = append(out, "\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(encoded)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, encoded...)
	_, err := c.Conn.Write(out)
	c.svc.log.request(time.Now(), accessLine{status: status, bytes: len(encoded), start: start, requestID: id, remote: remoteHost(c.RemoteAddr().String())})
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// CloseWrite keeps net/http's half-close after a 431 (it looks for this method on the connection).
func (c *refusingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// parseRefusal recognises one of net/http's refusals and returns its status and what it says.
func parseRefusal(b []byte) (status int, message string, ok bool) {
	if !bytes.HasPrefix(b, []byte(netHTTPStatusLinePrefix)) {
		return 0, "", false
	}
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 || !bytes.HasPrefix(b[end:], []byte(netHTTPRefusalHeaders)) {
		return 0, "", false
	}
	line := b[len(netHTTPStatusLinePrefix):end]
	if len(line) < 4 || line[3] != ' ' {
		return 0, "", false
	}
	status, err := strconv.Atoi(string(line[:3]))
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	if status == 431 {
		return status, "the request line and headers exceed " + strconv.Itoa(HeaderLimitBytes) + " bytes", true
	}
	text := string(b[end+len(netHTTPRefusalHeaders):])
	// The body repeats the status ("400 Bad Request: missing required Host header") or explains it.
	return status, strings.TrimPrefix(text, string(line[:4])), true
}
