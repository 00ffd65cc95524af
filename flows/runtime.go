package flows

import (
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// TriggerKey is what the engine indexes triggers by: an event type, and
// whether it is an internal event (tag_added…) rather than an ingested one.
type TriggerKey struct {
	Internal bool
	Type     string
}

// Trigger starts a run when an event of its key matches.
type Trigger interface {
	Key() TriggerKey
	Match(ev *model.Event) bool
}

// Step is a condition, delay or action node, compiled from its config.
type Step interface {
	Run(r *Run) (Outcome, error)
}

// Outcome says where a run goes after a step. Branch selects the outgoing
// edges whose branch equals it ("" follows unlabelled edges); Wait > 0 parks
// the run durably and resumes it at the step's successors after the span.
type Outcome struct {
	Branch string
	Wait   time.Duration
}

// Run is what a step sees: the contact it runs for, the event that caused the
// run, and the effects it may apply. The engine builds one per step.
type Run struct {
	FlowID      string
	FlowVersion int
	NodeID      string
	Event       *model.Event
	Contact     Subject
	Effects     Effects
	Now         time.Time
}

// Effects is how actions change a contact; the engine's unit of work
// implements it inside the batch's transaction, bound to the run's contact and
// cause, so an action never touches storage itself.
type Effects interface {
	AdjustScore(dimension string, points int64) error
	AddTag(tag string) error
	RemoveTag(tag string) error
	Disqualify(reason string) error
	Requalify() error
	SetDealStage(stage string) error
	SetField(field string, value any) error
	// QueueWebhook writes a webhook call to the outbox; it is delivered after commit.
	QueueWebhook(url string, headers map[string]string) error
}
