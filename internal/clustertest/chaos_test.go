package clustertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/clustertest"
	"github.com/scoreflow/scoreflow/internal/replica"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// The scoring the chaos test sends: the reference model's settings and
// three of its flows, and a flow of its own with a webhook, a delay (the
// delays job resumes it) and a second webhook.
const (
	booked    = "Booked call"    // engagement-booked-call: +20
	cancelled = "Cancelled call" // engagement-cancelled-call: -10
	task      = "Created task"   // engagement-created-task: +1 the first time, +2 every later time
	demo      = "Requested demo" // chaos-demo: webhook w1, wait 2s, +5, webhook w2
)

const chaosFlow = `{"id": "chaos-demo", "name": "Chaos: requested a demo", "enabled": true,
  "entry": {"mode": "every_time"},
  "nodes": [
    {"id": "t1", "type": "trigger.event", "config": {"name": "Requested demo"}},
    {"id": "w1", "type": "action.webhook", "config": {"url": "%[1]s/demo-requested"}},
    {"id": "d1", "type": "delay.wait", "config": {"for": "2s"}},
    {"id": "a1", "type": "action.adjust_score", "config": {"score": "engagement", "points": 5}},
    {"id": "w2", "type": "action.webhook", "config": {"url": "%[1]s/demo-followed-up"}}
  ],
  "edges": [{"from": "t1", "to": "w1"}, {"from": "w1", "to": "d1"}, {"from": "d1", "to": "a1"}, {"from": "a1", "to": "w2"}]}`

// receiver is the webhook endpoint: it records every delivery.
type receiver struct {
	mu         sync.Mutex
	deliveries []delivery
}

type delivery struct {
	key, row string // Idempotency-Key, X-Scoreflow-Delivery (the outbox row)
	at       time.Time
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	r.mu.Lock()
	r.deliveries = append(r.deliveries, delivery{key: req.Header.Get("Idempotency-Key"), row: req.Header.Get("X-Scoreflow-Delivery"), at: time.Now()})
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) snapshot() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

type event struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	ContactID   string `json:"contact_id,omitempty"`
	AnonymousID string `json:"anonymous_id,omitempty"`
}

// expectedScore is the reference model's arithmetic for one contact's
// events, in any order (the task rule depends only on the count).
func expectedScore(evs []event) int64 {
	var score, tasks int64
	for _, e := range evs {
		switch e.Type {
		case booked:
			score += 20
		case cancelled:
			score -= 10
		case task:
			if tasks++; tasks == 1 {
				score++
			} else {
				score += 2
			}
		case demo:
			score += 5
		}
	}
	return score
}

