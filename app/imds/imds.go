// Package imds reads the instance identity from the EC2 instance metadata service with IMDSv2
// (a session token first), with a short timeout, so the service starts the same on and off EC2.
package imds

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultEndpoint is the link-local address of the metadata service.
const DefaultEndpoint = "http://169.254.169.254"

// Identity is what the service reports about where it runs. Empty fields mean "not on EC2".
type Identity struct {
	InstanceID       string `json:"instance_id"`
	AvailabilityZone string `json:"availability_zone"`
}

// Unknown is the identity reported when the metadata service does not answer.
var Unknown = Identity{InstanceID: "unknown", AvailabilityZone: "unknown"}

// Client talks to one metadata endpoint.
type Client struct {
	Endpoint string
	HTTP     *http.Client
}

// New returns a client whose every request gives up after timeout.
func New(endpoint string, timeout time.Duration) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), HTTP: &http.Client{Timeout: timeout}}
}

// Lookup returns the instance id and AZ, or Unknown and the error when the service is unreachable.
func (c *Client) Lookup(ctx context.Context) (Identity, error) {
	token, err := c.token(ctx)
	if err != nil {
		return Unknown, err
	}
	id, err := c.get(ctx, token, "/latest/meta-data/instance-id")
	if err != nil {
		return Unknown, err
	}
	az, err := c.get(ctx, token, "/latest/meta-data/placement/availability-zone")
	if err != nil {
		return Unknown, err
	}
	return Identity{InstanceID: id, AvailabilityZone: az}, nil
}

func (c *Client) token(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.Endpoint+"/latest/api/token", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	return c.do(req)
}

func (c *Client) get(ctx context.Context, token, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-aws-ec2-metadata-token", token)
	return c.do(req)
}

func (c *Client) do(req *http.Request) (string, error) {
	res, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4096))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("imds %s %s: status %d", req.Method, req.URL.Path, res.StatusCode)
	}
	return strings.TrimSpace(string(body)), nil
}
