package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// contactColumns are read by every contact query, aliased "c".
const contactColumns = `c.id, c.email, c.attributes, c.scores, c.score, c.grade, c.tags, c.deal_stage,
	c.disqualified_at, c.disqualify_reason, c.segments, c.created_at, c.last_activity_at, c.next_eval_at, c.account_id`

func scanContact(row pgx.Row) (*model.Contact, error) {
	r, err := scanContactRecord(row)
	if err != nil {
		return nil, err
	}
	return r.Contact, nil
}

// scanContactRecord reads contactColumns. The jsonb columns come back as
// text, which the record keeps as its encodings.
func scanContactRecord(row pgx.Row) (*store.ContactRecord, error) {
	var c model.Contact
	var email, reason, account pgtype.Text
	var attrs, scores, tags, segments string
	var disqAt, lastAct, nextEval pgtype.Int8
	var created int64
	if err := row.Scan(&c.ID, &email, &attrs, &scores, &c.Score, &c.Grade, &tags, &c.DealStage,
		&disqAt, &reason, &segments, &created, &lastAct, &nextEval, &account); err != nil {
		return nil, err
	}
	c.Email, c.AccountID = email.String, account.String
	if err := store.DecodeContactJSON(&c, attrs, scores, tags, segments); err != nil {
		return nil, fmt.Errorf("decode contact %s: %w", c.ID, err)
	}
	if disqAt.Valid {
		c.Disqualified = &model.Disqualification{At: fromMS(disqAt.Int64), Reason: reason.String}
	}
	c.CreatedAt = fromMS(created)
	c.LastActivityAt = nullMS(lastAct)
	return &store.ContactRecord{Contact: &c, Attributes: attrs, Scores: scores, Tags: tags, Segments: segments, NextEvalAt: nextEval.Int64}, nil
}

// scanContacts reads every row of a contacts query and closes it.
func scanContacts(rows pgx.Rows, err error) ([]*model.Contact, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*model.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetContact implements store.Store.
func (s *Store) GetContact(ctx context.Context, id string) (*model.Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.NotFound("contact", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get contact %s: %w", id, err)
	}
	return c, nil
}

// CountContacts implements store.Store.
func (s *Store) CountContacts(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count contacts: %w", err)
	}
	return n, nil
}

// params numbers the arguments of a query built piece by piece.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// ListContacts pages contacts by score with a keyset cursor, so deep pages
// cost the same as the first.
func (s *Store) ListContacts(ctx context.Context, q store.ContactQuery) ([]*model.Contact, string, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	var where []string
	var args params
	if q.Grade != "" {
		where = append(where, "c.grade = "+args.add(q.Grade))
	}
	// ? is jsonb's "has this string element": tags and segments are arrays
	// of strings.
	if q.Tag != "" {
		where = append(where, "c.tags ? "+args.add(q.Tag)+"::text")
	}
	if q.Segment != "" {
		where = append(where, "c.segments ? "+args.add(q.Segment)+"::text")
	}
	if q.Query != "" {
		where = append(where, s.searchClause(q.Query, &args))
	}
	cmp, order := "<", "c.score DESC, c.id DESC"
	if q.Ascend {
		cmp, order = ">", "c.score ASC, c.id ASC"
	}
	if q.Cursor != "" {
		score, id, err := store.DecodeCursor(q.Cursor)
		if err != nil {
			return nil, "", model.Invalid("invalid_cursor", "the cursor is not one this server returned", model.FieldError{Path: "cursor", Message: err.Error()})
		}
		sc := args.add(score)
		where = append(where, fmt.Sprintf("(c.score %s %s OR (c.score = %s AND c.id %s %s))", cmp, sc, sc, cmp, args.add(id)))
	}
	query := `SELECT ` + contactColumns + ` FROM contacts c`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order + " LIMIT " + args.add(q.Limit+1)
	out, err := scanContacts(s.pool.Query(ctx, query, args...))
	if err != nil {
		return nil, "", fmt.Errorf("list contacts: %w", err)
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		last := out[len(out)-1]
		next = store.EncodeCursor(last.Score, last.ID)
	}
	return out, next, nil
}

