// Package store keeps Scoreflow's state: flows and their versions, settings,
// contacts, the event timeline that doubles as the exactly-once record, the
// score ledger, entry records, run counters and the webhook outbox.
//
// Store is an interface so a PostgreSQL backend can follow; SQLite is the
// default. The engine writes through Tx, one transaction per batch. No SQL
// leaves this package's backends: segment filters come in as parsed
// filters (flows.Filter), which each backend compiles to its own dialect.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// ErrNoSQL is wrapped by the errors of MatchContacts, SegmentMovers and
// ScheduleBoundaries for a filter the backend cannot compile faithfully
// (nothing was read or written); the caller evaluates that filter contact
// by contact instead.
var ErrNoSQL = errors.New("filter cannot be compiled to SQL")

// ErrUnavailable marks a failure to reach the database (down, restarting,
// connections refused): nothing was written, and the same call can succeed
// later. The API answers 503 for it and the engine waits and retries.
var ErrUnavailable = errors.New("store unavailable")

// Classifier is implemented by backends that can tell an unreachable
// database from their own errors (the API's 503, the engine's waiting).
type Classifier interface {
	IsUnavailable(err error) bool
}

// IsUnavailable reports whether err means the store could not be reached:
// ErrUnavailable, or an error st's backend classifies so.
func IsUnavailable(st Store, err error) bool {
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	c, ok := st.(Classifier)
	return ok && c.IsUnavailable(err)
}

// Store is the whole persistence API.
type Store interface {
	LabStore
	WebhookClaims
	Pinger
	PartitionStore
	AccountStore
	// Begin starts the write transaction of one engine batch.
	Begin(ctx context.Context) (Tx, error)
	// Generation changes whenever flows or settings change.
	Generation(ctx context.Context) (int64, error)

	CreateFlow(ctx context.Context, f FlowRecord) (FlowRecord, error)
	UpdateFlow(ctx context.Context, f FlowRecord, expectVersion int) (FlowRecord, error)
	DeleteFlow(ctx context.Context, id string) error
	GetFlow(ctx context.Context, id string) (FlowRecord, error)
	GetFlowVersion(ctx context.Context, id string, version int) (FlowRecord, error)
	ListFlows(ctx context.Context) ([]FlowRecord, error)
	FlowVersions(ctx context.Context, id string) ([]FlowRecord, error)
	FlowStats(ctx context.Context, id string, since time.Time) ([]NodeStats, error)
	RunFailures(ctx context.Context, flowID string, limit int) ([]RunFailure, error)
	// AllFlowStats sums every flow's per-node counters since a time.
	AllFlowStats(ctx context.Context, since time.Time) ([]NodeStats, error)

	GetSettings(ctx context.Context) (model.Settings, error)
	PutSettings(ctx context.Context, s model.Settings) error

	KeyStore
	AuditStore

	GetContact(ctx context.Context, id string) (*model.Contact, error)
	ListContacts(ctx context.Context, q ContactQuery) ([]*model.Contact, string, error)
	History(ctx context.Context, contactID string, limit int) ([]model.LedgerEntry, error)
	Timeline(ctx context.Context, contactID string, limit int) ([]model.Event, error)
	// EventApplied reports whether an event id was applied (its row exists).
	EventApplied(ctx context.Context, id string) (bool, error)
	CountContacts(ctx context.Context) (int64, error)

	// The dashboard's aggregates. GradeCounts counts contacts by grade, in
	// grade order. ScoreHistogram spreads total scores over buckets of the
	// smallest width of 1, 2, 5, 10, 20, 50… that fits max − min + 1 in
	// buckets, each starting at a multiple of the width, empty ones in
	// between kept (none when there are no contacts).
	GradeCounts(ctx context.Context) ([]GradeCount, error)
	ScoreHistogram(ctx context.Context, buckets int) ([]ScoreBucket, error)
	EventsPerMinute(ctx context.Context, since time.Time) ([]MinuteCount, error)
	RecentDisqualified(ctx context.Context, limit int) ([]*model.Contact, error)
	// MatchContacts counts the contacts a contact filter matches at now
	// (nil matches all) and returns the first sample of them by score
	// (descending, then id).
	MatchContacts(ctx context.Context, f *flows.Filter, now time.Time, sample int) (int64, []*model.Contact, error)
	// Catalog lists event types, tags and top-level attribute names in
	// recent data, sorted, each once.
	Catalog(ctx context.Context) (eventTypes, tags, attributes []string, err error)

	DueWebhooks(ctx context.Context, now time.Time, limit int) ([]model.WebhookDelivery, error)
	MarkWebhookDelivered(ctx context.Context, id int64, attempts int, at time.Time) error
	MarkWebhookRetry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	MarkWebhookFailed(ctx context.Context, id int64, attempts int, lastErr string, at time.Time) error
	Webhooks(ctx context.Context, status string, limit int) ([]model.WebhookDelivery, error)

	RecordDeadEvent(ctx context.Context, d DeadEvent) error
	DeadEvents(ctx context.Context, limit int) ([]DeadEvent, error)

	CreateSegment(ctx context.Context, s model.Segment) (model.Segment, error)
	UpdateSegment(ctx context.Context, s model.Segment) (model.Segment, error)
	DeleteSegment(ctx context.Context, id string) error
	GetSegment(ctx context.Context, id string) (model.Segment, error)
	ListSegments(ctx context.Context) ([]model.Segment, error)
	SegmentMembers(ctx context.Context, id string, limit int, after string) ([]*model.Contact, string, error)
	// ContactIDsAfter pages every contact id in order (whole-database passes).
	ContactIDsAfter(ctx context.Context, after string, limit int) ([]string, error)
	// DueContacts lists contacts whose time-based membership is due
	// (NextEvalAt <= now), earliest first.
	DueContacts(ctx context.Context, now time.Time, limit int) ([]string, error)
	// DueRuns lists parked runs whose wake time has come.
	DueRuns(ctx context.Context, now time.Time, limit int) ([]WaitingRun, error)
	CountWaitingRuns(ctx context.Context) (int64, error)
	// DecayDue lists contacts with a non-zero dimension not decayed since before.
	DecayDue(ctx context.Context, dimension string, before time.Time, limit int) ([]string, error)

	RecordJobRun(ctx context.Context, r model.JobRun) error
	JobRuns(ctx context.Context) ([]model.JobRun, error)

	Identities

	Close() error
}

