// Package stores opens a store.Store by name: SQLite in a data directory or
// file (the embedded default), or PostgreSQL by URL. The command line, the
// app and `scoreflow store copy` choose backends through it, so no other
// package needs to know which backends exist.
package stores

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/postgres"
	"github.com/scoreflow/scoreflow/store/sqlite"
)

// SQLiteFile is the database file's name inside a data directory.
const SQLiteFile = "scoreflow.db"

// Kind is a backend's name.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Target is a resolved store location.
type Target struct {
	Kind Kind
	// Path is the SQLite file; URL the PostgreSQL connection string.
	Path, URL string
}

// String names the target without secrets, for logs and messages.
func (t Target) String() string {
	if t.Kind == SQLite {
		return "sqlite " + t.Path
	}
	return "postgres " + redact(t.URL)
}

// redact drops the password and query of a URL: host, port and database
// are what an operator needs to see.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	out := u.Host + u.Path
	if u.User != nil {
		out = u.User.Username() + "@" + out
	}
	return out
}

// IsPostgresURL reports whether s is a PostgreSQL connection URL.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Resolve reads spec as --store does: "" is SQLite in dataDir; a
// postgres:// URL is PostgreSQL; "sqlite:PATH" or a path is SQLite at that
// file, or in that directory when it is one.
func Resolve(spec, dataDir string) (Target, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return Target{Kind: SQLite, Path: filepath.Join(dataDir, SQLiteFile)}, nil
	case IsPostgresURL(spec):
		return Target{Kind: Postgres, URL: spec}, nil
	case strings.Contains(spec, "://"):
		scheme, _, _ := strings.Cut(spec, "://")
		return Target{}, fmt.Errorf("store %q: unknown scheme %q; use postgres://user:pass@host:5432/db or a SQLite path", scheme+"://…", scheme)
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, SQLiteFile)
	}
	return Target{Kind: SQLite, Path: path}, nil
}

// Open opens (creating and migrating as needed) the store at t.
func Open(ctx context.Context, t Target) (store.Store, error) {
	// Each case returns a nil interface on error, never a nil pointer in a
	// non-nil interface that a caller's "if st != nil" would close.
	switch t.Kind {
	case SQLite:
		s, err := sqlite.Open(ctx, t.Path)
		if err != nil {
			return nil, err
		}
		return s, nil
	case Postgres:
		s, err := postgres.Open(ctx, t.URL)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("store: unknown kind %q", t.Kind)
}

// Migrate applies pending migrations and reports the ones it applied.
func Migrate(ctx context.Context, t Target) ([]string, error) {
	switch t.Kind {
	case SQLite:
		return sqlite.Migrate(ctx, t.Path)
	case Postgres:
		return postgres.Migrate(ctx, t.URL)
	}
	return nil, fmt.Errorf("store: unknown kind %q", t.Kind)
}
