package imds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fakeIMDS answers like IMDSv2: a token from PUT, metadata only with that token.
func fakeIMDS(t *testing.T) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte("tok"))
		case r.Header.Get("X-aws-ec2-metadata-token") != "tok":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/instance-id":
			_, _ = w.Write([]byte("i-0123456789abcdef0\n"))
		case r.URL.Path == "/latest/meta-data/placement/availability-zone":
			_, _ = w.Write([]byte("eu-west-1b"))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
}

func TestLookupUsesTheIMDSv2Token(t *testing.T) {
	srv := fakeIMDS(t)
	defer srv.Close()
	got, err := New(srv.URL, time.Second).Lookup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{InstanceID: "i-0123456789abcdef0", AvailabilityZone: "eu-west-1b"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestLookupFallsBackWhenUnreachable(t *testing.T) {
	srv := fakeIMDS(t)
	srv.Close() // nothing listens there now
	got, err := New(srv.URL, 200*time.Millisecond).Lookup(context.Background())
	if err == nil || got != Unknown {
		t.Fatalf("got %+v, %v; want Unknown and an error", got, err)
	}
}

func TestLookupGivesUpAfterTheTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // hold the request until the client gives up (or 2 s pass)
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer slow.Close()
	start := time.Now()
	got, err := New(slow.URL, 100*time.Millisecond).Lookup(context.Background())
	if err == nil || got != Unknown {
		t.Fatalf("got %+v, %v; want Unknown and an error", got, err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("took %s, want about the 100ms timeout", elapsed)
	}
}
