package flowtest

import (
	"sync"

	"github.com/scoreflow/scoreflow/flows"
)

// Call is one recorded Effects call: the method's name and its arguments in
// order (AdjustScore: dimension string, points int64; QueueWebhook: url
// string, headers map[string]string; Requalify: none).
type Call struct {
	Method string
	Args   []any
}

// Recorder is a flows.Effects that records every call. A call is recorded
// even when it fails, because the step did attempt it.
type Recorder struct {
	// Err, when set before use, is returned by every call.
	Err error

	mu     sync.Mutex
	calls  []Call
	failOn map[string]error
}

var _ flows.Effects = (*Recorder)(nil)

// FailOn makes calls of method ("AddTag"…) return err; it wins over Err.
func (r *Recorder) FailOn(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failOn == nil {
		r.failOn = map[string]error{}
	}
	r.failOn[method] = err
}

// Calls returns a copy of the calls so far, oldest first.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Reset forgets the recorded calls (not the configured errors).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func (r *Recorder) record(method string, args ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{Method: method, Args: args})
	if err, ok := r.failOn[method]; ok {
		return err
	}
	return r.Err
}

// AdjustScore records ("AdjustScore", dimension, points).
func (r *Recorder) AdjustScore(dimension string, points int64) error {
	return r.record("AdjustScore", dimension, points)
}

// AddTag records ("AddTag", tag).
func (r *Recorder) AddTag(tag string) error { return r.record("AddTag", tag) }

// RemoveTag records ("RemoveTag", tag).
func (r *Recorder) RemoveTag(tag string) error { return r.record("RemoveTag", tag) }

// Disqualify records ("Disqualify", reason).
func (r *Recorder) Disqualify(reason string) error { return r.record("Disqualify", reason) }

// Requalify records ("Requalify") with no arguments.
func (r *Recorder) Requalify() error { return r.record("Requalify") }

// SetDealStage records ("SetDealStage", stage).
func (r *Recorder) SetDealStage(stage string) error { return r.record("SetDealStage", stage) }

// SetField records ("SetField", field, value).
func (r *Recorder) SetField(field string, value any) error {
	return r.record("SetField", field, value)
}

// QueueWebhook records ("QueueWebhook", url, headers).
func (r *Recorder) QueueWebhook(url string, headers map[string]string) error {
	return r.record("QueueWebhook", url, headers)
}
