package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Client calls the API of a cluster, taking the replicas in turn. A call
// that finds its replica down (no connection, 5xx, 429) is sent again to
// the next one until its context ends; an event post sent twice keeps
// its ids, so the store applies it once.
type Client struct {
	addrs   []string
	key     string
	next    atomic.Uint64
	http    *http.Client
	retries atomic.Int64
}

// NewClient spreads calls over addrs with the admin key.
func NewClient(addrs []string, adminKey string) *Client {
	return &Client{addrs: addrs, key: adminKey, http: &http.Client{Timeout: 10 * time.Second}}
}

// Retries is how many calls were sent again so far.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Do sends the call to the next replica and on to the others while they
// fail; it returns the first answer that is neither a 5xx nor a 429.
func (c *Client) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var last error
	for attempt := 0; ; attempt++ {
		addr := c.addrs[int(c.next.Add(1)-1)%len(c.addrs)]
		status, data, err := c.On(ctx, addr, method, path, body)
		if err == nil && status < 500 && status != http.StatusTooManyRequests {
			return status, data, nil
		}
		if err == nil {
			err = fmt.Errorf("%s %s on %s: %d %s", method, path, addr, status, data)
		}
		last = err
		c.retries.Add(1)
		select {
		case <-ctx.Done():
			return 0, nil, fmt.Errorf("%w (after %d attempts; last: %v)", ctx.Err(), attempt+1, last)
		case <-time.After(min(time.Duration(attempt+1)*50*time.Millisecond, time.Second)):
		}
	}
}

// On sends one call to one replica, without retrying.
func (c *Client) On(ctx context.Context, addr, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}
