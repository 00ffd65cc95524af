package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultPartitions is the contact partitions of a stream created without
// --partitions (CONTRACT §7).
const DefaultPartitions = 16

// partitionsKey is the stream metadata entry that records its partitions:
// they are fixed when the stream is created, as a contact's partition must
// not change while its events are on the stream.
const partitionsKey = "scoreflow_partitions"

// StreamOptions are the stream settings Scoreflow applies when it creates
// the stream. Zero values take the defaults (1 replica, 16 partitions).
type StreamOptions struct {
	Replicas   int
	Partitions int
	Logger     *slog.Logger
}

// Validate checks the options as flags (CONTRACT §7); fill zero values
// with WithDefaults first where they stand for the defaults.
func (o StreamOptions) Validate() error {
	if o.Replicas < 1 || o.Replicas > 5 {
		return fmt.Errorf("--nats-replicas %d: JetStream keeps 1 to 5 replicas of a stream [SCOREFLOW_NATS_REPLICAS]", o.Replicas)
	}
	if o.Partitions < 1 || o.Partitions > 1024 {
		return fmt.Errorf("--partitions %d: between 1 and 1024 [SCOREFLOW_PARTITIONS]", o.Partitions)
	}
	return nil
}

// WithDefaults fills the zero values.
func (o StreamOptions) WithDefaults() StreamOptions {
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Partitions == 0 {
		o.Partitions = DefaultPartitions
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// streamSettings returns the replicas and metadata to declare the stream
// with. An existing stream keeps its replicas (changing them is the NATS
// operator's call) and must have been created with the same partitions.
func streamSettings(ctx context.Context, js jetstream.JetStream, opts StreamOptions) (replicas int, metadata map[string]string, err error) {
	opts = opts.WithDefaults()
	metadata = map[string]string{partitionsKey: strconv.Itoa(opts.Partitions)}
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return opts.Replicas, metadata, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("look up stream %s: %w", StreamName, err)
	}
	cfg := s.CachedInfo().Config
	if had, ok := cfg.Metadata[partitionsKey]; ok && had != metadata[partitionsKey] {
		return 0, nil, fmt.Errorf("stream %s was created with --partitions %s and this process asks for %d: partitions are fixed when the stream is created; start with --partitions %s",
			StreamName, had, opts.Partitions, had)
	}
	for k, v := range cfg.Metadata {
		if !strings.HasPrefix(k, "_nats.") { // the server's own entries
			metadata[k] = v
		}
	}
	if cfg.Replicas != opts.Replicas {
		opts.Logger.Info("the stream keeps its replicas; change them with the nats CLI", "stream", StreamName,
			"replicas", cfg.Replicas, "nats_replicas", opts.Replicas)
	}
	return cfg.Replicas, metadata, nil
}

// StreamPartitions reads the partitions recorded in the stream (0 when
// the stream does not exist yet).
func StreamPartitions(ctx context.Context, js jetstream.JetStream) (int, error) {
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up stream %s: %w", StreamName, err)
	}
	n, err := strconv.Atoi(s.CachedInfo().Config.Metadata[partitionsKey])
	if err != nil {
		return DefaultPartitions, nil // a stream from before partitions were recorded
	}
	return n, nil
}
