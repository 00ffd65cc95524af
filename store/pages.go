package store

import "github.com/scoreflow/scoreflow/model"

// Keyset pages by (score, id): a backend reads limit+1 rows after the
// cursor; the extra row says another page follows.

// CursorParam decodes a request's cursor; one this server did not write is
// bad input.
func CursorParam(cursor string) (score int64, id string, err error) {
	score, id, err = DecodeCursor(cursor)
	if err != nil {
		return 0, "", model.Invalid("invalid_cursor", "the cursor is not one this server returned", model.FieldError{Path: "cursor", Message: err.Error()})
	}
	return score, id, nil
}

// PageOf trims rows read with limit+1 to limit and returns the cursor of
// the next page ("" on the last).
func PageOf[T any](rows []T, limit int, key func(T) (score int64, id string)) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, EncodeCursor(key(rows[limit-1]))
}

// AccountKey and ContactKey are PageOf's keys of accounts and contacts.
func AccountKey(a *model.Account) (int64, string) { return a.Score, a.ID }
func ContactKey(c *model.Contact) (int64, string) { return c.Score, c.ID }
