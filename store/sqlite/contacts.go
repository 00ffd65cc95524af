package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

const contactColumns = `id, email, attributes, scores, score, grade, tags, deal_stage,
	disqualified_at, disqualify_reason, segments, created_at, last_activity_at, next_eval_at, account_id`

func scanContact(sc interface{ Scan(...any) error }) (*model.Contact, error) {
	r, err := scanContactRecord(sc)
	if err != nil {
		return nil, err
	}
	return r.Contact, nil
}

func scanContactRecord(sc interface{ Scan(...any) error }) (*store.ContactRecord, error) {
	var c model.Contact
	var email, reason, account sql.NullString
	var attrs, scores, tags, segments string
	var disqAt, lastAct, nextEval sql.NullInt64
	var created int64
	if err := sc.Scan(&c.ID, &email, &attrs, &scores, &c.Score, &c.Grade, &tags, &c.DealStage,
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
	r := &store.ContactRecord{Contact: &c, Attributes: attrs, Scores: scores, Tags: tags, Segments: segments, NextEvalAt: nextEval.Int64}
	stored := r.Columns()
	r.Stored = &stored
	return r, nil
}

// GetContact implements Store.
// scanContacts reads every row of a contacts query and closes it.
func scanContacts(rows *sql.Rows) ([]*model.Contact, error) {
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

func (s *Store) GetContact(ctx context.Context, id string) (*model.Contact, error) {
	c, err := scanContact(s.read.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, model.NotFound("contact", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get contact %s: %w", id, err)
	}
	return c, nil
}

// CountContacts implements Store.
func (s *Store) CountContacts(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count contacts: %w", err)
	}
	return n, nil
}

// ListContacts pages contacts by score with a keyset cursor, so deep pages
// cost the same as the first.
func (s *Store) ListContacts(ctx context.Context, q store.ContactQuery) ([]*model.Contact, string, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	var where []string
	var args []any
	if q.Grade != "" {
		where = append(where, "grade = ?")
		args = append(args, q.Grade)
	}
	if q.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE value = ?)")
		args = append(args, q.Tag)
	}
	if q.Segment != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(contacts.segments) WHERE value = ?)")
		args = append(args, q.Segment)
	}
	if q.Query != "" {
		clause, qargs := searchClause(q.Query)
		where = append(where, clause)
		args = append(args, qargs...)
	}
	cmp, order := "<", "score DESC, id DESC"
	if q.Ascend {
		cmp, order = ">", "score ASC, id ASC"
	}
	if q.Cursor != "" {
		score, id, err := store.DecodeCursor(q.Cursor)
		if err != nil {
			return nil, "", model.Invalid("invalid_cursor", "the cursor is not one this server returned", model.FieldError{Path: "cursor", Message: err.Error()})
		}
		where = append(where, fmt.Sprintf("(score %s ? OR (score = ? AND id %s ?))", cmp, cmp))
		args = append(args, score, score, id)
	}
	query := `SELECT ` + contactColumns + ` FROM contacts`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order + " LIMIT ?"
	args = append(args, q.Limit+1)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list contacts: %w", err)
	}
	out, err := scanContacts(rows)
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

// History returns a contact's score changes, newest first.
func (s *Store) History(ctx context.Context, contactID string, limit int) ([]model.LedgerEntry, error) {
	if limit <= 0 {
		limit = 1000
	}
	// The newest ids are picked on ledger_contact_event_at, which holds
	// them (the rowid) beside contact_id: a sort of the contact's ids that
	// reads no table row; only the rows returned are read.
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, event_at, dimension, delta, value, flow_id, flow_version, node_id, event_id, reason
		FROM ledger WHERE id IN (SELECT id FROM ledger WHERE contact_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id DESC`, contactID, limit)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", contactID, err)
	}
	defer rows.Close()
	out := []model.LedgerEntry{}
	for rows.Next() {
		e := model.LedgerEntry{ContactID: contactID}
		var at, eventAt int64
		var flow, node, event, reason sql.NullString
		var version sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &eventAt, &e.Score, &e.Delta, &e.Value, &flow, &version, &node, &event, &reason); err != nil {
			return nil, fmt.Errorf("history of %s: %w", contactID, err)
		}
		e.At, e.EventAt = fromMS(at), fromMS(eventAt)
		e.Flow, e.Node, e.EventID = nullString(flow), nullString(node), nullString(event)
		if version.Valid {
			v := int(version.Int64)
			e.FlowVersion = &v
		}
		e.Reason = reason.String
		out = append(out, e)
	}
	return out, rows.Err()
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// Timeline returns a contact's events, newest first.
func (s *Store) Timeline(ctx context.Context, contactID string, limit int) ([]model.Event, error) {
	if limit <= 0 {
		limit = 200
	}
	// The newest are picked on events_contact_type_ts, which holds ts and
	// the rowid (seq): a sort of the contact's (ts, seq) that reads no
	// table row; only the events returned are read.
	rows, err := s.read.QueryContext(ctx, `SELECT id, type, ts, properties, traits FROM events
		WHERE seq IN (SELECT seq FROM events WHERE contact_id = ? ORDER BY ts DESC, seq DESC LIMIT ?) ORDER BY ts DESC, seq DESC`, contactID, limit)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", contactID, err)
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		ev := model.Event{ContactID: contactID}
		var ts int64
		var props, traits sql.NullString
		if err := rows.Scan(&ev.ID, &ev.Type, &ts, &props, &traits); err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", contactID, err)
		}
		ev.Timestamp = fromMS(ts)
		if props.Valid {
			if err := json.Unmarshal([]byte(props.String), &ev.Properties); err != nil {
				return nil, fmt.Errorf("timeline of %s: event %s: %w", contactID, ev.ID, err)
			}
		}
		if traits.Valid {
			if err := json.Unmarshal([]byte(traits.String), &ev.Traits); err != nil {
				return nil, fmt.Errorf("timeline of %s: event %s: %w", contactID, ev.ID, err)
			}
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}
