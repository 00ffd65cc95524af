package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Accounts (store/accounts.go): the rows, the max multiset and the reads.
// Replicas apply contacts of one account in different partitions at the
// same time, so a batch locks the account rows it changes (LoadAccount's
// FOR UPDATE); the engine loads them in id order, so two batches never
// wait on each other in a cycle.

const accountColumns = `a.id, a.name, a.attributes, a.sums, a.scores, a.score, a.grade, a.members, a.created_at, a.updated_at`

func scanAccount(row pgx.Row) (*model.Account, error) {
	var a model.Account
	var attrs, sums, scores string
	var created, updated int64
	if err := row.Scan(&a.ID, &a.Name, &attrs, &sums, &scores, &a.Score, &a.Grade, &a.Contacts, &created, &updated); err != nil {
		return nil, err
	}
	if err := store.DecodeAccountJSON(&a, attrs, sums, scores); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return &a, nil
}

// scanAccounts reads every row of an accounts query and closes it.
func scanAccounts(rows pgx.Rows, err error) ([]*model.Account, error) {
	if err != nil {
		return nil, err
	}
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

const saveAccount = `INSERT INTO accounts (id, name, attributes, sums, scores, score, grade, members, created_at, updated_at)
	VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10)
	ON CONFLICT (id) DO UPDATE SET name = excluded.name, attributes = excluded.attributes, sums = excluded.sums,
		scores = excluded.scores, score = excluded.score, grade = excluded.grade, members = excluded.members,
		updated_at = excluded.updated_at`

func saveAccountArgs(a *model.Account) ([]any, error) {
	attrs, sums, scores, err := store.EncodeAccountJSON(a)
	if err != nil {
		return nil, err
	}
	return []any{a.ID, a.Name, attrs, sums, scores, a.Score, a.Grade, a.Contacts, ms(a.CreatedAt), ms(a.UpdatedAt)}, nil
}

// LoadAccounts implements store.Tx in one round trip, locking the rows
// for the batch in id order. An account no row holds yet gets an empty one
// first, so that there is a row to lock: two replicas creating the same
// account at once then queue on it instead of the second overwriting the
// first's member.
func (t *writeTx) LoadAccounts(ids []string, forUpdate bool) (map[string]*model.Account, error) {
	out := make(map[string]*model.Account, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	now := ms(t.s.now())
	err := t.roundTrip(0, func(b *pgx.Batch) {
		if !forUpdate {
			b.Queue(`SELECT `+accountColumns+` FROM accounts a WHERE a.id = ANY($1::text[])`, ids)
			return
		}
		b.Queue(`INSERT INTO accounts (id, created_at, updated_at) SELECT id, $2, $2 FROM unnest($1::text[]) AS r(id)
			ON CONFLICT (id) DO NOTHING`, ids, now)
		b.Queue(`SELECT `+accountColumns+` FROM accounts a WHERE a.id = ANY($1::text[]) ORDER BY a.id FOR UPDATE`, ids)
	}, func(br pgx.BatchResults) error {
		if forUpdate {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		list, err := scanAccounts(br.Query())
		for _, a := range list {
			out[a.ID] = a
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load %d accounts: %w", len(ids), err)
	}
	return out, nil
}

// execAll sends statements in one round trip and checks each.
func (t *writeTx) execAll(what string, queue func(b *pgx.Batch) int) error {
	n := 0
	err := t.roundTrip(0, func(b *pgx.Batch) { n = queue(b) }, func(br pgx.BatchResults) error {
		for i := 0; i < n; i++ {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// SaveAccounts implements store.Tx in one round trip.
func (t *writeTx) SaveAccounts(accounts []*model.Account) error {
	if len(accounts) == 0 {
		return nil
	}
	all := make([][]any, len(accounts))
	for i, a := range accounts {
		args, err := saveAccountArgs(a)
		if err != nil {
			return err
		}
		all[i] = args
	}
	return t.execAll(fmt.Sprintf("save %d accounts", len(accounts)), func(b *pgx.Batch) int {
		for _, args := range all {
			b.Queue(saveAccount, args...)
		}
		return len(all)
	})
}

// SaveAccountScores implements store.Tx in one statement for all the
// accounts (their rows are locked already: LoadAccounts for update).
func (t *writeTx) SaveAccountScores(accounts []*model.Account) error {
	if len(accounts) == 0 {
		return nil
	}
	n := len(accounts)
	ids, sums, scores, grades := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	score, members, updated := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, a := range accounts {
		ids[i], score[i], grades[i], members[i], updated[i] = a.ID, a.Score, a.Grade, a.Contacts, ms(a.UpdatedAt)
		sums[i], scores[i] = store.EncodeAccountScores(a)
	}
	var changed int64
	err := t.roundTrip(0, func(b *pgx.Batch) {
		b.Queue(`UPDATE accounts a SET sums = r.sums::jsonb, scores = r.scores::jsonb, score = r.score, grade = r.grade,
			members = r.members, updated_at = r.updated_at
			FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[])
				AS r(id, sums, scores, score, grade, members, updated_at)
			WHERE a.id = r.id`, ids, sums, scores, score, grades, members, updated)
	}, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		changed = tag.RowsAffected()
		return err
	})
	if err == nil && changed != int64(n) {
		err = fmt.Errorf("%d rows changed, want %d", changed, n)
	}
	if err != nil {
		return fmt.Errorf("save %d account scores: %w", n, err)
	}
	return nil
}

// AddAccountValues implements store.Tx in one round trip: an upsert per
// change, and a removal's row dropped when no member holds the value.
func (t *writeTx) AddAccountValues(changes []store.AccountValueChange) error {
	if len(changes) == 0 {
		return nil
	}
	return t.execAll(fmt.Sprintf("%d account value changes", len(changes)), func(b *pgx.Batch) int {
		n := 0
		for _, c := range changes {
			if c.N == 0 {
				continue
			}
			b.Queue(`INSERT INTO account_values (account_id, dimension, value, members) VALUES ($1, $2, $3, $4)
				ON CONFLICT (account_id, dimension, value) DO UPDATE SET members = account_values.members + excluded.members`,
				c.Account, c.Dimension, c.Value, c.N)
			n++
			if c.N < 0 {
				b.Queue(`DELETE FROM account_values WHERE account_id = $1 AND dimension = $2 AND value = $3 AND members <= 0`,
					c.Account, c.Dimension, c.Value)
				n++
			}
		}
		return n
	})
}

// MaxAccountValues implements store.Tx in one round trip: per key, the last
// key of the primary key's (account_id, dimension) range.
func (t *writeTx) MaxAccountValues(keys []store.AccountDimension) (map[store.AccountDimension]int64, error) {
	out := make(map[store.AccountDimension]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	err := t.roundTrip(0, func(b *pgx.Batch) {
		for _, k := range keys {
			b.Queue(`SELECT MAX(value) FROM account_values WHERE account_id = $1 AND dimension = $2`, k.Account, k.Dimension)
		}
	}, func(br pgx.BatchResults) error {
		for _, k := range keys {
			var v *int64
			if err := br.QueryRow().Scan(&v); err != nil {
				return err
			}
			if v != nil {
				out[k] = *v
			} else {
				out[k] = 0
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("max of %d account dimensions: %w", len(keys), err)
	}
	return out, nil
}

// DueAccountMembers implements store.Tx, after the batch's queued contact
// writes (which may set next_eval_at themselves).
func (t *writeTx) DueAccountMembers(accountID string, at time.Time) error {
	if err := t.exec(`UPDATE contacts SET next_eval_at = $1
		WHERE account_id = $2 AND (next_eval_at IS NULL OR next_eval_at > $1)`, ms(at), accountID); err != nil {
		return fmt.Errorf("members of account %s due: %w", accountID, err)
	}
	return nil
}

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (*model.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	var args params
	if q.Query != "" {
		like := args.add("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q.Query)) + "%")
		where = append(where, `(`+s.lower("a.id")+` LIKE `+like+` ESCAPE '\' OR `+s.lower("a.name")+` LIKE `+like+` ESCAPE '\')`)
	}
	cmp, order := "<", "a.score DESC, a.id DESC"
	if q.Ascend {
		cmp, order = ">", "a.score ASC, a.id ASC"
	}
	if q.Cursor != "" {
		score, id, err := store.CursorParam(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		sc := args.add(score)
		where = append(where, fmt.Sprintf("(a.score %s %s OR (a.score = %s AND a.id %s %s))", cmp, sc, sc, cmp, args.add(id)))
	}
	query := `SELECT ` + accountColumns + ` FROM accounts a`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order + " LIMIT " + args.add(q.Limit+1)
	out, err := scanAccounts(s.pool.Query(ctx, query, args...))
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
	args := params{}
	query := `SELECT ` + contactColumns + ` FROM contacts c WHERE c.account_id = ` + args.add(id)
	if cursor != "" {
		score, after, err := store.CursorParam(cursor)
		if err != nil {
			return nil, "", err
		}
		sc := args.add(score)
		query += ` AND (c.score < ` + sc + ` OR (c.score = ` + sc + ` AND c.id > ` + args.add(after) + `))`
	}
	query += ` ORDER BY c.score DESC, c.id LIMIT ` + args.add(limit+1)
	out, err := scanContacts(s.pool.Query(ctx, query, args...))
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
	rows, err := s.pool.Query(ctx, `SELECT l.id, l.contact_id, l.at, l.dimension, l.delta, l.value
		FROM ledger l JOIN contacts c ON c.id = l.contact_id
		WHERE c.account_id = $1 ORDER BY l.at DESC, l.id DESC LIMIT $2`, id, limit)
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
func rescoreAccounts(ctx context.Context, tx pgx.Tx, st model.Settings, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM account_values`); err != nil {
		return fmt.Errorf("rescore accounts: %w", err)
	}
	for _, d := range st.MaxDimensions() {
		if _, err := tx.Exec(ctx, `INSERT INTO account_values (account_id, dimension, value, members)
			SELECT account_id, $1, COALESCE((scores ->> $1)::bigint, 0) AS v, COUNT(*)
			FROM contacts WHERE account_id IS NOT NULL GROUP BY account_id, v`, d); err != nil {
			return fmt.Errorf("rescore accounts: max of %s: %w", d, err)
		}
	}
	list, err := scanAccounts(tx.Query(ctx, `SELECT `+accountColumns+` FROM accounts a FOR UPDATE`))
	if err != nil {
		return fmt.Errorf("rescore accounts: %w", err)
	}
	for _, a := range list {
		err := st.ScoreAccount(a, func(d string) (int64, error) {
			var v *int64
			err := tx.QueryRow(ctx, `SELECT MAX(value) FROM account_values WHERE account_id = $1 AND dimension = $2`, a.ID, d).Scan(&v)
			if err != nil || v == nil {
				return 0, err
			}
			return *v, nil
		})
		if err != nil {
			return err
		}
		a.UpdatedAt = now
		args, err := saveAccountArgs(a)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, saveAccount, args...); err != nil {
			return fmt.Errorf("rescore account %s: %w", a.ID, err)
		}
	}
	return nil
}
