// A bare net/http hello handler: the throughput floor the web app is compared against. Two
// settings take the comparison apart, step by step towards the service:
//   - SERVER=service serves it with the service's own http.Server settings (service.NewServer:
//     read, write and idle timeouts, the header limit): what those cost in net/http;
//   - RESPONSE=info answers what GET /api/v1/info answers, as constants: the same headers
//     (Content-Type, Cache-Control, X-Request-Id) and a body of the same fields and length: what
//     the response itself costs. What the service costs beyond that is its own work: the request
//     id, encoding the body, the access log line and writing it.
package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"

	"webapp/service"
)

func main() {
	header, body := map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"hello":"world"}`+"\n")
	switch os.Getenv("RESPONSE") {
	case "", "hello":
	case "info":
		header["Cache-Control"] = []string{"no-store"}
		header[service.RequestIDHeader] = []string{strings.Repeat("0", 32)}
		info, _ := json.Marshal(service.InfoResponse{
			Service: "webapp", Version: "bench", Commit: "drill-bench", InstanceID: "unknown", AvailabilityZone: "unknown",
			UptimeSeconds: 12.345, ServerTime: "2026-12-06T10:30:00.123456789Z",
		})
		body = append(info, '\n')
	default:
		fail("RESPONSE must be hello or info")
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		_, _ = w.Write(body)
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Handler: handler}
	switch os.Getenv("SERVER") {
	case "", "default":
	case "service":
		srv = service.NewServer(handler, service.DefaultTimeouts)
	default:
		fail("SERVER must be default or service")
	}
	srv.Addr = "127.0.0.1:" + port
	if err := srv.ListenAndServe(); err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	os.Stderr.WriteString(message + "\n")
	os.Exit(2)
}