// searchClause matches contacts whose id, email or any attribute value
// contains q, ignoring case. Values are the JSON strings and numbers found
// at any depth (jsonpath's strict .**), read as text (#>> '{}' unquotes
// and unescapes), so a search never matches an attribute's name, a JSON
// escape (\u0026 for &), the quotes around a string, true, false or null.
func (s *Store) searchClause(q string, args *params) string {
	needle := strings.ToLower(q)
	like := args.add("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(needle) + "%")
	return `(` + s.lower("c.id") + ` LIKE ` + like + ` ESCAPE '\'
		OR ` + s.lower("COALESCE(c.email, '')") + ` LIKE ` + like + ` ESCAPE '\'
		OR EXISTS (SELECT 1 FROM jsonb_path_query(c.attributes, 'strict $.**') v
			WHERE jsonb_typeof(v) IN ('string', 'number') AND ` + s.lower("v #>> '{}'") + ` LIKE ` + like + ` ESCAPE '\'))`
}

// searchFold picks how to lower-case text for search. lower() follows the
// collation of its argument, and the database's default may be C (ASCII
// only: ZÜRICH would not match zürich) or a locale with its own rules
// (Turkish: I is not i), so a search names a Unicode collation: ICU's
// root locale when the server has ICU, else PostgreSQL 17's built-in
// Unicode ones. Without any, it falls back to the database's default.
func searchFold(ctx context.Context, pool interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) (func(string) string, error) {
	var name string
	err := pool.QueryRow(ctx, `SELECT collname FROM pg_collation
		WHERE collname IN ('und-x-icu', 'pg_unicode_fast', 'pg_c_utf8') AND collencoding IN (-1, 6)
		ORDER BY array_position(ARRAY['und-x-icu', 'pg_unicode_fast', 'pg_c_utf8']::name[], collname) LIMIT 1`).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return func(expr string) string { return "lower(" + expr + ")" }, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find a Unicode collation: %w", err)
	}
	return func(expr string) string { return `lower((` + expr + `) COLLATE "` + name + `")` }, nil
}

// History returns a contact's score changes, newest first.
func (s *Store) History(ctx context.Context, contactID string, limit int) ([]model.LedgerEntry, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, event_at, dimension, delta, value, flow_id, flow_version, node_id, event_id, reason
		FROM ledger WHERE contact_id = $1 ORDER BY id DESC LIMIT $2`, contactID, limit)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", contactID, err)
	}
	defer rows.Close()
	out := []model.LedgerEntry{}
	for rows.Next() {
		e := model.LedgerEntry{ContactID: contactID}
		var at, eventAt int64
		var flow, node, event, reason pgtype.Text
		var version pgtype.Int4
		if err := rows.Scan(&e.ID, &at, &eventAt, &e.Score, &e.Delta, &e.Value, &flow, &version, &node, &event, &reason); err != nil {
			return nil, fmt.Errorf("history of %s: %w", contactID, err)
		}
		e.At, e.EventAt = fromMS(at), fromMS(eventAt)
		e.Flow, e.Node, e.EventID = strPtr(flow), strPtr(node), strPtr(event)
		if version.Valid {
			v := int(version.Int32)
			e.FlowVersion = &v
		}
		e.Reason = reason.String
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history of %s: %w", contactID, err)
	}
	return out, nil
}

// Timeline returns a contact's events, newest first.
func (s *Store) Timeline(ctx context.Context, contactID string, limit int) ([]model.Event, error) {
	if limit <= 0 {
		limit = 200
	}
	rows, err := s.pool.Query(ctx, `SELECT id, type, ts, properties, traits FROM events
		WHERE contact_id = $1 ORDER BY ts DESC, seq DESC LIMIT $2`, contactID, limit)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", contactID, err)
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		ev := model.Event{ContactID: contactID}
		var ts int64
		var props, traits []byte
		if err := rows.Scan(&ev.ID, &ev.Type, &ts, &props, &traits); err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", contactID, err)
		}
		ev.Timestamp = fromMS(ts)
		if props != nil {
			if err := json.Unmarshal(props, &ev.Properties); err != nil {
				return nil, fmt.Errorf("timeline of %s: event %s: %w", contactID, ev.ID, err)
			}
		}
		if traits != nil {
			if err := json.Unmarshal(traits, &ev.Traits); err != nil {
				return nil, fmt.Errorf("timeline of %s: event %s: %w", contactID, ev.ID, err)
			}
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", contactID, err)
	}
	return out, nil
}

// EventApplied implements store.Store: the events table is the
// exactly-once record, so a row means the event and all its effects are
// committed.
func (s *Store) EventApplied(ctx context.Context, id string) (bool, error) {
	var applied bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)`, id).Scan(&applied); err != nil {
		return false, fmt.Errorf("event %s applied: %w", id, err)
	}
	return applied, nil
}
