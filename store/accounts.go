package store

import (
	"context"
	"encoding/json"
	"fmt"
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

// AccountTx is the batch's part of accounts.
type AccountTx interface {
	// LoadAccount reads an account for the batch to change (nil, nil when
	// absent); a backend with concurrent writers locks its row.
	LoadAccount(id string) (*model.Account, error)
	// SaveAccount writes an account whole (Sums included).
	SaveAccount(a *model.Account) error
	// AddAccountValue adds n (negative removes) members holding value on a
	// max dimension to the account's multiset.
	AddAccountValue(accountID, dimension string, value int64, n int) error
	// MaxAccountValue is the largest value of the multiset (0 when empty).
	MaxAccountValue(accountID, dimension string) (int64, error)
	// DueAccountMembers makes the account's members due for the time-based
	// pass by at, so segments reading account fields follow the account.
	DueAccountMembers(accountID string, at time.Time) error
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
	enc := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	if attrs, err = enc(nonNilMap(a.Attributes)); err != nil {
		return "", "", "", fmt.Errorf("encode account %s attributes: %w", a.ID, err)
	}
	if sums, err = enc(nonNilMap(a.Sums)); err != nil {
		return "", "", "", fmt.Errorf("encode account %s sums: %w", a.ID, err)
	}
	if scores, err = enc(nonNilMap(a.Scores)); err != nil {
		return "", "", "", fmt.Errorf("encode account %s scores: %w", a.ID, err)
	}
	return attrs, sums, scores, nil
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
