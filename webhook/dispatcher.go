// Package webhook delivers the calls of action.webhook. The engine writes each
// call into an outbox in the same transaction as the rest of a run's effects;
// after commit, the Dispatcher here POSTs the queued rows, at least once each,
// retrying with backoff, and refuses internal targets unless they are allowed.
// Every replica runs one; a row is claimed by one of them for a lease
// (store.WebhookClaims), so each row is delivered once in the cluster unless
// a dispatcher dies mid-attempt.
package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// Store is the outbox as the dispatcher needs it (both stores implement it).
type Store interface {
	// ClaimWebhooks claims for owner, until now+lease, up to limit pending
	// rows with NextAt <= now that no live claim holds, oldest first
	// (store.WebhookClaims); recording an outcome ends the claim.
	ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]model.WebhookDelivery, error)
	MarkWebhookDelivered(ctx context.Context, id int64, attempts int, at time.Time) error
	MarkWebhookRetry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	MarkWebhookFailed(ctx context.Context, id int64, attempts int, lastErr string, at time.Time) error
}

// Outcomes of one delivery attempt, as passed to Options.OnResult.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeFailed    = "failed"
)

// Options tune a Dispatcher; zero values take the defaults noted.
type Options struct {
	AllowPrivate bool                 // --allow-private-webhooks: permit loopback/private targets
	Timeout      time.Duration        // per attempt, default 10s
	MaxAttempts  int                  // default 8; then the delivery is failed for good
	BaseBackoff  time.Duration        // default 1s, doubled each attempt with ±20% jitter, capped at MaxBackoff
	MaxBackoff   time.Duration        // default 10m
	Workers      int                  // concurrent deliveries, default 4
	PollInterval time.Duration        // how often to look for due retries when not notified, default 1s
	Now          func() time.Time     // clock, default time.Now
	Logger       *slog.Logger         // default slog.Default()
	OnResult     func(outcome string) // "delivered", "retry", "failed" once recorded in the store; may be nil
	UserAgent    string               // default "Scoreflow-Webhook/1.0"
	// Owner names this dispatcher's claims on the outbox (the replica id);
	// default a random id. Each replica's dispatcher must have its own.
	Owner string
	// ClaimLease is how long a claimed row stays this dispatcher's: after
	// it, a dispatcher that died mid-delivery has its rows delivered by
	// another. Default 2×Timeout + 10s; keep it above Timeout plus the time
	// to record an outcome, or a slow attempt may be repeated meanwhile.
	ClaimLease time.Duration
}

const (
	defaultUserAgent = "Scoreflow-Webhook/1.0"
	// markTimeout bounds recording an outcome; it is not tied to Run's context,
	// so a delivery in progress at shutdown is still recorded.
	markTimeout = 10 * time.Second
	// maxErrorBody is how much of a failed response's body goes into LastError.
	maxErrorBody = 200
	// maxErrorText bounds any other error text kept as LastError.
	maxErrorText = 300
	// drainLimit is how much of a response is read to let the connection be reused.
	drainLimit = 64 << 10
)

// randomOwner names a dispatcher no one configured: unique enough that two
// processes never share claims.
func randomOwner() string {
	var b [6]byte
	_, _ = crand.Read(b[:])
	return "dispatcher-" + hex.EncodeToString(b[:])
}

// Dispatcher delivers due outbox rows. It is safe for concurrent use; Run
// must be called once at a time.
type Dispatcher struct {
	store  Store
	opts   Options
	client *http.Client
	log    *slog.Logger

	wake    chan struct{} // Notify: new rows were committed
	freed   chan struct{} // a delivery finished, so a worker slot is free
	running atomic.Bool

	mu       sync.Mutex
	inflight map[int64]struct{} // rows being delivered now; never started twice at once
}

// NewDispatcher returns a Dispatcher delivering the rows of store; start it with Run.
func NewDispatcher(store Store, opts Options) *Dispatcher {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.MaxBackoff < opts.BaseBackoff {
		opts.MaxBackoff = opts.BaseBackoff
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = defaultUserAgent
	}
	if opts.Owner == "" {
		opts.Owner = randomOwner()
	}
	if opts.ClaimLease <= 0 {
		opts.ClaimLease = 2*opts.Timeout + markTimeout
	}
	return &Dispatcher{
		store:    store,
		opts:     opts,
		client:   NewHTTPClient(opts.AllowPrivate, opts.Timeout),
		log:      opts.Logger.With("component", "webhook"),
		wake:     make(chan struct{}, 1),
		freed:    make(chan struct{}, 1),
		inflight: make(map[int64]struct{}),
	}
}

