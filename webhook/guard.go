package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is wrapped by every error the guarded client returns when
// a webhook target resolves to a loopback, private or otherwise internal address.
var ErrPrivateAddress = errors.New("webhook: target resolves to a private address")

// errBadRedirect marks a redirect that can never succeed (unsupported scheme),
// so the delivery fails at once instead of retrying.
var errBadRedirect = errors.New("webhook: redirect to an unsupported scheme")

// maxRedirects is how many redirect hops a delivery follows before giving up.
const maxRedirects = 3

// PrivateAddressError is the refusal of one dial: Host is the name the URL gave
// (empty when only the address is known), Addr the resolved address refused.
type PrivateAddressError struct {
	Host string
	Addr netip.Addr
}

func (e *PrivateAddressError) Error() string {
	if e.Host == "" {
		return fmt.Sprintf("refused: %s is a private address", e.Addr)
	}
	return fmt.Sprintf("refused: %s resolves to a private address (%s)", e.Host, e.Addr)
}

// Unwrap lets callers test with errors.Is(err, ErrPrivateAddress).
func (e *PrivateAddressError) Unwrap() error { return ErrPrivateAddress }

// deniedPrefixes are the ranges a webhook may not reach unless private targets
// are allowed: anything that lands inside our own host or network rather than
// on the public Internet. IPv4-mapped IPv6 addresses are unmapped before the
// check, so they are covered by the IPv4 rows.
var deniedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"; 0.0.0.0 dials the local host on Linux
	netip.MustParsePrefix("10.0.0.0/8"),     // private
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT, often internal in clouds
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, incl. cloud metadata 169.254.169.254
	netip.MustParsePrefix("172.16.0.0/12"),  // private
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments, not globally routable
	netip.MustParsePrefix("192.168.0.0/16"), // private
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking, not globally routable
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, incl. broadcast 255.255.255.255
	netip.MustParsePrefix("::/96"),          // unspecified, loopback and deprecated IPv4-compatible forms
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("fc00::/7"),       // unique local (ULA)
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local, still routed internally by some stacks
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

// Prefixes that embed an IPv4 address a gateway translates to: the embedded
// address is judged, so 64:ff9b::7f00:1 cannot reach 127.0.0.1 through NAT64.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// isPublicAddr reports whether a webhook may connect to addr when private
// targets are not allowed.
func isPublicAddr(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.WithZone("").Unmap()
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() || addr.IsMulticast() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range deniedPrefixes {
		if p.Contains(addr) {
			return false
		}
	}
	if nat64Prefix.Contains(addr) {
		b := addr.As16()
		return isPublicAddr(netip.AddrFrom4([4]byte(b[12:16])))
	}
	if sixToFour.Contains(addr) {
		b := addr.As16()
		return isPublicAddr(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return true
}

// guardDial is a net.Dialer Control func: it runs after DNS resolution, on the
// exact address about to be dialed, so a name that re-resolves to an internal
// address between a check and the connect (DNS rebinding) is still refused.
func guardDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: an address we cannot parse is an address we cannot vouch for.
		return fmt.Errorf("webhook: parse dial address %q: %w", address, ErrPrivateAddress)
	}
	if !isPublicAddr(ap.Addr()) {
		return &PrivateAddressError{Addr: ap.Addr()}
	}
	return nil
}

// NewHTTPClient returns the client webhooks are delivered with. Unless
// allowPrivate is set, every connection, including each redirect hop, is
// refused when it would reach a loopback, private or link-local address; the
// error then wraps ErrPrivateAddress. It follows at most 3 redirects, only to
// http and https, and ignores proxy environment variables, since a proxy would
// dial the target on our behalf, out of the guard's sight.
func NewHTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	var control func(network, address string, c syscall.RawConn) error
	if !allowPrivate {
		control = guardDial
	}
	return newHTTPClient(timeout, control)
}

func newHTTPClient(timeout time.Duration, control func(network, address string, c syscall.RawConn) error) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: control}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		// The Control func only sees the resolved address; name the host too,
		// so the delivery's last error says which target was refused.
		var pe *PrivateAddressError
		if err != nil && errors.As(err, &pe) && pe.Host == "" {
			host, _, splitErr := net.SplitHostPort(addr)
			if splitErr != nil {
				host = addr
			}
			return nil, &PrivateAddressError{Host: host, Addr: pe.Addr}
		}
		return conn, err
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		ForceAttemptHTTP2:     true, // a custom DialContext turns HTTP/2 off unless asked for
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("webhook: stopped after %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: %q", errBadRedirect, req.URL.Scheme)
			}
			return nil
		},
	}
}
