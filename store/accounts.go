package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// Accounts (CONTRACT §9): companies whose contacts are scored together.
// The engine keeps each account's aggregate current in the transaction of
// its members' changes: sums and the member count in the account's row, and
// for max dimensions a multiset of the members' values (account_values,
// keyed by account, dimension and value), so a member's change costs a few
// index operations, O(log n), and never a rescan of the members.

// AccountStore reads accounts for the API.
type AccountStore interface {
	GetAccount(ctx context.Context, id string) (*model.Account, error)
	// ListAccounts pages accounts by score (descending unless Ascend),
	// then id.
	ListAccounts(ctx context.Context, q AccountQuery) ([]*model.Account, string, error)
	// AccountContacts pages an account's members by score, descending,
	// then id; the cursor is opaque.
	AccountContacts(ctx context.Context, id string, limit int, cursor string) ([]*model.Contact, string, error)
	// AccountHistory is the account's score over time: the members' score
	// changes (ledger rows) in time order, oldest first, at most limit.
	AccountHistory(ctx context.Context, id string, limit int) ([]model.LedgerEntry, error)
}

// AccountTx is the batch's part of accounts. Calls take many accounts at
// once, so a backend with costly round trips pays one per call, not one per
// account.
type AccountTx interface {
	// LoadAccounts reads accounts (absent ones are missing from the map).
	// With forUpdate the batch is going to write them: a backend with
	// concurrent writers locks their rows, in id order, making empty rows
	// for absent ids first so there is a row to lock (those come back as
	// empty accounts).
	LoadAccounts(ids []string, forUpdate bool) (map[string]*model.Account, error)
	// SaveAccounts writes accounts whole (Sums included).
	SaveAccounts(accounts []*model.Account) error
	// SaveAccountScores writes what members' changes move in accounts a
	// row holds: sums, scores, score, grade, member count and updated_at;
	// name, attributes and created_at stay as stored. It is most of a
	// batch's account writes (a group call's traits change rarely), and
	// skips encoding and writing the attributes.
	SaveAccountScores(accounts []*model.Account) error
	// AddAccountValues adds each change's N (negative removes) members
	// holding Value on a max dimension to the account's multiset.
	AddAccountValues(changes []AccountValueChange) error
	// MaxAccountValues is the largest value of each multiset (0 when empty).
	MaxAccountValues(keys []AccountDimension) (map[AccountDimension]int64, error)
	// DueAccountMembers makes the account's members due for the time-based
	// pass by at, so segments reading account fields follow the account.
	DueAccountMembers(accountID string, at time.Time) error
}

// AccountDimension names one dimension of one account.
type AccountDimension struct{ Account, Dimension string }

// AccountValueChange is a change of an account's multiset of values.
type AccountValueChange struct {
	AccountDimension
	Value int64
	N     int
}

// AccountQuery filters and pages the account list.
type AccountQuery struct {
	Query  string // matches id or name, case-insensitively
	Limit  int
	Cursor string
	Ascend bool // sort=score instead of -score
}

// EncodeAccountJSON encodes an account's JSON columns for a backend.
func EncodeAccountJSON(a *model.Account) (attrs, sums, scores string, err error) {
	b, err := json.Marshal(nonNilMap(a.Attributes))
	if err != nil {
		return "", "", "", fmt.Errorf("encode account %s attributes: %w", a.ID, err)
	}
	sums, scores = EncodeAccountScores(a)
	return string(b), sums, scores, nil
}

// EncodeAccountScores encodes an account's sums and scores columns: JSON
// objects of integers, keys sorted as encoding/json sorts them. Every
// batch writes them for each account it changes, so they skip
// encoding/json's reflection.
func EncodeAccountScores(a *model.Account) (sums, scores string) {
	var keys []string
	return encodeInt64Map(a.Sums, &keys), encodeInt64Map(a.Scores, &keys)
}

func encodeInt64Map(m map[string]int64, keys *[]string) string {
	if len(m) == 0 {
		return "{}"
	}
	*keys = (*keys)[:0]
	for k := range m {
		*keys = append(*keys, k)
	}
	slices.Sort(*keys)
	b := make([]byte, 0, 16*len(m))
	b = append(b, '{')
	for i, k := range *keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONKey(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, m[k], 10)
	}
	return string(append(b, '}'))
}

// appendJSONKey appends k as a JSON string: as it is when no byte needs
// escaping (dimension names are plain), else as encoding/json writes it.
func appendJSONKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(k) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"')
}

// DecodeAccountJSON fills an account's maps from its JSON columns.
func DecodeAccountJSON(a *model.Account, attrs, sums, scores string) error {
	a.Attributes, a.Sums, a.Scores = map[string]any{}, map[string]int64{}, map[string]int64{}
	if err := json.Unmarshal([]byte(attrs), &a.Attributes); err != nil {
		return fmt.Errorf("decode account %s attributes: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(sums), &a.Sums); err != nil {
		return fmt.Errorf("decode account %s sums: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(scores), &a.Scores); err != nil {
		return fmt.Errorf("decode account %s scores: %w", a.ID, err)
	}
	return nil
}

// ScanAccountHistory reads AccountHistory's rows (id, contact_id, at in
// Unix ms, dimension, delta, value), newest first, and returns them oldest
// first.
func ScanAccountHistory(rows Rows) ([]model.LedgerEntry, error) {
	var out []model.LedgerEntry
	for rows.Next() {
		var e model.LedgerEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.ContactID, &at, &e.Score, &e.Delta, &e.Value); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}
