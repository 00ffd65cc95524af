// Package flowtest is test support for node types and the engine: a Recorder
// that stands in for flows.Effects, a Contact that is a flows.Subject over a
// model.Contact, and constructors for events.
package flowtest

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// Now is the fixed "now" of runs built here and the timestamp of events.
var Now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// ContactID is the contact of events built here.
const ContactID = "c-1"

var eventSeq atomic.Int64

// Event builds an ingested event of type typ for ContactID at Now, with a
// fresh id.
func Event(typ string, props map[string]any) *model.Event {
	return &model.Event{
		ID:         fmt.Sprintf("evt-test-%d", eventSeq.Add(1)),
		Type:       typ,
		ContactID:  ContactID,
		Timestamp:  Now,
		Properties: props,
	}
}

// Internal builds an event the engine raises itself (tag_added…), one hop
// away from an ingested event.
func Internal(typ string, props map[string]any) *model.Event {
	ev := Event(typ, props)
	ev.Internal = true
	ev.Depth = 1
	return ev
}

// TagAdded is the internal event of tag being added.
func TagAdded(tag string) *model.Event {
	return Internal(model.InternalTagAdded, map[string]any{"tag": tag})
}

// TagRemoved is the internal event of tag being removed.
func TagRemoved(tag string) *model.Event {
	return Internal(model.InternalTagRemoved, map[string]any{"tag": tag})
}

// FieldChanged is the internal event of field ("attributes.country",
// "deal_stage") changing from old to new.
func FieldChanged(field string, old, new any) *model.Event {
	return Internal(model.InternalFieldChanged, map[string]any{"field": field, "old": old, "new": new})
}

// NewRun builds a run of node "node" of flow "test-flow" version 1 at Now,
// for contact and caused by ev, with a fresh Recorder as its effects.
func NewRun(contact flows.Subject, ev *model.Event) (*flows.Run, *Recorder) {
	rec := &Recorder{}
	return &flows.Run{
		FlowID:      "test-flow",
		FlowVersion: 1,
		NodeID:      "node",
		Event:       ev,
		Contact:     contact,
		Effects:     rec,
		Now:         Now,
	}, rec
}
