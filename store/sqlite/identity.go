package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ResolveContact implements store.Identities.
func (s *Store) ResolveContact(ctx context.Context, id string) (string, error) {
	var into string
	err := s.read.QueryRowContext(ctx, `SELECT contact_id FROM contact_aliases WHERE id = ?`, id).Scan(&into)
	if errors.Is(err, sql.ErrNoRows) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve contact %s: %w", id, err)
	}
	return into, nil
}

// MergedFrom implements store.Identities.
func (s *Store) MergedFrom(ctx context.Context, id string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM contact_aliases WHERE contact_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("ids merged into %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var old string
		if err := rows.Scan(&old); err != nil {
			return nil, fmt.Errorf("ids merged into %s: %w", id, err)
		}
		out = append(out, old)
	}
	return out, rows.Err()
}

// identityStatements are the identity writes, prepared once instead of per
// call; the lookups a batch makes for every new contact (is its id an
// alias, was it anonymous) are rawStatements (raw_stmts.go).
type identityStatements struct {
	markAnonymous *sql.Stmt
}

func prepareIdentity(st *identityStatements, p func(dst **sql.Stmt, q string)) {
	p(&st.markAnonymous, `INSERT INTO anonymous_contacts (id) VALUES (?) ON CONFLICT DO NOTHING`)
}

const (
	resolveAliasSQL = `SELECT contact_id FROM contact_aliases WHERE id = ?`
	isAnonymousSQL  = `SELECT 1 FROM anonymous_contacts WHERE id = ?`
)

// ResolveAlias implements store.IdentityTx.
func (t *sqliteTx) ResolveAlias(id string) (string, error) {
	var into string
	err := t.raw.resolveAlias.queryRow(t.ctx, []any{&into}, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve alias %s: %w", id, err)
	}
	return into, nil
}

// AddAlias implements store.IdentityTx.
func (t *sqliteTx) AddAlias(id, into string, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE contact_aliases SET contact_id = ? WHERE contact_id = ?`, into, id); err != nil {
		return fmt.Errorf("re-point aliases of %s to %s: %w", id, into, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO contact_aliases (id, contact_id, merged_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, id, into, ms(at)); err != nil {
		return fmt.Errorf("alias %s to %s: %w", id, into, err)
	}
	return nil
}

// MarkAnonymous implements store.IdentityTx.
func (t *sqliteTx) MarkAnonymous(id string) error {
	if _, err := t.stmt(t.st.identity.markAnonymous).Exec(id); err != nil {
		return fmt.Errorf("mark %s anonymous: %w", id, err)
	}
	return nil
}

// IsAnonymous implements store.IdentityTx.
func (t *sqliteTx) IsAnonymous(id string) (bool, error) {
	var one int
	err := t.raw.isAnonymous.queryRow(t.ctx, []any{&one}, id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is %s anonymous: %w", id, err)
	}
	return true, nil
}

// movedTables hold rows that follow a contact into its survivor;
// droppedTables hold rows the survivor recomputes or keeps its own of.
var (
	movedTables   = []string{"events", "ledger", "flow_entries", "waiting_runs", "run_failures"}
	droppedTables = []string{"segment_members", "score_decay"}
)

// MoveContact implements store.IdentityTx: one UPDATE per table, each
// walking that table's contact_id index.
func (t *sqliteTx) MoveContact(from, into string, at time.Time) error {
	for _, table := range movedTables {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE `+table+` SET contact_id = ? WHERE contact_id = ?`, into, from); err != nil {
			return fmt.Errorf("move %s of %s to %s: %w", table, from, into, err)
		}
	}
	for _, table := range droppedTables {
		if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM `+table+` WHERE contact_id = ?`, from); err != nil {
			return fmt.Errorf("drop %s of merged %s: %w", table, from, err)
		}
	}
	for _, q := range []string{`DELETE FROM contacts WHERE id = ?`, `DELETE FROM anonymous_contacts WHERE id = ?`} {
		if _, err := t.tx.ExecContext(t.ctx, q, from); err != nil {
			return fmt.Errorf("remove merged contact %s: %w", from, err)
		}
	}
	return t.AddAlias(from, into, at)
}

// ForgetContact implements store.IdentityTx.
func (t *sqliteTx) ForgetContact(id string) error {
	for _, q := range []string{`DELETE FROM contact_aliases WHERE contact_id = ?`, `DELETE FROM anonymous_contacts WHERE id = ?`} {
		if _, err := t.tx.ExecContext(t.ctx, q, id); err != nil {
			return fmt.Errorf("forget the ids of %s: %w", id, err)
		}
	}
	return nil
}
