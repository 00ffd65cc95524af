package broker

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/model"
)

// Partitioned subjects and consumers (docs/architecture.md "Several
// processes"). Our ingest paths publish straight to the partition of the
// event's contact; plain NATS publishers keep scoreflow.events.> and the
// router moves their messages to their partition.
const (
	// PartitionPrefix is the subject space of partitioned events: one
	// literal subject per partition, so a consumer's filter is a cheap
	// per-subject lookup.
	PartitionPrefix = "scoreflow.partition."
	// SourceHeader carries the source: the subject after scoreflow.events.
	// the event was published to before events were partitioned (api,
	// segment, sendgrid, a raw publisher's own tokens). A forward keeps it.
	SourceHeader = "Scoreflow-Source"
	// EventIDHeader and EventTimeHeader are the id and timestamp the router
	// derived for a raw publish whose body had none (as the engine derived
	// them before: Nats-Msg-Id, else nats-<stream epoch>-<seq>; the publish
	// time), so the body travels unchanged and a redelivery gets the same.
	EventIDHeader   = "Scoreflow-Event-Id"
	EventTimeHeader = "Scoreflow-Event-Time"
	// RouterName is the durable consumer that routes scoreflow.events.>.
	RouterName = "scoreflow-router"
	// partitionConsumerPrefix + N is partition N's durable consumer.
	partitionConsumerPrefix = "scoreflow-p"
	// AllConsumer reads every partition in stream order: a process that
	// applies them all (alone on its store) uses it instead of one consumer
	// per partition, which keeps its batches in stream order and costs
	// JetStream one consumer's state.
	AllConsumer = "scoreflow-all"
)

// PartitionKey is the key an event is partitioned by: its contact id,
// else its email trimmed and lower-cased (as the engine resolves it), else
// its anonymous id — the id the engine gives the contact it creates.
func PartitionKey(ev *model.Event) string {
	if ev.ContactID != "" {
		return ev.ContactID
	}
	if email := strings.ToLower(strings.TrimSpace(ev.Email)); email != "" {
		return email
	}
	return ev.AnonymousID
}

// PartitionOf is FNV-1a 32 of the key's bytes modulo n, the hash
// nats-server's partition(n, …) subject mapping uses on a token.
func PartitionOf(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// PartitionSubject is partition p's subject.
func PartitionSubject(p int) string { return PartitionPrefix + strconv.Itoa(p) }

// PartitionConsumer is partition p's durable consumer.
func PartitionConsumer(p int) string { return partitionConsumerPrefix + strconv.Itoa(p) }

// EventMsg is the message of one event on its partition's subject, with
// its id as the deduplication key. The body is encoded with goccy/go-json:
// 0.6 of encoding/json's time and a third of its allocations for a page
// view, and every ingested event is encoded once. Its output is
// encoding/json's but for the order of keys that are not valid UTF-8,
// which both turn into the same U+FFFD form (TestEventMsgBodyIsEncodingJSONs).
func EventMsg(ev *model.Event, source string, partitions int) (*nats.Msg, error) {
	data, err := gojson.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	msg := &nats.Msg{Subject: PartitionSubject(PartitionOf(PartitionKey(ev), partitions)), Data: data, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, ev.ID)
	msg.Header.Set(SourceHeader, source)
	return msg, nil
}

// consumerConfig is the engine's durable pull consumer of one subject.
func consumerConfig(name, filter, description string, maxAckPending int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       name,
		Description:   description,
		FilterSubject: filter,
		// Explicit acks: an ack never covers a message that was not applied.
		AckPolicy: jetstream.AckExplicitPolicy,
		// An ack is a fire-and-forget publish: one sent to a NATS node as
		// it died is lost, and the message waits AckWait before it comes
		// again (to the partition's owner, whose store record skips it if
		// it was applied). 30 s bounds that wait; a batch still retrying
		// then (its store away) only sees its messages again, as
		// duplicates the record skips.
		AckWait:       30 * time.Second,
		MaxAckPending: maxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// ResetPartitionConsumer (re)declares partition p's consumer so delivery
// restarts right after its ack floor (see ResetConsumer): a new owner gets
// the messages the previous one had in flight at once and in order.
func ResetPartitionConsumer(ctx context.Context, s jetstream.Stream, p, maxAckPending int) (jetstream.Consumer, error) {
	cfg := consumerConfig(PartitionConsumer(p), PartitionSubject(p), "Scoreflow engine: applies one partition's events in stream order", maxAckPending)
	// A partition last applied through the all-partitions consumer starts
	// after that one's ack floor; the consumer itself stays, its owner
	// still reads its floor when it gives up the whole.
	return resetConsumer(ctx, s, cfg, AllConsumer, false)
}

// ResetRouter (re)declares the router's consumer from its ack floor. A
// stream from before partitions has the single engine consumer instead:
// the router takes over from its ack floor, and it is deleted, so no event
// it had not applied is lost and none is routed twice needlessly.
func ResetRouter(ctx context.Context, s jetstream.Stream, maxAckPending int) (jetstream.Consumer, error) {
	cfg := consumerConfig(RouterName, SubjectPrefix+">", "Scoreflow router: moves raw publishes to their partition", maxAckPending)
	return resetConsumer(ctx, s, cfg, ConsumerName, true)
}

// resetConsumer recreates cfg's durable from its ack floor, or from the
// ack floor of legacy when cfg's does not exist yet but legacy does
// (deleted when dropLegacy).
func resetConsumer(ctx context.Context, s jetstream.Stream, cfg jetstream.ConsumerConfig, legacy string, dropLegacy bool) (jetstream.Consumer, error) {
	old, err := s.Consumer(ctx, cfg.Durable)
	from := cfg.Durable
	if errors.Is(err, jetstream.ErrConsumerNotFound) && legacy != "" {
		old, err = s.Consumer(ctx, legacy)
		from = legacy
	}
	switch {
	case err == nil:
		info, err := old.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("consumer %s info: %w", from, err)
		}
		if floor := info.AckFloor.Stream; floor > 0 {
			cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, floor+1
		}
		if from == cfg.Durable || dropLegacy {
			if err := s.DeleteConsumer(ctx, from); err != nil {
				return nil, fmt.Errorf("reset consumer %s: %w", from, err)
			}
		}
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, fmt.Errorf("look up consumer %s: %w", from, err)
	}
	c, err := s.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("declare consumer %s: %w", cfg.Durable, err)
	}
	return c, nil
}

