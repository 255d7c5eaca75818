// A bare net/http hello handler: the throughput floor the web app is compared against. With
// SERVER=service it is served by the service's own http.Server settings (service.NewServer: read,
// write and idle timeouts, the header limit), which isolates what the service's handler and log
// cost from what those settings cost in net/http.
package main

import (
	"net/http"
	"os"

	"webapp/service"
)

func main() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"hello":"world"}` + "\n"))
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: handler}
	switch os.Getenv("SERVER") {
	case "", "default":
	case "service":
		srv = service.NewServer(handler, service.DefaultTimeouts)
		srv.Addr = "127.0.0.1:" + port
	default:
		os.Stderr.WriteString("SERVER must be default or service\n")
		os.Exit(2)
	}
	if err := srv.ListenAndServe(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
