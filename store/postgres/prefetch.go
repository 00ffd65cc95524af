package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/store"
)

// A batch of events names the contacts it will load before it loads any:
// PrefetchContacts reads all of them (and their flow entries) in one round
// trip, where one LoadContact each would cost a round trip per contact
// first seen — on a stream of new leads, one per event.

// prefetched holds records read ahead, taken (once) by LoadContact; a
// contact read ahead and absent from the table is held as nil.
type prefetched map[string]*store.ContactRecord

// PrefetchContacts implements store.Tx.
func (t *writeTx) PrefetchContacts(ids []string) error {
	var want, withEntries []string
	for _, id := range ids {
		if _, done := t.ahead[id]; done || id == "" {
			continue
		}
		want = append(want, id)
		if t.needEntries(id) {
			withEntries = append(withEntries, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if t.ahead == nil {
		t.ahead = prefetched{}
	}
	found := make(prefetched, len(want))
	err := t.roundTrip(tContacts|tEntries, func(b *pgx.Batch) {
		b.Queue(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = ANY($1::text[])`, want)
		if len(withEntries) > 0 {
			b.Queue(`SELECT contact_id, flow_id, at FROM flow_entries WHERE contact_id = ANY($1::text[])`, withEntries)
		}
	}, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			rec, err := scanContactRecord(rows)
			if err != nil {
				rows.Close()
				return err
			}
			found[rec.Contact.ID] = rec
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(withEntries) == 0 {
			return nil
		}
		byContact := make(map[string]flowEntries, len(withEntries))
		for _, id := range withEntries {
			byContact[id] = flowEntries{}
		}
		rows, err = br.Query()
		if err != nil {
			return err
		}
		var contact, flow string
		var at int64
		_, err = pgx.ForEachRow(rows, []any{&contact, &flow, &at}, func() error {
			byContact[contact][flow] = append(byContact[contact][flow], at)
			return nil
		})
		if err != nil {
			return err
		}
		for id, f := range byContact {
			t.setStoredEntries(id, f)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prefetch %d contacts: %w", len(want), err)
	}
	for _, id := range want {
		t.ahead[id] = found[id] // nil: not in the table
	}
	return nil
}

// takeAhead hands LoadContact a record read ahead, once.
func (t *writeTx) takeAhead(id string) (*store.ContactRecord, bool) {
	rec, ok := t.ahead[id]
	if ok {
		delete(t.ahead, id)
	}
	return rec, ok
}

// dropAhead forgets a record read ahead that a write made stale.
func (t *writeTx) dropAhead(id string) { delete(t.ahead, id) }
