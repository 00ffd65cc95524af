package webhook

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		// public
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"100.63.255.255", true}, // just below CGNAT
		{"100.128.0.0", true},    // just above CGNAT
		{"172.15.255.255", true}, // just below 172.16/12
		{"172.32.0.0", true},     // just above 172.16/12
		{"11.0.0.1", true},
		{"2606:4700:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},  // 6to4 of 8.8.8.8

		// IPv4 internal
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.0.1", false},
		{"192.168.255.255", false},
		{"169.254.169.254", false}, // cloud metadata
		{"169.254.0.1", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"255.255.255.255", false},
		{"192.0.0.1", false},
		{"198.18.0.1", false},

		// IPv6 internal
		{"::", false},
		{"::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"febf:ffff::1", false},
		{"fc00::1", false},
		{"fd12:3456:789a::1", false},
		{"ff02::1", false},
		{"ff05::2", false},
		{"fec0::1", false},
		{"::127.0.0.1", false}, // IPv4-compatible
		{"100::1", false},

		// IPv4-mapped forms of internal addresses
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:172.16.5.4", false},
		{"::ffff:192.168.1.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:100.64.0.1", false},
		{"::ffff:0.0.0.0", false},
		{"::ffff:224.0.0.1", false},

		// translation prefixes carrying internal IPv4 addresses
		{"64:ff9b::7f00:1", false},    // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of 169.254.169.254
		{"64:ff9b:1::1", false},
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"2002:a00:1::1", false},  // 6to4 of 10.0.0.1
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			assert.Equal(t, tt.public, isPublicAddr(addr))

			port := netip.AddrPortFrom(addr, 443).String()
			err := guardDial("tcp", port, nil)
			if tt.public {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrPrivateAddress)
			}
		})
	}
	assert.False(t, isPublicAddr(netip.Addr{}), "the zero Addr is not public")
	assert.ErrorIs(t, guardDial("tcp", "not-an-address", nil), ErrPrivateAddress, "unparsable addresses fail closed")
}

func TestHTTPClientRefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()

	_, err := NewHTTPClient(false, time.Second).Post(srv.URL, "application/json", nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrPrivateAddress)
	var pe *PrivateAddressError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "127.0.0.1", pe.Host)
	assert.Equal(t, int32(0), hits.Load())

	resp, err := NewHTTPClient(true, time.Second).Post(srv.URL, "application/json", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int32(1), hits.Load())
}

// allowOnly returns a guard that lets exactly one address through and judges
// every other dial as the real guard does: it stands in for a public receiver
// while the test servers all live on loopback.
func allowOnly(srv *httptest.Server) func(string, string, syscall.RawConn) error {
	allowed := srv.Listener.Addr().String()
	return func(network, address string, c syscall.RawConn) error {
		if address == allowed {
			return nil
		}
		return guardDial(network, address, c)
	}
}

func TestHTTPClientRefusesRedirectToPrivate(t *testing.T) {
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { internalHits.Add(1) }))
	defer internal.Close()
	public := httptest.NewServer(http.RedirectHandler(internal.URL+"/admin", http.StatusTemporaryRedirect))
	defer public.Close()

	client := newHTTPClient(time.Second, allowOnly(public))
	_, err := client.Post(public.URL, "application/json", nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrPrivateAddress)
	assert.Equal(t, int32(0), internalHits.Load(), "the redirect target must never be reached")
}

func TestHTTPClientRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, err := NewHTTPClient(true, time.Second).Post(srv.URL, "application/json", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stopped after 3 redirects")
	assert.Equal(t, int32(1+maxRedirects), hits.Load(), "the original request and 3 hops")
}

func TestHTTPClientRefusesRedirectToOtherScheme(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("ftp://example.com/x", http.StatusFound))
	defer srv.Close()

	_, err := NewHTTPClient(true, time.Second).Post(srv.URL, "application/json", nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, errBadRedirect)
}
