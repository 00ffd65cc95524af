package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The model lab's reads and records (store.LabStore, store.LabTx).

// testScanEvents: the events of a window stream in timestamp order, ties by
// id, with contact, type, properties and traits; the window is [from, to);
// an error from the callback stops the scan and comes back.
func testScanEvents(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	inTx(t, s, func(tx store.Tx) {
		for i, ev := range []*model.Event{
			event("e3", "c2", "Booked call", base.Add(2*time.Hour), nil),
			event("e1", "c1", "page_visited", base, map[string]any{"url": "/a"}),
			event("e0", "c1", "page_visited", base.Add(-time.Hour), nil),
			event("e2b", "c2", "identify", base.Add(time.Hour), nil),
			event("e2a", "c1", "identify", base.Add(time.Hour), nil),
			event("e9", "c3", "page_visited", base.Add(3*time.Hour), nil),
		} {
			if ev.Type == "identify" {
				ev.Traits = map[string]any{"job_title": "CEO"}
			}
			noErr(t, tx.InsertEvent(ev, ev.ContactID, base.Add(time.Duration(i)*time.Second)))
		}
	})
	var got []string
	var first *model.Event
	noErr(t, s.ScanEvents(ctx, base, base.Add(3*time.Hour), func(ev *model.Event) error {
		if first == nil {
			first = ev
		}
		got = append(got, ev.ID+"/"+ev.ContactID+"/"+ev.Type)
		if ev.Type == "identify" && ev.Traits["job_title"] != "CEO" {
			t.Errorf("event %s traits = %v", ev.ID, ev.Traits)
		}
		return nil
	}))
	deepEqual(t, "scanned", got, []string{"e1/c1/page_visited", "e2a/c1/identify", "e2b/c2/identify", "e3/c2/Booked call"})
	if first == nil || first.Properties["url"] != "/a" || !first.Timestamp.Equal(base) {
		t.Errorf("first event = %+v", first)
	}
	n, err := s.CountEventsBetween(ctx, base, base.Add(3*time.Hour))
	noErr(t, err)
	if n != 4 {
		t.Errorf("CountEventsBetween = %d, want 4", n)
	}
	stop := errors.New("stop")
	calls := 0
	err = s.ScanEvents(ctx, time.Time{}, base.Add(24*time.Hour), func(*model.Event) error { calls++; return stop })
	wantErrIs(t, err, stop)
	if calls != 1 {
		t.Errorf("callback ran %d times after its error", calls)
	}

	got = nil
	noErr(t, s.ContactsEvents(ctx, []string{"c2", "c1", "nobody"}, func(ev *model.Event) error {
		got = append(got, ev.ID)
		return nil
	}))
	deepEqual(t, "ContactsEvents", got, []string{"e0", "e1", "e2a", "e2b", "e3"})
	noErr(t, s.ContactsEvents(ctx, nil, func(*model.Event) error { t.Error("called for no contacts"); return nil }))
}

// testLabJobs: jobs round-trip, newest first; SaveLabJob commits with its
// transaction and leaves nothing when it rolls back.
func testLabJobs(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	jobs, err := s.LabJobs(ctx)
	noErr(t, err)
	if jobs == nil || len(jobs) != 0 {
		t.Fatalf("LabJobs of an empty store = %#v, want []", jobs)
	}
	old := store.LabJob{ID: "j1", RunID: "r1", State: store.LabJobApplying, Draft: []byte(`{"add":[]}`), Actor: "ops", Created: base, Updated: base}
	// A new job comes with its audit entry, written in its transaction.
	noErr(t, s.CreateLabJob(store.WithActor(ctx, "ops"), old))
	entries, _, err := s.Audit(ctx, 10, "")
	noErr(t, err)
	if len(entries) != 1 || entries[0].Action != model.AuditLabApply || entries[0].Target != "r1" || entries[0].Key != "ops" {
		t.Fatalf("audit after CreateLabJob = %+v, want one lab.apply of r1 by ops", entries)
	}
	newer := store.LabJob{ID: "j2", RunID: "r2", State: store.LabJobRescoring, Draft: []byte(`{}`), Total: 10, Created: base.Add(time.Minute), Updated: base.Add(time.Minute)}
	noErr(t, s.PutLabJob(ctx, newer))
	inTx(t, s, func(tx store.Tx) {
		j := newer
		j.Cursor, j.Done, j.Changed, j.Updated = "c-500", 500, 7, base.Add(2*time.Minute)
		noErr(t, tx.SaveLabJob(j))
	})
	tx, err := s.Begin(ctx)
	noErr(t, err)
	lost := newer
	lost.Cursor, lost.Done = "c-999", 999
	noErr(t, tx.SaveLabJob(lost))
	noErr(t, tx.Rollback())

	jobs, err = s.LabJobs(ctx)
	noErr(t, err)
	want := newer
	want.Cursor, want.Done, want.Changed, want.Updated = "c-500", 500, 7, base.Add(2*time.Minute)
	deepEqual(t, "lab jobs", jobs, []store.LabJob{want, old})
	old.State, old.Error = store.LabJobFailed, "boom"
	noErr(t, s.PutLabJob(ctx, old))
	jobs, err = s.LabJobs(ctx)
	noErr(t, err)
	if len(jobs) != 2 || jobs[1].State != store.LabJobFailed || jobs[1].Error != "boom" {
		t.Errorf("after replacing j1: %+v", jobs)
	}
}
