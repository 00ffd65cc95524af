package replica

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnbalanced(t *testing.T) {
	const a, b = "127.0.0.1:1001", "127.0.0.1:1002"
	for _, tc := range []struct {
		name, cluster string
		addrs         []string
		want          string // "" = settled
	}{
		{"one owns all", `{"partitions": 3, "replicas": [{"http": "` + a + `", "partitions": [0, 1, 2]}]}`, []string{a}, ""},
		{"shared", `{"partitions": 3, "replicas": [{"http": "` + a + `", "partitions": [0, 1]}, {"http": "` + b + `", "partitions": [2]}]}`, []string{a, b}, ""},
		{"a dead replica listed owning nothing", `{"partitions": 2, "replicas": [{"http": "` + a + `", "partitions": [0, 1]}, {"http": "127.0.0.1:9", "partitions": []}]}`, []string{a}, ""},
		{"two owners", `{"partitions": 2, "replicas": [{"http": "` + a + `", "partitions": [0, 1]}, {"http": "` + b + `", "partitions": [1]}]}`, []string{a, b}, "partition 1 has 2 owners"},
		{"no owner", `{"partitions": 3, "replicas": [{"http": "` + a + `", "partitions": [0, 2]}]}`, []string{a}, "partition 1 has 0 owners"},
		{"a replica owns nothing", `{"partitions": 2, "replicas": [{"http": "` + a + `", "partitions": [0, 1]}]}`, []string{a, b}, "replica " + b + " owns no partition"},
		{"a stranger owns some", `{"partitions": 2, "replicas": [{"http": "` + a + `", "partitions": [0]}, {"http": "127.0.0.1:9", "partitions": [1]}]}`, []string{a}, "not running"},
		{"no partitions", `{"partitions": 0, "replicas": []}`, []string{a}, "no partitions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/api/v1/cluster", r.URL.Path)
				assert.Equal(t, "Bearer k", r.Header.Get("Authorization"))
				_, _ = w.Write([]byte(tc.cluster))
			}))
			defer srv.Close()
			got, err := Unbalanced(context.Background(), strings.TrimPrefix(srv.URL, "http://"), "k", tc.addrs)
			require.NoError(t, err)
			if tc.want == "" {
				assert.Empty(t, got)
			} else {
				assert.Contains(t, got, tc.want)
			}
		})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer srv.Close()
	_, err := Unbalanced(context.Background(), strings.TrimPrefix(srv.URL, "http://"), "k", []string{a})
	assert.ErrorContains(t, err, "403")
}
