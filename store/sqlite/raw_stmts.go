package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The statements a batch runs once or more per event run on the writer's
// driver connection itself instead of through database/sql. Its Exec
// converts every argument into a new []driver.NamedValue, wraps the result
// and takes two locks: ~1.1 µs and 336 bytes of garbage a statement here
// (BenchmarkInsertEvent), and an event runs four or five of them. A rawStmt reuses one
// argument slice and asks the driver directly.
//
// database/sql lets a caller reach the driver connection only inside
// sql.Conn.Raw. The batch's transaction holds the writer's sql.Conn from
// Begin to Commit or Rollback (sqliteTx.conn), so no one else can use,
// close or replace that connection meanwhile: the statements prepared on
// it in Raw stay valid for as long as the batch runs them.
type rawStmt struct {
	s    *sqlite3.SQLiteStmt
	args []driver.NamedValue
	dest []driver.Value // a query's row (raw_query.go)
}

// rawStatements are the hot statements of one driver connection.
type rawStatements struct {
	conn *sqlite3.SQLiteConn
	all  []*rawStmt

	seenEvents                              *rawStmt
	insertEvent, insertLedger, recordEntry  *rawStmt
	saveContact, updateContact, updateParts *rawStmt
	touchActivity, touchContact, addStats   *rawStmt

	loadContact, contactByEmail, resolveAlias      *rawStmt
	countEntries, countEntriesEver                 *rawStmt
	eventWindow, scoreWindowFacts                  *rawStmt
	scoreChange, scoreChangeEdges, oldestEvent     *rawStmt
	countContactEvents, countContactEventsAll      *rawStmt
	isAnonymous                                    *rawStmt
	loadAccount, takeAccountValue, maxAccountValue *rawStmt
}

// rawFor returns the hot statements of the writer's driver connection dc,
// preparing them when dc is new: database/sql opens another connection
// only after closing one it found broken.
func (s *Store) rawFor(dc any) (*rawStatements, error) {
	c, ok := dc.(*sqlite3.SQLiteConn)
	if !ok {
		return nil, fmt.Errorf("the writer's connection is a %T", dc)
	}
	s.rawMu.Lock()
	defer s.rawMu.Unlock()
	if s.raw != nil && s.raw.conn == c {
		return s.raw, nil
	}
	if s.raw != nil {
		// Its connection is closed: finalizing can only fail.
		_ = s.raw.close()
	}
	r, err := prepareRaw(c)
	if err != nil {
		s.raw = nil
		return nil, err
	}
	s.raw = r
	return r, nil
}

// prepareRaw prepares the hot statements on c; prepare keeps the colder
// ones on database/sql.
func prepareRaw(c *sqlite3.SQLiteConn) (*rawStatements, error) {
	r := &rawStatements{conn: c}
	for _, p := range []struct {
		dst **rawStmt
		sql string
	}{
		{&r.seenEvents, seenEventsSQL},
		{&r.insertEvent, insertEventSQL},
		{&r.insertLedger, insertLedgerSQL},
		{&r.recordEntry, recordEntrySQL},
		{&r.saveContact, saveContactSQL},
		{&r.updateContact, updateContactSQL},
		{&r.updateParts, updateContactPartsSQL},
		{&r.touchActivity, touchActivitySQL},
		{&r.touchContact, touchContactSQL},
		{&r.addStats, addStatsSQL},
		{&r.loadContact, loadContactSQL},
		{&r.contactByEmail, contactByEmailSQL},
		{&r.resolveAlias, resolveAliasSQL},
		{&r.countEntries, countEntriesSQL},
		{&r.countEntriesEver, countEntriesEverSQL},
		{&r.eventWindow, eventWindowSQL},
		{&r.scoreWindowFacts, scoreWindowFactsSQL},
		{&r.scoreChange, scoreChangeSQL},
		{&r.scoreChangeEdges, scoreChangeEdgesSQL},
		{&r.oldestEvent, oldestEventSQL},
		{&r.countContactEvents, countContactEventsSQL},
		{&r.countContactEventsAll, countContactEventsAllSQL},
		{&r.isAnonymous, isAnonymousSQL},
		{&r.loadAccount, loadAccountSQL},
		{&r.takeAccountValue, takeAccountValueSQL},
		{&r.maxAccountValue, maxAccountValueSQL},
	} {
		ds, err := c.Prepare(p.sql)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("prepare %q: %w", strings.Join(strings.Fields(p.sql)[:2], " "), err)
		}
		s, ok := ds.(*sqlite3.SQLiteStmt)
		if !ok {
			ds.Close()
			r.close()
			return nil, fmt.Errorf("prepare %q: the driver returned a %T", p.sql, ds)
		}
		st := &rawStmt{s: s, args: make([]driver.NamedValue, s.NumInput())}
		for i := range st.args {
			st.args[i].Ordinal = i + 1
		}
		*p.dst = st
		r.all = append(r.all, st)
	}
	return r, nil
}

// close finalizes the statements: a connection closed with statements
// left open lingers as a zombie, holding its file.
func (r *rawStatements) close() error {
	var errs []error
	for _, s := range r.all {
		errs = append(errs, s.s.Close())
	}
	r.all = nil
	return errors.Join(errs...)
}

// exec runs the statement with vals, which must match its placeholders,
// and returns the rows it changed.
func (r *rawStmt) exec(ctx context.Context, vals ...any) (int64, error) {
	if err := r.bind(vals); err != nil {
		return 0, err
	}
	res, err := r.s.ExecContext(ctx, r.args)
	r.clearArgs()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// bind puts vals into the statement's argument slice.
func (r *rawStmt) bind(vals []any) error {
	if len(vals) != len(r.args) {
		return fmt.Errorf("statement takes %d arguments, got %d", len(r.args), len(vals))
	}
	for i, v := range vals {
		dv, err := driverValue(v)
		if err != nil {
			r.clearArgs()
			return fmt.Errorf("argument %d: %w", i+1, err)
		}
		r.args[i].Value = dv
	}
	return nil
}

// clearArgs drops the values of the slice, which outlives the call, so it
// pins no strings.
func (r *rawStmt) clearArgs() {
	for i := range r.args {
		r.args[i].Value = nil
	}
}

// driverValue is what database/sql hands the driver for v: the common
// types as they are, the rest through the same converter it uses
// (Valuers, pointers, the other integer sizes).
func driverValue(v any) (driver.Value, error) {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, []byte, time.Time:
		return x, nil
	case int:
		return int64(x), nil
	default:
		return driver.DefaultParameterConverter.ConvertValue(v)
	}
}
