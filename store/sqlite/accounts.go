package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Accounts (store/accounts.go): the rows, the max multiset and the reads.

const accountColumns = `id, name, attributes, sums, scores, score, grade, members, created_at, updated_at`

func scanAccount(sc interface{ Scan(...any) error }) (*model.Account, error) {
	var a model.Account
	var attrs, sums, scores string
	var created, updated int64
	if err := sc.Scan(&a.ID, &a.Name, &attrs, &sums, &scores, &a.Score, &a.Grade, &a.Contacts, &created, &updated); err != nil {
		return nil, err
	}
	if err := store.DecodeAccountJSON(&a, attrs, sums, scores); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return &a, nil
}

// The account reads of rawStatements (raw_stmts.go).
const (
	loadAccountSQL      = `SELECT ` + accountColumns + ` FROM accounts WHERE id = ?`
	takeAccountValueSQL = `UPDATE account_values SET members = members + ? WHERE account_id = ? AND dimension = ? AND value = ? RETURNING members`
	// The last key of the primary key's (account_id, dimension) range.
	maxAccountValueSQL = `SELECT MAX(value) FROM account_values WHERE account_id = ? AND dimension = ?`
)

// accountStatements are the batch's account statements, prepared once.
type accountStatements struct {
	save, saveScores, addValue, dropValue *sql.Stmt
}

