package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// TestBodyTooLargeReachesEveryClient: clients that send the whole body
// without waiting for "100 Continue" (Go's net/http here; Python's urllib
// and Node's fetch do the same) read the 413 and its advice instead of a
// connection reset, whether the body is a little over the route's limit
// (read, then refused) or far over the largest limit (refused while
// reading, the rest drained by the lingering close).
func TestBodyTooLargeReachesEveryClient(t *testing.T) {
	a := apptest.Start(t, app.Config{HTTPAddr: "127.0.0.1:0"})
	url := "http://" + a.HTTPAddr() + "/api/v1/events"
	for _, size := range []int{1<<20 + 10, 3 << 20, 20 << 20} {
		t.Run(fmt.Sprint(size>>10, "KiB"), func(t *testing.T) {
			body := bytes.Repeat([]byte(" "), size)
			copy(body, `{"events": [`)
			for attempt := 0; attempt < 3; attempt++ { // a reset would show on some attempt
				client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				require.NoError(t, err, "the client must get an answer, not a reset")
				data, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s", data)
				var out struct {
					Error struct{ Code, Message string }
				}
				require.NoError(t, json.Unmarshal(data, &out), "%s", data)
				assert.Equal(t, "body_too_large", out.Error.Code)
				assert.Contains(t, out.Error.Message, "1 MiB", "the message says the limit")
				assert.Contains(t, out.Error.Message, "at most 1000 events per request", "and what to do")
			}
		})
	}

	// A raw client that writes everything first and reads afterwards.
	conn, err := net.Dial("tcp", a.HTTPAddr())
	require.NoError(t, err)
	defer conn.Close()
	size := 4 << 20
	_, err = fmt.Fprintf(conn, "POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
	require.NoError(t, err)
	_, err = conn.Write(bytes.Repeat([]byte("x"), size))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.True(t, strings.Contains(string(data), "32 KiB"), "Segment's call limit: %s", data)

	r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"id": "after", "type": "Demo", "contact_id": "after"})
	assert.Equal(t, http.StatusAccepted, r.Status, "the server still takes events: %s", r.Body)
}
