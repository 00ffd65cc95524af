// Package linger gives a net.Listener lingering closes: when the server
// closes a connection, it first says it is done writing (FIN), then reads
// and discards what the client is still sending for a little while, and
// only then closes.
//
// Without it, a server that answers before reading a whole request (a 413
// for a body over the limit) and closes at once makes the kernel reset
// the connection, because unread data was waiting: clients that send the
// body without waiting for "100 Continue" (Python's urllib, Node's fetch,
// Go's net/http) then see "connection reset" instead of the answer. Apache
// and nginx close this way for the same reason (lingering_close).
package linger

import (
	"io"
	"net"
	"sync"
	"time"
)

// Limits of one lingering close: enough for any client to finish sending
// a request somewhat over the limit and read the answer, bounded so a
// client that keeps sending cannot hold the socket.
const (
	Timeout  = 2 * time.Second
	MaxBytes = 64 << 20
)

// Listen wraps l so the connections it accepts close lingeringly.
func Listen(l net.Listener) net.Listener { return listener{l} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	return &conn{TCPConn: tc}, nil
}

type conn struct {
	*net.TCPConn
	once sync.Once
}

// Close sends FIN at once and drains in the background, so the server's
// goroutine never waits on a slow client.
func (c *conn) Close() error {
	var err error
	c.once.Do(func() {
		if err = c.TCPConn.CloseWrite(); err != nil {
			err = c.TCPConn.Close()
			return
		}
		go func() {
			_ = c.TCPConn.SetReadDeadline(time.Now().Add(Timeout))
			_, _ = io.CopyN(io.Discard, c.TCPConn, MaxBytes)
			_ = c.TCPConn.Close()
		}()
	})
	return err
}
