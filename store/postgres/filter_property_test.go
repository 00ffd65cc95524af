package postgres_test

import (
	"testing"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/storetest"
)

// filterPropertyCases is sized for CI's go test -race on two cores: two
// populations of contacts, about 17 s alone (10 s without -race), each
// filter one round trip for SegmentMovers and one for MatchContacts.
// SCOREFLOW_PROPERTY_CASES raises it, SCOREFLOW_PROPERTY_SEED pins the seed.
const filterPropertyCases = 1_000_000

// TestPostgresFilterProperty checks the PostgreSQL filter compiler against
// the Go evaluator on random filters and contacts.
func TestPostgresFilterProperty(t *testing.T) {
	storetest.FilterProperty(t, func(t *testing.T) store.Store { return openAt(t, pgtest.URL(t)) }, filterPropertyCases)
}