// AckFloor is a consumer's ack floor as a stream sequence: every message
// of its filter up to it is acknowledged (0 when it does not exist).
func AckFloor(ctx context.Context, s jetstream.Stream, name string) (uint64, error) {
	c, err := s.Consumer(ctx, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up consumer %s: %w", name, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer %s info: %w", name, err)
	}
	return info.AckFloor.Stream, nil
}

// RecreateConsumer deletes a consumer (when it exists) and declares it
// anew, delivering from stream sequence after+1: for switching between the
// all-partitions consumer and the per-partition ones, whose ack floors
// only the caller can combine.
func RecreateConsumer(ctx context.Context, s jetstream.Stream, name string, after uint64, maxAckPending int) (jetstream.Consumer, error) {
	filter, what := PartitionPrefix+"*", "Scoreflow engine: applies every partition in stream order"
	if name != AllConsumer {
		p, err := strconv.Atoi(strings.TrimPrefix(name, partitionConsumerPrefix))
		if err != nil {
			return nil, fmt.Errorf("consumer %s: not an engine consumer", name)
		}
		filter, what = PartitionSubject(p), "Scoreflow engine: applies one partition's events in stream order"
	}
	if err := DeleteConsumer(ctx, s, name); err != nil {
		return nil, err
	}
	cfg := consumerConfig(name, filter, what, maxAckPending)
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	c, err := s.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("declare consumer %s: %w", name, err)
	}
	return c, nil
}

// DeleteConsumer deletes a consumer; one that does not exist is fine.
func DeleteConsumer(ctx context.Context, s jetstream.Stream, name string) error {
	if err := s.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("delete consumer %s: %w", name, err)
	}
	return nil
}

// PartitionOfSubject is the partition of a scoreflow.partition.<N> subject.
func PartitionOfSubject(subject string) (int, bool) {
	p, err := strconv.Atoi(strings.TrimPrefix(subject, PartitionPrefix))
	return p, err == nil && strings.HasPrefix(subject, PartitionPrefix)
}

// Backlog sums the pending and unacknowledged messages of the router and
// every partition consumer (the consumer lag metric; tests wait for zero).
// The router is read first: it acks a raw message only once its copy is
// stored, so a copy the router's zero no longer counts is in a partition's.
func Backlog(ctx context.Context, js jetstream.JetStream) (pending, ackPending uint64, err error) {
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return 0, 0, fmt.Errorf("look up stream %s: %w", StreamName, err)
	}
	n, err := StreamPartitions(ctx, js)
	if err != nil {
		return 0, 0, err
	}
	names := []string{RouterName, AllConsumer}
	for p := 0; p < n; p++ {
		names = append(names, PartitionConsumer(p))
	}
	for _, name := range names {
		c, err := s.Consumer(ctx, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			continue // not created yet, or deleted meanwhile (a handover)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("consumer %s: %w", name, err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("consumer %s info: %w", name, err)
		}
		pending += info.NumPending
		ackPending += uint64(info.NumAckPending)
	}
	return pending, ackPending, nil
}
