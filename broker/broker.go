// Package broker connects Scoreflow to NATS JetStream: it starts the
// embedded nats-server when no external one is named, declares the event
// stream and the engine's consumer, and publishes events with their id as
// the JetStream deduplication key.
package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names fixed by the contract (CONTRACT §2).
const (
	StreamName    = "SCOREFLOW_EVENTS"
	SubjectPrefix = "scoreflow.events."
	// ConsumerName is the single engine consumer of a stream from before
	// partitions (ResetRouter takes over from it).
	ConsumerName = "scoreflow-engine"
	// DuplicateWindow is how long JetStream itself drops a repeated
	// Nats-Msg-Id; the store's record catches repeats after it, so the
	// window only saves a quick retry its place in the stream. It is short
	// because nats-server keeps every id of the window in memory (about
	// 100 bytes each) and looks each publish up in it: with two minutes, a
	// million events published at 13,000/s were all held at once; going
	// from 10 s to 2 s took 1M events over 10k contacts from 416 to 380 MiB
	// and from 24,200 to 26,400 events/s.
	DuplicateWindow = 2 * time.Second
)

// Embedded is an in-process nats-server with JetStream.
type Embedded struct {
	Server *server.Server
}

// EmbeddedOptions configure the embedded server. Listen "off" serves
// in-process connections only; "127.0.0.1:-1" picks a free port (tests).
type EmbeddedOptions struct {
	StoreDir string
	Listen   string
}

// StartEmbedded starts nats-server with a JetStream file store in StoreDir.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	so := &server.Options{
		ServerName: "scoreflow",
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		// A batch of up to 1000 events can be 1 MiB or more on the wire.
		MaxPayload: 8 << 20,
	}
	if opts.Listen == "off" {
		so.DontListen = true
	} else {
		host, portStr, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", opts.Listen, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", portStr, err)
		}
		so.Host, so.Port = host, port
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("create embedded nats-server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats-server not ready within 10s")
	}
	return &Embedded{Server: ns}, nil
}

// ClientURL is the address clients outside the process can use ("" when
// the server listens in-process only).
func (e *Embedded) ClientURL() string {
	if e.Server.Addr() == nil {
		return ""
	}
	return e.Server.ClientURL()
}

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}

// Connect opens a client connection: to url when set, else in-process to
// the embedded server.
func Connect(url string, emb *Embedded, name string) (*nats.Conn, jetstream.JetStream, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	var nc *nats.Conn
	var err error
	switch {
	case url != "":
		nc, err = nats.Connect(url, opts...)
	case emb != nil:
		nc, err = nats.Connect("", append(opts, nats.InProcessServer(emb.Server))...)
	default:
		return nil, nil, errors.New("connect to nats: no url and no embedded server")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream context: %w", err)
	}
	return nc, js, nil
}

// EnsureStream declares the event stream (idempotent; see streamSettings
// for what an existing stream keeps).
func EnsureStream(ctx context.Context, js jetstream.JetStream, opts StreamOptions) (jetstream.Stream, error) {
	replicas, metadata, err := streamSettings(ctx, js, opts)
	if err != nil {
		return nil, err
	}
	want := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Scoreflow events: every ingest path publishes here; the engine consumes",
		Subjects:    []string{SubjectPrefix + ">", PartitionPrefix + "*"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  DuplicateWindow,
		MaxAge:      7 * 24 * time.Hour,
		Discard:     jetstream.DiscardOld,
		Replicas:    replicas,
		Metadata:    metadata,
	}
	// A stream that already has this configuration is left alone: with
	// replicas starting together, an update that changes nothing still
	// rewrites the stream's store config on the server while another
	// replica declares its consumers.
	if s, err := js.Stream(ctx, StreamName); err == nil && sameStream(s.CachedInfo().Config, want) {
		return s, nil
	}
	s, err := js.CreateOrUpdateStream(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("declare stream %s: %w", StreamName, err)
	}
	return s, nil
}

// sameStream reports whether have already is the stream Scoreflow
// declares as want (the server adds entries of its own to the metadata).
func sameStream(have, want jetstream.StreamConfig) bool {
	if have.Description != want.Description || !slices.Equal(have.Subjects, want.Subjects) ||
		have.Storage != want.Storage || have.Retention != want.Retention || have.Duplicates != want.Duplicates ||
		have.MaxAge != want.MaxAge || have.Discard != want.Discard || have.Replicas != want.Replicas {
		return false
	}
	for k, v := range want.Metadata {
		if have.Metadata[k] != v {
			return false
		}
	}
	return true
}

// ResetConsumer (re)declares the engine's durable pull consumer so that
// delivery restarts right after its ack floor. A consumer that survived a
// crash still counts the messages it handed to the dead process as
// delivered; left alone, JetStream would redeliver them only after AckWait,
// behind newer messages, breaking stream order. Starting again from the ack
// floor redelivers them at once and in order; the ones that were applied but
// not acked are skipped by the store's record. Only one engine consumes at a
// time, so recreating the consumer disturbs nobody.
func ResetConsumer(ctx context.Context, s jetstream.Stream, maxAckPending int) (jetstream.Consumer, error) {
	return resetConsumer(ctx, s, consumerConfig(ConsumerName, "", "Scoreflow engine: applies events in stream order", maxAckPending), "", false)
}
