package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"

	"github.com/scoreflow/scoreflow/model"
)

// LabStore holds what the model lab (CONTRACT §8) reads and records: the
// stored events streamed in time order for replays, and the apply jobs that
// rescore every contact after a draft becomes live.
type LabStore interface {
	// CountEventsBetween counts the stored events with from <= timestamp < to.
	CountEventsBetween(ctx context.Context, from, to time.Time) (int64, error)
	// ScanEvents calls fn with each stored event with from <= timestamp <
	// to, ordered by timestamp then id, streaming: no more than one event
	// is held at a time. An error from fn stops the scan and is returned.
	ScanEvents(ctx context.Context, from, to time.Time, fn func(*model.Event) error) error
	// ContactsEvents calls fn with every stored event of the contacts in
	// ids, ordered by contact id, then timestamp, then id.
	ContactsEvents(ctx context.Context, ids []string, fn func(*model.Event) error) error
	// CreateLabJob stores a new apply job and its audit entry (lab.apply,
	// target the run, under the actor of ctx) in one transaction, so an
	// apply is in the log exactly when it will happen.
	CreateLabJob(ctx context.Context, j LabJob) error
	// PutLabJob creates or replaces an apply job.
	PutLabJob(ctx context.Context, j LabJob) error
	// LabJobs lists every apply job, newest first.
	LabJobs(ctx context.Context) ([]LabJob, error)
}

// LabTx records an apply job's progress in the transaction of the chunk of
// contacts it covers, so a crash never loses or repeats a chunk.
type LabTx interface {
	SaveLabJob(j LabJob) error
}

// LabJob is a lab run's draft being made live and every contact rescored
// under it. Contacts are rescored in id order; Cursor is the last one done.
type LabJob struct {
	ID      string
	RunID   string
	State   string // applying, rescoring, done, failed
	Draft   []byte // the resolved model: flows and settings (lab.Resolved JSON)
	Cursor  string
	Done    int64 // contacts rescored
	Total   int64 // contacts when the rescore began
	Changed int64 // contacts whose scores changed
	Error   string
	Actor   string // who applied: the changes it makes are audited under this name
	Created time.Time
	Updated time.Time
}

// Columns are a job's column values in the order both backends' lab_jobs
// tables take them: id, run_id, state, draft, cursor, done, total,
// changed, error, actor, created_at, updated_at (times as Unix ms).
func (j LabJob) Columns() []any {
	return []any{j.ID, j.RunID, j.State, string(j.Draft), j.Cursor, j.Done, j.Total, j.Changed, j.Error, j.Actor, j.Created.UnixMilli(), j.Updated.UnixMilli()}
}

// ScanLabJob reads a lab_jobs row selected in Columns order.
func ScanLabJob(scan func(dest ...any) error) (LabJob, error) {
	var j LabJob
	var draft string
	var created, updated int64
	if err := scan(&j.ID, &j.RunID, &j.State, &draft, &j.Cursor, &j.Done, &j.Total, &j.Changed, &j.Error, &j.Actor, &created, &updated); err != nil {
		return j, fmt.Errorf("lab job: %w", err)
	}
	j.Draft, j.Created, j.Updated = []byte(draft), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return j, nil
}

// unmarshalJSON decodes a stored JSON column with goccy/go-json, which
// takes about a third of encoding/json's time and allocations on events (a
// replay decodes every one); as engine/decode.go does, text that is not
// valid UTF-8 goes to encoding/json, which turns bad bytes into U+FFFD.
func unmarshalJSON(data []byte, v any) error {
	if !utf8.Valid(data) {
		return json.Unmarshal(data, v)
	}
	return gojson.Unmarshal(data, v)
}

// EventRow builds an event from a stored row: its JSON columns as read
// (nil for NULL), its timestamp in Unix ms.
func EventRow(id, contactID, typ string, ts int64, props, traits []byte) (*model.Event, error) {
	ev := &model.Event{ID: id, ContactID: contactID, Type: typ, Timestamp: time.UnixMilli(ts).UTC()}
	if props != nil {
		ev.RawProperties = props
		if err := unmarshalJSON(props, &ev.Properties); err != nil {
			return nil, fmt.Errorf("event %s properties: %w", id, err)
		}
	}
	if traits != nil {
		ev.RawTraits = traits
		if err := unmarshalJSON(traits, &ev.Traits); err != nil {
			return nil, fmt.Errorf("event %s traits: %w", id, err)
		}
	}
	return ev, nil
}

// Lab job states.
const (
	LabJobApplying  = "applying"
	LabJobRescoring = "rescoring"
	LabJobDone      = "done"
	LabJobFailed    = "failed"
)
