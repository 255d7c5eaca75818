package main

import (
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	for _, name := range []string{"PORT", "DRAIN_PERIOD", "SHUTDOWN_TIMEOUT", "IDLE_TIMEOUT", "IMDS_TIMEOUT", "IMDS_ENDPOINT", "TRUSTED_PROXIES"} {
		t.Setenv(name, "") // registers the restore
		os.Unsetenv(name)
	}
	c, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config{port: 8080, drain: 30 * time.Second, shutdownTimeout: 20 * time.Second, idleTimeout: 75 * time.Second, imdsEndpoint: "http://169.254.169.254", imdsTimeout: 300 * time.Millisecond}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	t.Setenv("PORT", "9000")
	t.Setenv("DRAIN_PERIOD", "10s")
	c, err := parseConfig([]string{"-port", "9100", "-drain", "3s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.port != 9100 || c.drain != 3*time.Second {
		t.Fatalf("%+v", c)
	}
}

func TestBadInputNamesTheSetting(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"PORT": "http"}, nil, `PORT="http" is not a number`},
		{map[string]string{"DRAIN_PERIOD": "30"}, nil, `DRAIN_PERIOD="30" is not a duration`},
		{nil, []string{"-port", "70000"}, "port 70000 is out of range"},
		{nil, []string{"-drain", "-1s"}, "drain -1s is negative"},
		{nil, []string{"-shutdown-timeout", "0s"}, "shutdown-timeout 0s must be above 0"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0"}, nil, `trusted-proxies: "10.0.0.0" is not a CIDR block`},
		{nil, []string{"-trusted-proxies", "10.0.0.0/24,10.0.1.7/24"}, `trusted-proxies: "10.0.1.7/24" has host bits set; write the block's first address, 10.0.1.0/24`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := parseConfig(c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestTrustedProxiesAreReadAsCIDRBlocks(t *testing.T) {
	t.Setenv("TRUSTED_PROXIES", " 10.0.0.0/24, 10.0.1.0/24 ,")
	c, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("10.0.1.0/24")}
	if !reflect.DeepEqual(c.trustedProxies, want) {
		t.Fatalf("got %v, want %v", c.trustedProxies, want)
	}
}