// Tx is one batch's write transaction. Reads see the batch's own writes.
type Tx interface {
	LabTx
	PartitionTx
	AccountTx
	// SeenEvents returns which of ids were applied before.
	SeenEvents(ids []string) (map[string]bool, error)
	LoadContact(id string) (*ContactRecord, error) // nil, nil when absent
	// PrefetchContacts says the batch is about to load these contacts, so a
	// backend with costly round trips can read them all at once; LoadContact
	// still answers as if it had not been called (a hint, never a change).
	PrefetchContacts(ids []string) error
	ContactIDByEmail(email string) (string, error) // "" when absent
	// SaveContact writes a contact, encoding the JSON columns whose
	// encoding in r is empty and filling them in.
	SaveContact(r *ContactRecord) error
	// TouchContact writes only email, last_activity_at and next_eval_at,
	// the common case of an event (or a time pass) that changes nothing
	// else: no JSON, no index but email's and next_eval_at's.
	TouchContact(r *ContactRecord) error
	InsertEvent(ev *model.Event, contactID string, appliedAt time.Time) error
	// CountEvents adds n applied events to a minute's counter (dashboard).
	CountEvents(minute time.Time, n int) error
	// InsertLedger writes a history row; an EventAt left zero is stored as
	// At (model.LedgerEntry.CausedAt).
	InsertLedger(e *model.LedgerEntry) error
	// CountEntries counts a contact's entries into a flow since a time (zero = ever).
	CountEntries(flowID, contactID string, since time.Time) (int, error)
	RecordEntry(flowID, contactID string, at time.Time) error
	RecordRunFailure(f RunFailure) error
	AddNodeStats(stats []NodeStats) error
	EnqueueWebhook(d model.WebhookDelivery) error
	// ContactEvents calls fn with the properties of each of a contact's
	// events of a type since a time (zero = ever), until fn returns false.
	ContactEvents(contactID, eventType string, since time.Time, fn func(props map[string]any) bool) error
	// CountContactEvents counts them without decoding properties.
	CountContactEvents(contactID, eventType string, since time.Time) (int, error)
	// OldestContactEvent calls fn with each event of a type since a time,
	// oldest first, until fn returns false.
	OldestContactEvents(contactID, eventType string, since time.Time, fn func(ts time.Time, props map[string]any) bool) error
	// OldestContactEvent is the time of the oldest such event.
	OldestContactEvent(contactID, eventType string, since time.Time) (time.Time, bool, error)
	SetMembership(segmentID, contactID string, member bool, at time.Time) error
	ParkRun(r WaitingRun) error
	// TakeRun deletes a parked run; false when it was taken already.
	TakeRun(id int64) (bool, error)
	MarkDecayed(contactID, dimension string, at time.Time) error
	// DecayedAt is when a dimension of a contact last decayed (zero = never).
	DecayedAt(contactID, dimension string) (time.Time, error)
	// DeleteContact deletes a contact and all its data; false when absent.
	DeleteContact(id string) (bool, error)
	// SegmentMovers lists, sorted, the contacts whose membership in a
	// segment differs from what its filter says at now: entered match and
	// are not members, exited are members that do not match.
	SegmentMovers(segmentID string, f *flows.Filter, now time.Time) (entered, exited []string, err error)
	// ApplySegmentMoves writes membership moves in bulk (segment_members and
	// contacts.segments), for back-fills that start no flows.
	ApplySegmentMoves(segmentID string, entered, exited []string, at time.Time) error
	// DueAll makes every contact due for the time-based pass by at.
	DueAll(at time.Time) error
	// ScheduleBoundaries brings each contact's next time-based pass
	// (ContactRecord.NextEvalAt) forward, when that is earlier, to the first
	// millisecond after now at which one of the filter's time leaves
	// (flows.TimeLeaf) can change by time alone: an older_than/newer_than
	// field time plus its span plus 1 ms, the oldest matching event in a
	// behaviour window plus the window plus 1 ms. It may be conservative
	// (a moment at which the whole filter does not change), never late. A
	// filter without time leaves changes nothing.
	ScheduleBoundaries(f *flows.Filter, now time.Time) error
	ScoreWindow // score velocity reads (score_window.go)
	WindowFacts // a window's count or sum and its edges in one read (window_facts.go)
	IdentityTx  // merges (identity.go)

	Commit() error
	Rollback() error
}

