package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ResolveContact implements store.Identities.
func (s *Store) ResolveContact(ctx context.Context, id string) (string, error) {
	var into string
	err := s.pool.QueryRow(ctx, `SELECT contact_id FROM contact_aliases WHERE id = $1`, id).Scan(&into)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve contact %s: %w", id, err)
	}
	return into, nil
}

// MergedFrom implements store.Identities.
func (s *Store) MergedFrom(ctx context.Context, id string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM contact_aliases WHERE contact_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("ids merged into %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("ids merged into %s: %w", id, err)
	}
	return out, nil
}

// ResolveAlias implements store.IdentityTx. Aliases are written only by
// statements that send the whole queue first, so it needs no flush.
func (t *writeTx) ResolveAlias(id string) (string, error) {
	var into string
	err := t.queryRow(0, `SELECT contact_id FROM contact_aliases WHERE id = $1`, []any{id}, &into)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve alias %s: %w", id, err)
	}
	return into, nil
}

// addAlias re-points the ids that resolved to $1 and records $1 itself.
const addAlias = `WITH p AS (UPDATE contact_aliases SET contact_id = $2 WHERE contact_id = $1)
	INSERT INTO contact_aliases (id, contact_id, merged_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`

// AddAlias implements store.IdentityTx.
func (t *writeTx) AddAlias(id, into string, at time.Time) error {
	if err := t.exec(addAlias, id, into, ms(at)); err != nil {
		return fmt.Errorf("alias %s to %s: %w", id, into, err)
	}
	return nil
}

// MarkAnonymous implements store.IdentityTx.
func (t *writeTx) MarkAnonymous(id string) error {
	if err := t.exec(`INSERT INTO anonymous_contacts (id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
		return fmt.Errorf("mark %s anonymous: %w", id, err)
	}
	return nil
}

// IsAnonymous implements store.IdentityTx.
func (t *writeTx) IsAnonymous(id string) (bool, error) {
	var one int
	err := t.queryRow(0, `SELECT 1 FROM anonymous_contacts WHERE id = $1`, []any{id}, &one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is %s anonymous: %w", id, err)
	}
	return true, nil
}

// moveContact is MoveContact in one statement (one round trip, after the
// queued writes): data-modifying CTEs touch disjoint rows, so their order
// does not matter.
const moveContact = `WITH e AS (UPDATE events SET contact_id = $2 WHERE contact_id = $1),
	l AS (UPDATE ledger SET contact_id = $2 WHERE contact_id = $1),
	f AS (UPDATE flow_entries SET contact_id = $2 WHERE contact_id = $1),
	w AS (UPDATE waiting_runs SET contact_id = $2 WHERE contact_id = $1),
	r AS (UPDATE run_failures SET contact_id = $2 WHERE contact_id = $1),
	m AS (DELETE FROM segment_members WHERE contact_id = $1),
	d AS (DELETE FROM score_decay WHERE contact_id = $1),
	c AS (DELETE FROM contacts WHERE id = $1),
	n AS (DELETE FROM anonymous_contacts WHERE id = $1),
	p AS (UPDATE contact_aliases SET contact_id = $2 WHERE contact_id = $1)
	INSERT INTO contact_aliases (id, contact_id, merged_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`

// MoveContact implements store.IdentityTx.
func (t *writeTx) MoveContact(from, into string, at time.Time) error {
	if err := t.exec(moveContact, from, into, ms(at)); err != nil {
		return fmt.Errorf("move contact %s into %s: %w", from, into, err)
	}
	t.dropAhead(from)
	// from has no entries left; into's changed in the table, so the batch
	// reads them again when it counts, and the committed cache drops them.
	t.entries.forgetContact(from)
	delete(t.entries.base, into)
	delete(t.entries.cached, into)
	t.s.entries.contacts.Remove(into)
	return nil
}

// ForgetContact implements store.IdentityTx.
func (t *writeTx) ForgetContact(id string) error {
	if err := t.exec(`WITH a AS (DELETE FROM contact_aliases WHERE contact_id = $1)
		DELETE FROM anonymous_contacts WHERE id = $1`, id); err != nil {
		return fmt.Errorf("forget the ids of %s: %w", id, err)
	}
	return nil
}
