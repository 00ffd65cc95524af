package linger_test

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/linger"
)

// A server that answers and closes before reading what the client sends:
// with a lingering close the client still reads the answer.
func TestAnswerSurvivesUnreadData(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := linger.Listen(l)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 1024)
		_, _ = c.Read(buf) // the start of the request only
		_, _ = c.Write([]byte("413 too large"))
		_ = c.Close()
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(bytes.Repeat([]byte("x"), 8<<20))
	require.NoError(t, err, "the client can finish sending")
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "413 too large", string(got))
}
