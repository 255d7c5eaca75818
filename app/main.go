// Command webapp serves the JSON API. Configuration comes from flags, each with an environment
// variable of the same meaning (flags win). On SIGTERM it fails readiness, keeps serving for the
// drain period, then shuts down gracefully.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"webapp/imds"
	"webapp/service"
)

// Set at build time: go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc123".
var (
	version = "dev"
	commit  = "unknown"
)

type config struct {
	port            int
	drain           time.Duration
	shutdownTimeout time.Duration
	idleTimeout     time.Duration
	imdsEndpoint    string
	imdsTimeout     time.Duration
	trustedProxies  []netip.Prefix
}

func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

// envDuration reads a duration from the environment, or returns def when the variable is unset.
func envDuration(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a duration; write it like 30s or 1m", name, v)
	}
	return d, nil
}

func parseConfig(args []string) (config, error) {
	var c config
	port, err := strconv.Atoi(envOr("PORT", "8080"))
	if err != nil {
		return c, fmt.Errorf("PORT=%q is not a number; set it to a TCP port such as 8080", os.Getenv("PORT"))
	}
	defaults := map[string]time.Duration{"DRAIN_PERIOD": 30 * time.Second, "SHUTDOWN_TIMEOUT": 20 * time.Second, "IDLE_TIMEOUT": 75 * time.Second, "IMDS_TIMEOUT": 300 * time.Millisecond}
	fromEnv := map[string]time.Duration{}
	for name, def := range defaults {
		if fromEnv[name], err = envDuration(name, def); err != nil {
			return c, err
		}
	}

	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.IntVar(&c.port, "port", port, "TCP port to listen on (env PORT)")
	fs.DurationVar(&c.drain, "drain", fromEnv["DRAIN_PERIOD"], "how long to keep serving after readiness turns off on SIGTERM (env DRAIN_PERIOD)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", fromEnv["SHUTDOWN_TIMEOUT"], "how long in-flight requests get to finish after the drain (env SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", fromEnv["IDLE_TIMEOUT"], "keep-alive idle timeout; must exceed the load balancer's, 60s on an ALB (env IDLE_TIMEOUT)")
	fs.StringVar(&c.imdsEndpoint, "imds-endpoint", envOr("IMDS_ENDPOINT", imds.DefaultEndpoint), "instance metadata endpoint (env IMDS_ENDPOINT)")
	fs.DurationVar(&c.imdsTimeout, "imds-timeout", fromEnv["IMDS_TIMEOUT"], "timeout of each metadata request (env IMDS_TIMEOUT)")
	trusted := fs.String("trusted-proxies", envOr("TRUSTED_PROXIES", ""), "comma-separated CIDR blocks of the load balancer's nodes, whose X-Forwarded-For names the client in the access log (env TRUSTED_PROXIES)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.trustedProxies, err = parsePrefixes(*trusted); err != nil {
		return c, err
	}
	switch {
	case c.port < 1 || c.port > 65535:
		return c, fmt.Errorf("port %d is out of range; use 1-65535", c.port)
	case c.drain < 0:
		return c, fmt.Errorf("drain %s is negative; use 0 or more", c.drain)
	case c.shutdownTimeout <= 0:
		return c, fmt.Errorf("shutdown-timeout %s must be above 0", c.shutdownTimeout)
	case c.idleTimeout <= 0:
		return c, fmt.Errorf("idle-timeout %s must be above 0", c.idleTimeout)
	}
	return c, nil
}

// parsePrefixes reads a comma-separated list of CIDR blocks ("10.0.0.0/24,10.0.1.0/24").
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("trusted-proxies: %q is not a CIDR block; write blocks like 10.0.0.0/24, separated by commas", item)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("trusted-proxies: %q has host bits set; write the block's first address, %s", item, p.Masked())
		}
		prefixes = append(prefixes, p)
	}
	return prefixes, nil
}

func main() {
	c, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(2)
	}
	metadata := imds.New(c.imdsEndpoint, c.imdsTimeout)
	svc := service.New(service.Options{
		Build: service.Build{Name: "webapp", Version: version, Commit: commit},
		Lookup: func() imds.Identity {
			id, _ := metadata.Lookup(context.Background())
			return id
		},
		Log:            os.Stdout,
		TrustedProxies: c.trustedProxies,
	})

	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", c.port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
	timeouts := service.DefaultTimeouts
	timeouts.Idle = c.idleTimeout
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	svc.Log("listening", map[string]any{"port": c.port, "version": version, "commit": commit})
	if err := service.Serve(ctx, service.NewServer(svc.Handler(), timeouts), ln, svc, service.Release{Drain: c.drain, ShutdownTimeout: c.shutdownTimeout}); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}
