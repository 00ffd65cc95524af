package postgres

import (
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
)

// Flow entries are counted before nearly every run of a flow with an entry
// limit, and each count would be a round trip the engine waits for. So a
// batch knows a contact's entries into every flow at once: LoadContact
// reads them along with the contact, in the same round trip, and the store
// keeps them for later batches (entryCache). Counts are then made here:
// the committed entries plus the batch's own.
//
// The cache is trusted only as far as it is checked: at commit the batch
// verifies, in the COMMIT's own round trip, that every cached contact it
// counted still has those entries in the table, and fails otherwise
// (another process recorded one meanwhile), clearing the cache, so the
// engine's retry reads the table. A batch thus never commits on a stale
// count: the guarantee is that of a count read inside the transaction.

const (
	entryCacheContacts = 100_000
	// maxCachedEntries bounds what is cached of one contact: one entering
	// flows more often has its entries read by each batch that counts them.
	maxCachedEntries = 64
)

// flowEntries are a contact's entry times (ms) by flow.
type flowEntries map[string][]int64

func (f flowEntries) total() (n int, sum int64) {
	for _, times := range f {
		n += len(times)
		for _, at := range times {
			sum += at
		}
	}
	return n, sum
}

// entryCache holds the committed entries of recently counted contacts.
// Its lists are never changed in place: batches read them concurrently.
type entryCache struct {
	contacts *lru.Cache[string, flowEntries]
}

func newEntryCache() *entryCache {
	c, err := lru.New[string, flowEntries](entryCacheContacts)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &entryCache{contacts: c}
}

// batchEntries is what one batch knows about flow entries.
type batchEntries struct {
	// base holds, per contact, the committed entries as of the batch's
	// reading (all flows: a flow absent has none); cached marks contacts
	// whose base came from the cache, to be checked at commit.
	base   map[string]flowEntries
	cached map[string]bool
	// own holds, per contact, every entry this batch recorded; flushed
	// those of them already sent to the server (by a round trip that sent
	// everything).
	own, flushed map[string]flowEntries
	// deleted are contacts this batch deleted: their cached entries go.
	deleted map[string]bool
}

// add appends an entry to a contact's in m, making what is missing.
func add(m *map[string]flowEntries, flow, contact string, at int64) {
	if *m == nil {
		*m = map[string]flowEntries{}
	}
	f := (*m)[contact]
	if f == nil {
		f = flowEntries{}
		(*m)[contact] = f
	}
	f[flow] = append(f[flow], at)
}

// noteFlushed remembers the queued entries as sent, before a round trip
// sends them.
func (b *batchEntries) noteFlushed(q *entryQueue) {
	for i := range q.flow {
		add(&b.flushed, q.flow[i], q.contact[i], q.at[i])
	}
}

func (b *batchEntries) setBase(contact string, f flowEntries, cached bool) {
	if b.base == nil {
		b.base, b.cached = map[string]flowEntries{}, map[string]bool{}
	}
	b.base[contact] = f
	if cached {
		b.cached[contact] = true
	} else {
		delete(b.cached, contact)
	}
}

// forgetContact is DeleteContact's effect: the contact has no entries,
// stored or recorded by this batch.
func (b *batchEntries) forgetContact(contact string) {
	if b.deleted == nil {
		b.deleted = map[string]bool{}
	}
	b.deleted[contact] = true
	delete(b.own, contact)
	delete(b.flushed, contact)
	b.setBase(contact, flowEntries{}, false)
}

// entriesQuery reads a contact's committed entries, with whatever of its
// own the batch has sent, which storedEntries takes out again.
const entriesQuery = `SELECT flow_id, at FROM flow_entries WHERE contact_id = $1`

// needEntries reports whether the batch has yet to learn a contact's
// entries (LoadContact then reads them too).
func (t *writeTx) needEntries(contact string) bool {
	_, known := t.entries.base[contact]
	return !known && !t.entries.deleted[contact]
}

