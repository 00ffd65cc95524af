package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Reads the HTTP API needs beyond the engine's: whether an event was applied
// (PUT /contacts/{id} waits for its identify event) and the contact search
// behind GET /contacts?q=.

// EventApplied implements Store: the events table is the exactly-once
// record, so a row means the event and all its effects are committed.
func (s *Store) EventApplied(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM events WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("event %s applied: %w", id, err)
	}
	return true, nil
}

// foldFunc is the SQL function that lower-cases text the Unicode way;
// SQLite's own lower() and LIKE fold ASCII only.
const foldFunc = "scoreflow_fold"

// registerFuncs adds Scoreflow's SQL functions to a new connection.
func registerFuncs(c *sqlite3.SQLiteConn) error {
	return c.RegisterFunc(foldFunc, strings.ToLower, true)
}

// searchClause matches contacts whose id, email or any attribute value
// contains q, ignoring case. Values are the decoded JSON scalars found at
// any depth (json_tree), so a search never matches an attribute's name, a
// JSON escape (\u0026 for &) or the quotes around a string.
//
// LIKE folds ASCII letters by itself and runs in SQLite; a needle with
// other letters ("zürich") compares Unicode-folded text through foldFunc,
// which costs a call into Go per value.
func searchClause(q string) (string, []any) {
	needle := strings.ToLower(q)
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(needle) + "%"
	fold := func(expr string) string { return expr }
	if !isASCII(needle) {
		fold = func(expr string) string { return foldFunc + "(CAST(" + expr + " AS TEXT))" }
	}
	clause := `(` + fold("id") + ` LIKE ? ESCAPE '\'
		OR ` + fold("COALESCE(email, '')") + ` LIKE ? ESCAPE '\'
		OR EXISTS (SELECT 1 FROM json_tree(contacts.attributes)
			WHERE type IN ('text', 'integer', 'real') AND ` + fold("atom") + ` LIKE ? ESCAPE '\'))`
	return clause, []any{like, like, like}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