// ContactRecord is a contact with the JSON encodings of its columns, so
// a save re-encodes only the parts that changed (an event that only moves
// last_activity_at encodes nothing). Clear a part's encoding when changing it.
type ContactRecord struct {
	Contact    *model.Contact
	Attributes string
	Scores     string
	Tags       string
	Segments   string
	// NextEvalAt is when time-based segment membership is next due (Unix
	// ms, 0 = never).
	NextEvalAt int64
	// Stored is what the backend last read or wrote of the row's plain
	// columns, nil when it does not know (a new contact). A backend may
	// use it to write only the columns that changed: an index entry
	// rewritten for an unchanged email costs as much as a changed one.
	// It is replaced, never changed in place, so a cached record and the
	// batch's copy of it can share one.
	Stored *StoredColumns
}

// StoredColumns are a contact row's columns other than its JSON parts
// (whose emptiness in ContactRecord already says they changed), as stored:
// times in Unix ms; NULL is "" or 0, or false for the two Has fields.
type StoredColumns struct {
	Email, Grade, DealStage, DisqualifyReason, AccountID string
	Score, DisqualifiedAt, LastActivityAt, NextEvalAt    int64
	HasDisqualified, HasLastActivity                     bool
}

// Columns is what r would store now, to compare with r.Stored.
func (r *ContactRecord) Columns() StoredColumns {
	c := r.Contact
	out := StoredColumns{Email: c.Email, Grade: c.Grade, DealStage: c.DealStage, AccountID: c.AccountID,
		Score: c.Score, NextEvalAt: r.NextEvalAt}
	if c.Disqualified != nil {
		out.HasDisqualified = true
		out.DisqualifiedAt, out.DisqualifyReason = c.Disqualified.At.UnixMilli(), c.Disqualified.Reason
	}
	if c.LastActivityAt != nil {
		out.HasLastActivity, out.LastActivityAt = true, c.LastActivityAt.UnixMilli()
	}
	return out
}

// WaitingRun is a run parked at a delay node.
type WaitingRun struct {
	ID          int64
	FlowID      string
	FlowVersion int
	ContactID   string
	NodeID      string
	Event       []byte // the event that caused the run, as JSON
	WakeAt      time.Time
	CreatedAt   time.Time
}

// FlowRecord is a stored flow version: metadata plus the JSON document.
type FlowRecord struct {
	ID        string
	Name      string
	Enabled   bool
	Version   int
	Doc       []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NodeStats counts runs through one node in one minute.
type NodeStats struct {
	FlowID    string    `json:"flow_id"`
	NodeID    string    `json:"node_id"`
	Minute    time.Time `json:"minute"`
	Entered   int64     `json:"entered"`
	Completed int64     `json:"completed"`
	Failed    int64     `json:"failed"`
}

// RunFailure is a run that stopped on an error.
type RunFailure struct {
	FlowID      string    `json:"flow_id"`
	FlowVersion int       `json:"flow_version"`
	ContactID   string    `json:"contact_id"`
	EventID     string    `json:"event_id"`
	NodeID      string    `json:"node_id"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

// DeadEvent is a stream message that could not be applied.
type DeadEvent struct {
	StreamSeq uint64    `json:"stream_seq"`
	Subject   string    `json:"subject"`
	EventID   string    `json:"event_id,omitempty"`
	Payload   []byte    `json:"payload"`
	Error     string    `json:"error"`
	At        time.Time `json:"at"`
}

// ContactQuery filters and pages the contact list, sorted by score (desc)
// then id.
type ContactQuery struct {
	Grade   string
	Tag     string
	Segment string
	Query   string // matches id, email or name-like attributes
	Limit   int
	Cursor  string
	Ascend  bool // sort=score instead of -score
}

// GradeCount is how many contacts hold a grade ("" = no grade).
type GradeCount struct {
	Grade string `json:"grade"`
	Count int64  `json:"count"`
}

// ScoreBucket counts contacts with From <= score < To.
type ScoreBucket struct {
	From  int64 `json:"from"`
	To    int64 `json:"to"`
	Count int64 `json:"count"`
}

// MinuteCount is how many events were applied in a minute.
type MinuteCount struct {
	Minute time.Time `json:"minute"`
	Count  int64     `json:"count"`
}