// Notify tells the dispatcher that new rows were committed. It never blocks;
// several calls before the dispatcher looks collapse into one look.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers due rows until ctx is done: at once, whenever Notify is called,
// when a worker frees up while more rows wait, and every PollInterval for
// retries coming due. On return, every delivery it started has finished and
// its outcome has been recorded (or left pending if recording failed).
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("webhook: dispatcher is already running")
	}
	defer d.running.Store(false)

	var wg sync.WaitGroup
	ticker := time.NewTicker(d.opts.PollInterval)
	defer ticker.Stop()
	d.log.Info("webhook dispatcher started", "workers", d.opts.Workers, "allow_private", d.opts.AllowPrivate)

	for {
		more := d.dispatch(ctx, &wg)
		// Only listen for freed slots while rows may be waiting for one; otherwise
		// every finished delivery would cost a pointless query.
		var freed <-chan struct{}
		if more {
			freed = d.freed
		}
		select {
		case <-ctx.Done():
			d.log.Info("webhook dispatcher stopping", "in_flight", d.inflightCount())
			wg.Wait()
			d.client.CloseIdleConnections()
			return nil
		case <-d.wake:
		case <-ticker.C:
		case <-freed:
		}
	}
}

func (d *Dispatcher) inflightCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.inflight)
}

// dispatch claims due rows, as many as there are free workers, and starts
// their deliveries. It reports whether more rows may be due than it could
// start.
func (d *Dispatcher) dispatch(ctx context.Context, wg *sync.WaitGroup) (more bool) {
	if ctx.Err() != nil {
		return false
	}
	now := d.opts.Now()
	d.mu.Lock()
	free := d.opts.Workers - len(d.inflight)
	d.mu.Unlock()
	if free <= 0 {
		return true
	}
	// A claimed row is this dispatcher's until the lease ends, so another
	// replica's dispatcher does not deliver it too; a row in flight here is
	// claimed, so it does not come back while its attempt runs.
	rows, err := d.store.ClaimWebhooks(ctx, d.opts.Owner, now, d.opts.ClaimLease, free)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhook outbox claim failed", "err", err)
		}
		return false
	}

	for _, row := range rows {
		d.mu.Lock()
		// An attempt that outlived its lease may be claimed again here: the
		// new claim keeps others off it, and it is not started twice.
		if _, running := d.inflight[row.ID]; running {
			d.mu.Unlock()
			continue
		}
		d.inflight[row.ID] = struct{}{}
		d.mu.Unlock()

		wg.Add(1)
		go func(row model.WebhookDelivery) {
			defer wg.Done()
			d.deliver(ctx, row)
			d.mu.Lock()
			delete(d.inflight, row.ID)
			d.mu.Unlock()
			select {
			case d.freed <- struct{}{}:
			default:
			}
		}(row)
	}
	return len(rows) == free
}

// deliver makes one attempt at row and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, row model.WebhookDelivery) {
	attempt := row.Attempts + 1
	// The attempt is not cancelled with Run's context: a delivery in progress at
	// shutdown finishes (bounded by Timeout), so the receiver's answer is not lost.
	res := d.attempt(context.WithoutCancel(ctx), row)
	if res.outcome == OutcomeRetry && attempt >= d.opts.MaxAttempts {
		res.outcome = OutcomeFailed
	}

	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	now := d.opts.Now()
	var err error
	switch res.outcome {
	case OutcomeDelivered:
		err = d.store.MarkWebhookDelivered(markCtx, row.ID, attempt, now)
	case OutcomeRetry:
		err = d.store.MarkWebhookRetry(markCtx, row.ID, attempt, now.Add(d.backoff(attempt)), res.lastErr)
	default:
		err = d.store.MarkWebhookFailed(markCtx, row.ID, attempt, res.lastErr, now)
	}
	log := d.log.With("delivery", row.ID, "host", hostOf(row.URL), "attempt", attempt)
	if err != nil {
		// The row stays pending and claimed, so it is delivered again (the
		// receiver drops the repeat by Idempotency-Key) once the claim's lease
		// ends, by any dispatcher: a failing store does not turn into a tight
		// redelivery loop.
		log.Error("webhook outcome not recorded", "outcome", res.outcome, "err", err)
		return
	}
	switch res.outcome {
	case OutcomeDelivered:
		log.Debug("webhook delivered")
	case OutcomeRetry:
		log.Info("webhook attempt failed, will retry", "last_error", res.lastErr)
	default:
		log.Warn("webhook failed", "last_error", res.lastErr)
	}
	if d.opts.OnResult != nil {
		d.opts.OnResult(res.outcome)
	}
}

