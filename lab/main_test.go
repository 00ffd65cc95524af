package lab_test

import (
	"os"
	"testing"

	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// TestMain stops the private PostgreSQL cluster the postgres subtests of
// apptest.EachStore start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
