package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// unitSetting reads one Key=Value of the systemd unit.
func unitSetting(t *testing.T, key string) string {
	t.Helper()
	f, err := os.Open("deploy/webapp.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if k, v, ok := strings.Cut(scanner.Text(), "="); ok && k == key {
			return v
		}
	}
	t.Fatalf("no %s in the unit", key)
	return ""
}

func TestUnitStopsWithSIGTERMAndWaitsForTheDrain(t *testing.T) {
	if got := unitSetting(t, "KillSignal"); got != "SIGTERM" {
		t.Fatalf("KillSignal=%s", got)
	}
	stop, err := time.ParseDuration(unitSetting(t, "TimeoutStopSec") + "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"DRAIN_PERIOD", "SHUTDOWN_TIMEOUT"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	c, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if stop <= c.drain+c.shutdownTimeout {
		t.Fatalf("TimeoutStopSec %s must exceed drain %s + shutdown %s", stop, c.drain, c.shutdownTimeout)
	}
}

func TestUnitRunsUnprivileged(t *testing.T) {
	if got := unitSetting(t, "User"); got == "" || got == "root" {
		t.Fatalf("User=%q", got)
	}
	if got := unitSetting(t, "NoNewPrivileges"); got != "yes" {
		t.Fatalf("NoNewPrivileges=%s", got)
	}
}

// journald's default rate limit (10,000 messages in 30 s a service) would drop access log lines
// from a few hundred requests a second on.
func TestUnitIsNotRateLimitedByJournald(t *testing.T) {
	if got := unitSetting(t, "LogRateLimitIntervalSec"); got != "0" {
		t.Fatalf("LogRateLimitIntervalSec=%s, want 0 (no journald rate limit for the access log)", got)
	}
}