type result struct {
	outcome string
	lastErr string
}

// attempt POSTs row once and classifies the answer.
func (d *Dispatcher) attempt(ctx context.Context, row model.WebhookDelivery) result {
	u, err := url.Parse(row.URL)
	switch {
	case err != nil:
		return result{OutcomeFailed, truncate("invalid URL: " + err.Error())}
	case u.Scheme != "http" && u.Scheme != "https":
		return result{OutcomeFailed, truncate(fmt.Sprintf("invalid URL: scheme %q is not http or https", u.Scheme))}
	case u.Hostname() == "":
		return result{OutcomeFailed, "invalid URL: no host"}
	}
	for name, value := range row.Headers {
		if !validHeaderName(name) || !validHeaderValue(value) {
			return result{OutcomeFailed, truncate(fmt.Sprintf("invalid header %q", name))}
		}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(row.Body))
	if err != nil {
		return result{OutcomeFailed, truncate("invalid request: " + err.Error())}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", d.opts.UserAgent)
	for name, value := range row.Headers {
		req.Header.Set(name, value)
	}
	// Set last: these identify the delivery to the receiver, and a flow's
	// headers must not be able to break deduplication.
	req.Header.Set("X-Scoreflow-Delivery", strconv.FormatInt(row.ID, 10))
	req.Header.Set("Idempotency-Key", row.Key)

	resp, err := d.client.Do(req)
	if err != nil {
		return d.classifyError(err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))

	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return result{outcome: OutcomeDelivered}
	case resp.StatusCode == http.StatusGone:
		// 410 is the receiver saying this endpoint is gone for good.
		return result{OutcomeFailed, statusError(resp, head)}
	default:
		return result{OutcomeRetry, statusError(resp, head)}
	}
}

// classifyError turns a transport error into an outcome: refusals and bad
// redirects cannot succeed later; everything else might.
func (d *Dispatcher) classifyError(err error) result {
	var pe *PrivateAddressError
	if errors.As(err, &pe) {
		host := pe.Host
		if host == "" {
			host = pe.Addr.String()
		}
		return result{OutcomeFailed, truncate(fmt.Sprintf(
			"refused: %s resolves to a private address; start with --allow-private-webhooks to allow it", host))}
	}
	if errors.Is(err, ErrPrivateAddress) || errors.Is(err, errBadRedirect) {
		return result{OutcomeFailed, truncate(unwrapURLError(err).Error())}
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return result{OutcomeRetry, fmt.Sprintf("timeout: no answer within %s", d.opts.Timeout)}
	}
	return result{OutcomeRetry, truncate(unwrapURLError(err).Error())}
}

// unwrapURLError drops the "Post <url>:" prefix: it repeats what the row
// already holds and may carry secrets from the query string.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// backoff is the wait after the given failed attempt: BaseBackoff doubled per
// attempt, with ±20% jitter so rows that failed together do not retry in
// lockstep, capped at MaxBackoff.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.opts.BaseBackoff
	for i := 1; i < attempt && b < d.opts.MaxBackoff; i++ {
		b *= 2
	}
	b = time.Duration(float64(b) * (0.8 + 0.4*rand.Float64()))
	return min(b, d.opts.MaxBackoff)
}

func statusError(resp *http.Response, head []byte) string {
	msg := "HTTP " + resp.Status
	if body := strings.TrimSpace(strings.ToValidUTF8(string(head), "")); body != "" {
		msg += ": " + body
	}
	return msg
}

func truncate(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	return strings.ToValidUTF8(s[:maxErrorText], "") + "…"
}

// hostOf names the target in logs without the path and query, which may hold secrets.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// validHeaderName reports whether name is an RFC 9110 token; net/http would
// reject anything else on every attempt, so such a row fails at once.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validHeaderValue refuses control characters, which could split headers.
func validHeaderValue(value string) bool {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