// storedEntries reads the rows of entriesQuery into the contact's base.
func (t *writeTx) storedEntries(contact string, rows pgx.Rows) error {
	f := flowEntries{}
	var flow string
	var at int64
	_, err := pgx.ForEachRow(rows, []any{&flow, &at}, func() error {
		f[flow] = append(f[flow], at)
		return nil
	})
	if err != nil {
		return err
	}
	t.setStoredEntries(contact, f)
	return nil
}

// setStoredEntries makes what the table holds of a contact's entries its
// base, less the batch's own entries already sent (they are counted as
// the batch's).
func (t *writeTx) setStoredEntries(contact string, f flowEntries) {
	for flow, sent := range t.entries.flushed[contact] {
		f[flow] = without(f[flow], sent)
	}
	t.entries.setBase(contact, f, false)
}

// without returns a minus one occurrence of each value in b.
func without(a, b []int64) []int64 {
	out := append([]int64(nil), a...)
	for _, v := range b {
		for i, w := range out {
			if w == v {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	return out
}

func countSince(times []int64, since int64) int {
	n := 0
	for _, at := range times {
		if at >= since {
			n++
		}
	}
	return n
}

// CountEntries implements store.Tx: committed entries (known to the batch,
// cached, or read now) plus the batch's own.
func (t *writeTx) CountEntries(flowID, contactID string, since time.Time) (int, error) {
	if t.needEntries(contactID) {
		if f, ok := t.s.entries.contacts.Get(contactID); ok {
			t.entries.setBase(contactID, f, true)
		} else if err := t.roundTrip(0, func(b *pgx.Batch) { b.Queue(entriesQuery, contactID) }, func(br pgx.BatchResults) error {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			return t.storedEntries(contactID, rows)
		}); err != nil {
			return 0, fmt.Errorf("count entries of %s into %s: %w", contactID, flowID, err)
		}
	}
	return countSince(t.entries.base[contactID][flowID], ms(since)) + countSince(t.entries.own[contactID][flowID], ms(since)), nil
}

// checkEntries is the commit's check of the cached contacts a batch
// counted, run with every entry of the batch stored: count and sum of
// times per contact. A mismatch raises scoreflow_stale (SQLSTATE 40001),
// which aborts the transaction before its COMMIT.
const checkEntries = `SELECT scoreflow_stale('flow entries')
	FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(contact_id, n, total)
	WHERE (SELECT ROW(COUNT(*), COALESCE(SUM(e.at), 0)) FROM flow_entries e WHERE e.contact_id = r.contact_id)
		IS DISTINCT FROM ROW(r.n, r.total::numeric)`

// queueEntryCheck queues checkEntries when the batch counted from the
// cache, and says whether it did.
func (t *writeTx) queueEntryCheck(b *pgx.Batch) bool {
	if len(t.entries.cached) == 0 {
		return false
	}
	var contacts []string
	var counts, sums []int64
	for c := range t.entries.cached {
		n, s := t.entries.base[c].total()
		ownN, ownS := t.entries.own[c].total()
		contacts, counts, sums = append(contacts, c), append(counts, int64(n+ownN)), append(sums, s+ownS)
	}
	b.Queue(checkEntries, contacts, counts, sums)
	return true
}

// committedEntries brings the cache up to date with a committed batch:
// every contact whose entries it knew, with its own added; a contact it
// only added to, if cached; none it deleted.
func (t *writeTx) committedEntries() {
	c := t.s.entries.contacts
	for contact := range t.entries.deleted {
		c.Remove(contact)
	}
	merged := map[string]flowEntries{}
	for contact, f := range t.entries.base {
		merged[contact] = f
	}
	for contact := range t.entries.own {
		if _, ok := merged[contact]; ok {
			continue
		}
		if f, ok := c.Peek(contact); ok {
			merged[contact] = f
		}
	}
	for contact, f := range merged {
		next := make(flowEntries, len(f))
		for flow, times := range f {
			next[flow] = times
		}
		for flow, own := range t.entries.own[contact] {
			next[flow] = append(append([]int64(nil), next[flow]...), own...)
		}
		if n, _ := next.total(); n > maxCachedEntries {
			c.Remove(contact)
			continue
		}
		c.Add(contact, next)
	}
}