// TestChaos is issue 11's failover test: HTTP load spread over every
// replica while a replica is SIGKILLed and a NATS node stopped, both
// started again; afterwards every replica's API shows every contact with
// exactly the score its events make, a history of one row per event that
// sums to it, one webhook per cause and the delays job ran once per tick
// on each replica (for the partitions it owns).
//
// It runs clustertest.DefaultReplicas replicas (3; SCOREFLOW_CLUSTER_REPLICAS=N for N)
// on a 3-node NATS cluster with an R3 stream and a private PostgreSQL.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("about a minute of processes and faults: not with -short")
	}
	replicas := clustertest.Replicas(t)
	recv := &receiver{}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()

	started := time.Now()
	c := clustertest.Start(t, clustertest.Options{Replicas: replicas, Args: []string{
		"--allow-private-webhooks", "--schedule-delays", "@every 1s", "--schedule-segments", "off", "--schedule-decay", "off",
	}})
	t.Logf("%d replicas on %d NATS nodes ready in %s", replicas, c.NATS.Len(), time.Since(started).Round(time.Millisecond))
	client := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	reference := filepath.Join("..", "..", "examples", "reference")
	settings, err := os.ReadFile(filepath.Join(reference, "settings.json"))
	require.NoError(t, err)
	status, body, err := client.Do(ctx, http.MethodPut, "/api/v1/settings", settings)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	for _, name := range []string{"engagement-booked-call", "engagement-cancelled-call", "engagement-created-task"} {
		doc, err := os.ReadFile(filepath.Join(reference, "flows", name+".json"))
		require.NoError(t, err)
		status, body, err := client.Do(ctx, http.MethodPost, "/api/v1/flows", doc)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, status, "%s: %s", name, body)
	}
	status, body, err = client.Do(ctx, http.MethodPost, "/api/v1/flows", []byte(fmt.Sprintf(chaosFlow, hooks.URL)))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var flow struct {
		Version int `json:"version"`
	}
	require.NoError(t, json.Unmarshal(body, &flow))
	// Flow changes reach every replica within a second (issue 11 item 3);
	// the load starts after that.
	time.Sleep(1500 * time.Millisecond)

	// 150 contacts with 6 events each, and the visitors below, in a
	// shuffled order, sent in batches of 10 by 3 clients at about 100
	// events/s: the load lasts about 10 s, across the faults below.
	rnd := rand.New(rand.NewPCG(11, 7))
	types := []string{booked, cancelled, task, task, demo}
	var events []event
	byContact := map[string][]event{}
	for i := 0; i < 900; i++ {
		e := event{ID: fmt.Sprintf("chaos-%04d", i), Type: types[rnd.IntN(len(types))], ContactID: fmt.Sprintf("c-%03d", i%150)}
		events = append(events, e)
		byContact[e.ContactID] = append(byContact[e.ContactID], e)
	}
	// 12 anonymous visitors with 3 events each, each identified as one of
	// the contacts: most visitors' partitions are applied by another
	// replica than their contact's, so most merges go in two steps across
	// replicas, in any order with the visitor's events. A visitor's events
	// count for its contact (only calls: the task rule counts a contact's
	// tasks, which a merge would change); the identify itself scores
	// nothing and writes no history.
	visitors := map[string]string{}
	for v := 0; v < 12; v++ {
		anon, known := fmt.Sprintf("v-%02d", v), fmt.Sprintf("c-%03d", (v*13)%150)
		visitors[anon] = known
		for i := 0; i < 3; i++ {
			e := event{ID: fmt.Sprintf("visit-%02d-%d", v, i), Type: []string{booked, cancelled}[rnd.IntN(2)], AnonymousID: anon}
			events = append(events, e)
			byContact[known] = append(byContact[known], e)
		}
		events = append(events, event{ID: fmt.Sprintf("identify-%02d", v), Type: "identify", ContactID: known, AnonymousID: anon})
	}
	rnd.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	batches := make(chan []event)
	go func() {
		defer close(batches)
		for i := 0; i < len(events); i += 10 {
			batches <- events[i:min(i+10, len(events))]
		}
	}()
	var load sync.WaitGroup
	loadErrs := make(chan error, 3)
	for w := 0; w < 3; w++ {
		load.Add(1)
		go func() {
			defer load.Done()
			tick := time.NewTicker(300 * time.Millisecond)
			defer tick.Stop()
			for b := range batches {
				data, _ := json.Marshal(map[string]any{"events": b})
				status, body, err := client.Do(ctx, http.MethodPost, "/api/v1/events", data)
				if err == nil && status != http.StatusAccepted {
					err = fmt.Errorf("POST /api/v1/events: %d %s", status, body)
				}
				if err != nil {
					loadErrs <- err
					return
				}
				<-tick.C
			}
		}()
	}

	// The faults, under load: the first replica (the one that runs the
	// cluster-wide jobs while it owns partition 0) is killed, a NATS node
	// stops, then both come back.
	var kills []time.Time
	time.Sleep(2 * time.Second)
	kills = append(kills, time.Now())
	c.Kill(0)
	t.Logf("%s: SIGKILL replica 0", time.Since(started).Round(time.Millisecond))
	time.Sleep(time.Second)
	c.NATS.Stop(1)
	t.Logf("%s: NATS node 2 stopped", time.Since(started).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	c.NATS.Restart(1)
	t.Logf("%s: NATS node 2 back", time.Since(started).Round(time.Millisecond))
	c.Restart(0)
	t.Logf("%s: replica 0 ready again", time.Since(started).Round(time.Millisecond))

	load.Wait()
	close(loadErrs)
	for err := range loadErrs {
		require.NoError(t, err)
	}
	t.Logf("%s: load sent (%d calls sent again)", time.Since(started).Round(time.Millisecond), client.Retries())
	// The killed replica's partitions have moved (and come back when it
	// rejoined) before the backlog is read: a partition between owners has
	// no consumer to show its backlog.
	checkOwnership(ctx, t, c)
	t.Logf("%s: every partition owned once, by every replica", time.Since(started).Round(time.Millisecond))
	c.WaitApplied(60 * time.Second)
	t.Logf("%s: stream applied", time.Since(started).Round(time.Millisecond))

	// Parked runs wake 2 s after their event and their webhooks follow;
	// the rows a killed replica had claimed wait for their claim to lapse
	// (30 s with the outbox claims of issue 11).
	wantKeys := map[string]bool{}
	for _, e := range events {
		if e.Type == demo {
			for _, node := range []string{"w1", "w2"} {
				wantKeys[fmt.Sprintf("%s/chaos-demo@%d/%s", e.ID, flow.Version, node)] = true
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && len(distinctKeys(recv.snapshot())) < len(wantKeys) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: %d webhook keys received", time.Since(started).Round(time.Millisecond), len(distinctKeys(recv.snapshot())))

	// Every contact, on every replica's own API. Scores may trail a
	// little where a handover redelivers a batch after the stream looked
	// drained, so each read retries until one deadline for them all.
	settle := time.Now().Add(30 * time.Second)
	for _, addr := range c.Addrs() {
		for id, evs := range byContact {
			checkContact(ctx, t, client, addr, id, evs, settle)
		}
	}

	// Each visitor's id answers its contact on every replica.
	for _, addr := range c.Addrs() {
		for anon, known := range visitors {
			status, body, err := client.On(ctx, addr, http.MethodGet, "/api/v1/contacts/"+anon, nil)
			require.NoError(t, err)
			var got struct {
				ID         string   `json:"id"`
				MergedFrom []string `json:"merged_from"`
			}
			require.Equal(t, http.StatusOK, status, "%s on %s: %s", anon, addr, body)
			require.NoError(t, json.Unmarshal(body, &got))
			assert.Equal(t, known, got.ID, "visitor %s on %s", anon, addr)
			assert.Contains(t, got.MergedFrom, anon, "visitor %s on %s", anon, addr)
		}
	}

	checkWebhooks(t, recv.snapshot(), wantKeys, kills)
	checkDelaysTick(ctx, t, client, c.Addrs())
	t.Logf("%s: checked %d contacts on %d replicas", time.Since(started).Round(time.Millisecond), len(byContact), replicas)
}

// checkContact: the score is exact, the history has one row per event
// (the demo's row comes from its resumed run; a merge's rows, one per
// dimension the merged contact had, are not an event's) and sums to the
// score.
func checkContact(ctx context.Context, t *testing.T, client *clustertest.Client, addr, id string, evs []event, deadline time.Time) {
	t.Helper()
	want := expectedScore(evs)
	var got struct {
		Score int64 `json:"score"`
	}
	for {
		status, body, err := client.On(ctx, addr, http.MethodGet, "/api/v1/contacts/"+id, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "%s on %s: %s", id, addr, body)
		require.NoError(t, json.Unmarshal(body, &got))
		if got.Score == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Equal(t, want, got.Score, "score of %s on %s (events %v)", id, addr, evs)

	status, body, err := client.On(ctx, addr, http.MethodGet, "/api/v1/contacts/"+id+"/history", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var h struct {
		History []struct {
			Delta   int64   `json:"delta"`
			EventID *string `json:"event_id"`
			Flow    *string `json:"flow"`
			Node    *string `json:"node"`
			Reason  string  `json:"reason"`
		} `json:"history"`
	}
	require.NoError(t, json.Unmarshal(body, &h))
	var sum int64
	var gotIDs, wantIDs []string
	for _, row := range h.History {
		sum += row.Delta
		if row.EventID != nil && row.Reason != "merge" {
			gotIDs = append(gotIDs, *row.EventID)
		}
	}
	for _, e := range evs {
		wantIDs = append(wantIDs, e.ID)
	}
	sort.Strings(gotIDs)
	sort.Strings(wantIDs)
	assert.Equal(t, got.Score, sum, "history of %s on %s sums to its score", id, addr)
	assert.Equal(t, wantIDs, gotIDs, "history of %s on %s: one row per event", id, addr)
}

func distinctKeys(ds []delivery) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, d := range ds {
		if out[d.key] == nil {
			out[d.key] = map[string]int{}
		}
		out[d.key][d.row]++
	}
	return out
}

// killGrace is how long after a SIGKILL the receiver may still read a
// request the dead replica had sent.
const killGrace = 2 * time.Second

// checkWebhooks: every cause's key arrived, from one outbox row; a row
// arrives twice only when the replica delivering it was killed before it
// could mark it delivered (a repeat after a crash, which the key lets the
// receiver drop), so its first arrival is within seconds of a kill: up to
// 10 s before it (an attempt under way), or a little after it, since the
// receiver's handler may run only after the dead sender's request, already
// in the socket, is read.
func checkWebhooks(t *testing.T, ds []delivery, want map[string]bool, kills []time.Time) {
	t.Helper()
	byKey := distinctKeys(ds)
	for key := range want {
		assert.Contains(t, byKey, key, "webhook never delivered")
	}
	first := map[string]time.Time{}
	repeats := 0
	for _, d := range ds {
		assert.True(t, want[d.key], "webhook %q has no cause among the events sent", d.key)
		assert.Len(t, byKey[d.key], 1, "webhook %q was queued by more than one outbox row: %v", d.key, byKey[d.key])
		at, seen := first[d.row]
		if !seen {
			first[d.row] = d.at
			continue
		}
		repeats++
		nearKill := false
		var since []time.Duration // the first arrival, relative to each kill
		for _, k := range kills {
			nearKill = nearKill || (at.After(k.Add(-10*time.Second)) && at.Before(k.Add(killGrace)))
			since = append(since, at.Sub(k).Round(time.Millisecond))
		}
		assert.True(t, nearKill, "webhook %q (row %s) delivered again though no replica died while it was in flight: first arrival %v after the kills, again %v after the first",
			d.key, d.row, since, d.at.Sub(at).Round(time.Millisecond))
	}
	t.Logf("%d webhook deliveries, %d keys, %d repeats after a kill", len(ds), len(byKey), repeats)
}

// checkOwnership: every replica's GET /api/v1/cluster shows each
// partition owned by exactly one replica and every replica of ours owning
// some (balanced again after the restart); polled, since a handover takes
// a few seconds.
func checkOwnership(ctx context.Context, t *testing.T, c *clustertest.Cluster) {
	t.Helper()
	var problem string
	deadline := time.Now().Add(30 * time.Second)
	for {
		problem = ""
		for _, addr := range c.Addrs() {
			var err error
			problem, err = replica.Unbalanced(ctx, addr, c.AdminKey, c.Addrs())
			require.NoError(t, err)
			if problem != "" {
				break
			}
		}
		if problem == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	assert.Empty(t, problem, "partition ownership")
}

var everySeconds = regexp.MustCompile(`^@every (\d+)s$`)

// checkDelaysTick: over a quiet window, the delays job is recorded no
// more often than its schedule ticks on any replica, counted in the
// shared store.
func checkDelaysTick(ctx context.Context, t *testing.T, client *clustertest.Client, addrs []string) {
	t.Helper()
	runs := func() (int64, string) {
		status, body, err := client.Do(ctx, http.MethodGet, "/api/v1/jobs", nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var jobs struct {
			Jobs []struct {
				Name     string `json:"name"`
				Schedule string `json:"schedule"`
				Runs     int64  `json:"runs"`
				Outcome  string `json:"outcome"`
			} `json:"jobs"`
		}
		require.NoError(t, json.Unmarshal(body, &jobs))
		for _, j := range jobs.Jobs {
			if j.Name == "delays" {
				assert.NotEqual(t, "failed", j.Outcome)
				return j.Runs, j.Schedule
			}
		}
		t.Fatalf("no delays job in %s", body)
		return 0, ""
	}
	before, schedule := runs()
	m := everySeconds.FindStringSubmatch(schedule)
	require.NotNil(t, m, "schedule %q", schedule)
	tick, _ := strconv.Atoi(m[1])
	window := 5 * time.Second
	time.Sleep(window)
	after, _ := runs()
	ticks := int64(window/time.Second) / int64(tick)
	t.Logf("delays job: %d runs in %s on %d replicas (schedule %s)", after-before, window, len(addrs), schedule)
	// Every replica runs the job for the partitions it owns (a parked run
	// is resumed by its contact's owner only, which the webhook and score
	// checks prove once per cause), so the shared count grows by one per
	// tick per replica: no replica runs it more often than it ticks, none
	// stopped.
	n := int64(len(addrs))
	assert.LessOrEqual(t, after-before, n*(ticks+1), "a replica ran the delays job more than once per tick")
	assert.GreaterOrEqual(t, after-before, n*(ticks-1), "a replica stopped running the delays job")
}