func prepareAccounts(st *accountStatements, p func(dst **sql.Stmt, q string)) {
	p(&st.save, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, attributes = excluded.attributes, sums = excluded.sums,
		scores = excluded.scores, score = excluded.score, grade = excluded.grade, members = excluded.members,
		updated_at = excluded.updated_at`)
	p(&st.saveScores, `UPDATE accounts SET sums = ?, scores = ?, score = ?, grade = ?, members = ?, updated_at = ? WHERE id = ?`)
	p(&st.addValue, `INSERT INTO account_values (account_id, dimension, value, members) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, dimension, value) DO UPDATE SET members = members + excluded.members`)
	p(&st.dropValue, `DELETE FROM account_values WHERE account_id = ? AND dimension = ? AND value = ?`)
}

// scanAccounts reads every row of an accounts query and closes it.
func scanAccounts(rows *sql.Rows) ([]*model.Account, error) {
	defer rows.Close()
	out := []*model.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LoadAccounts implements store.Tx. SQLite has one writer, so rows need no
// lock, and forUpdate changes nothing.
func (t *sqliteTx) LoadAccounts(ids []string, _ bool) (map[string]*model.Account, error) {
	out := make(map[string]*model.Account, len(ids))
	for _, id := range ids {
		var a *model.Account
		found, err := t.raw.loadAccount.queryFirst(t.ctx, func(row rawRow) (err error) {
			a, err = scanAccount(row)
			return err
		}, id)
		if err != nil {
			return nil, fmt.Errorf("load account %s: %w", id, err)
		}
		if found {
			out[id] = a
		}
	}
	return out, nil
}

// SaveAccounts implements store.Tx.
func (t *sqliteTx) SaveAccounts(accounts []*model.Account) error {
	for _, a := range accounts {
		attrs, sums, scores, err := store.EncodeAccountJSON(a)
		if err != nil {
			return err
		}
		if _, err := t.stmt(t.st.accounts.save).Exec(a.ID, a.Name, attrs, sums, scores, a.Score, a.Grade, a.Contacts,
			ms(a.CreatedAt), ms(a.UpdatedAt)); err != nil {
			return fmt.Errorf("save account %s: %w", a.ID, err)
		}
	}
	return nil
}

// SaveAccountScores implements store.Tx.
func (t *sqliteTx) SaveAccountScores(accounts []*model.Account) error {
	for _, a := range accounts {
		sums, scores := store.EncodeAccountScores(a)
		res, err := t.stmt(t.st.accounts.saveScores).Exec(sums, scores, a.Score, a.Grade, a.Contacts, ms(a.UpdatedAt), a.ID)
		if err != nil {
			return fmt.Errorf("save account %s scores: %w", a.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("save account %s scores: %d rows changed (%v), want its row", a.ID, n, err)
		}
	}
	return nil
}

// AddAccountValues implements store.Tx: an upsert per change, and the row
// dropped when no member holds the value any more.
func (t *sqliteTx) AddAccountValues(changes []store.AccountValueChange) error {
	for _, c := range changes {
		if c.N == 0 {
			continue
		}
		if c.N > 0 {
			if _, err := t.stmt(t.st.accounts.addValue).Exec(c.Account, c.Dimension, c.Value, c.N); err != nil {
				return fmt.Errorf("account %s %s value %d: %w", c.Account, c.Dimension, c.Value, err)
			}
			continue
		}
		// A removal: the row is dropped when no member holds the value.
		var left int64
		err := t.raw.takeAccountValue.queryRow(t.ctx, []any{&left}, c.N, c.Account, c.Dimension, c.Value)
		if errors.Is(err, sql.ErrNoRows) {
			continue // no member held it: nothing to take (as PostgreSQL's upsert of a negative count, then dropped)
		}
		if err != nil {
			return fmt.Errorf("account %s %s value %d: %w", c.Account, c.Dimension, c.Value, err)
		}
		if left <= 0 {
			if _, err := t.stmt(t.st.accounts.dropValue).Exec(c.Account, c.Dimension, c.Value); err != nil {
				return fmt.Errorf("account %s %s value %d: %w", c.Account, c.Dimension, c.Value, err)
			}
		}
	}
	return nil
}

// MaxAccountValues implements store.Tx.
func (t *sqliteTx) MaxAccountValues(keys []store.AccountDimension) (map[store.AccountDimension]int64, error) {
	out := make(map[store.AccountDimension]int64, len(keys))
	for _, k := range keys {
		var v sql.NullInt64
		if err := t.raw.maxAccountValue.queryRow(t.ctx, []any{&v}, k.Account, k.Dimension); err != nil {
			return nil, fmt.Errorf("max of account %s %s: %w", k.Account, k.Dimension, err)
		}
		out[k] = v.Int64
	}
	return out, nil
}

// DueAccountMembers implements store.Tx.
func (t *sqliteTx) DueAccountMembers(accountID string, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE contacts SET next_eval_at = ?
		WHERE account_id = ? AND (next_eval_at IS NULL OR next_eval_at > ?)`, ms(at), accountID, ms(at)); err != nil {
		return fmt.Errorf("members of account %s due: %w", accountID, err)
	}
	return nil
}

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (*model.Account, error) {
	a, err := scanAccount(s.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, model.NotFound("account", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %s: %w", id, err)
	}
	return a, nil
}

// ListAccounts implements store.Store with a keyset cursor on (score, id).
func (s *Store) ListAccounts(ctx context.Context, q store.AccountQuery) ([]*model.Account, string, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	var where []string
	var args []any
	if q.Query != "" {
		needle := strings.ToLower(q.Query)
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(needle) + "%"
		fold := func(expr string) string { return expr }
		if !isASCII(needle) {
			fold = func(expr string) string { return foldFunc + "(" + expr + ")" }
		}
		where = append(where, `(`+fold("id")+` LIKE ? ESCAPE '\' OR `+fold("name")+` LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	cmp, order := "<", "score DESC, id DESC"
	if q.Ascend {
		cmp, order = ">", "score ASC, id ASC"
	}
	if q.Cursor != "" {
		score, id, err := store.CursorParam(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(score %s ? OR (score = ? AND id %s ?))", cmp, cmp))
		args = append(args, score, score, id)
	}
	query := `SELECT ` + accountColumns + ` FROM accounts`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order + " LIMIT ?"
	args = append(args, q.Limit+1)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list accounts: %w", err)
	}
	out, err := scanAccounts(rows)
	if err != nil {
		return nil, "", fmt.Errorf("list accounts: %w", err)
	}
	out, next := store.PageOf(out, q.Limit, store.AccountKey)
	return out, next, nil
}

// AccountContacts implements store.Store: the account's members by the
// account_id index, sorted by score.
func (s *Store) AccountContacts(ctx context.Context, id string, limit int, cursor string) ([]*model.Contact, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	query := `SELECT ` + contactColumns + ` FROM contacts WHERE account_id = ?`
	args := []any{id}
	if cursor != "" {
		score, after, err := store.CursorParam(cursor)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (score < ? OR (score = ? AND id > ?))`
		args = append(args, score, score, after)
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY score DESC, id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("contacts of account %s: %w", id, err)
	}
	out, err := scanContacts(rows)
	if err != nil {
		return nil, "", fmt.Errorf("contacts of account %s: %w", id, err)
	}
	out, next := store.PageOf(out, limit, store.ContactKey)
	return out, next, nil
}

// AccountHistory implements store.Store: the newest limit score changes of
// the account's members, returned oldest first.
func (s *Store) AccountHistory(ctx context.Context, id string, limit int) ([]model.LedgerEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := s.read.QueryContext(ctx, `SELECT l.id, l.contact_id, l.at, l.dimension, l.delta, l.value
		FROM ledger l JOIN contacts c ON c.id = l.contact_id
		WHERE c.account_id = ? ORDER BY l.at DESC, l.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("history of account %s: %w", id, err)
	}
	defer rows.Close()
	out, err := store.ScanAccountHistory(rows)
	if err != nil {
		return nil, fmt.Errorf("history of account %s: %w", id, err)
	}
	return out, nil
}

// rescoreAccounts brings every account in line with new settings, in the
// settings' transaction: the max multiset rebuilt for the max dimensions
// from the members, then each account's scores, total and grade derived
// again. It reads every member once, which only a settings change pays.
func rescoreAccounts(ctx context.Context, tx *sql.Tx, st model.Settings, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_values`); err != nil {
		return fmt.Errorf("rescore accounts: %w", err)
	}
	for _, d := range st.MaxDimensions() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_values (account_id, dimension, value, members)
			SELECT account_id, ?, CAST(IFNULL(json_extract(scores, ?), 0) AS INTEGER) AS v, COUNT(*)
			FROM contacts WHERE account_id IS NOT NULL GROUP BY account_id, v`, d, "$."+sqlJSONLabel(d)); err != nil {
			return fmt.Errorf("rescore accounts: max of %s: %w", d, err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts`)
	if err != nil {
		return fmt.Errorf("rescore accounts: %w", err)
	}
	list, err := scanAccounts(rows)
	if err != nil {
		return fmt.Errorf("rescore accounts: %w", err)
	}
	for _, a := range list {
		err := st.ScoreAccount(a, func(d string) (int64, error) {
			var v sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT MAX(value) FROM account_values WHERE account_id = ? AND dimension = ?`, a.ID, d).Scan(&v)
			return v.Int64, err
		})
		if err != nil {
			return err
		}
		attrs, sums, scores, err := store.EncodeAccountJSON(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET scores = ?, score = ?, grade = ?, updated_at = ?, attributes = ?, sums = ?
			WHERE id = ?`, scores, a.Score, a.Grade, ms(now), attrs, sums, a.ID); err != nil {
			return fmt.Errorf("rescore account %s: %w", a.ID, err)
		}
	}
	return nil
}

// Exclusive implements store.Exclusive: one engine writes a SQLite store.
func (s *Store) Exclusive() bool { return true }
