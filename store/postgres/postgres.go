// Package postgres is the PostgreSQL store.Store: the SQLite store's
// tables, columns and answers on a server that several Scoreflow processes
// can share. Its schema is its own embedded migrations (migrations/*.sql),
// applied by Open and Migrate.
//
// Reads go through a connection pool concurrently with the engine's write
// transaction. That transaction queues its writes and sends them together
// (see writeTx), so a batch of events costs a few round trips, not one per
// row.
//
// The answers do not depend on the database's locale: text columns are
// COLLATE "C" (ordering by code point, as SQLite's), and contact search
// lower-cases through ICU's root collation (see searchFold). Where SQLite
// would store what PostgreSQL cannot, a batch fails instead: a NUL
// character in text, and \u0000 in JSON (jsonb refuses it); the engine then
// applies that batch's events one by one and sets the offending one aside.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scoreflow/scoreflow/store"
)

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool
	host string
	now  func() time.Time
	// lower is the SQL function call that lower-cases text the Unicode way
	// whatever the database's locale (see searchFold).
	lower func(expr string) string
	// entries caches committed flow entries for the write batches.
	entries *entryCache
}

var _ store.Store = (*Store)(nil)

// defaultMaxConns sizes the pool when the URL does not (pool_max_conns):
// the engine's writer plus the API's concurrent readers. pgxpool's own
// default, the number of CPUs, would make readers queue on small machines.
const defaultMaxConns = 16

// Open connects to the database at url (a postgres:// URL or key=value
// string, as libpq takes), applies pending migrations and returns the
// store. Its errors name the host and the cause on one line, never the
// password.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, host, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, host: host, now: time.Now, entries: newEntryCache()}
	if err := checkEncoding(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", host, err)
	}
	if _, err := migrate(ctx, pool, s.now); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", host, err)
	}
	if s.lower, err = searchFold(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", host, err)
	}
	return s, nil
}

// Migrate applies the migrations a database lacks and returns their names
// (none when it is up to date), for `scoreflow migrate`.
func Migrate(ctx context.Context, url string) ([]string, error) {
	pool, host, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := checkEncoding(ctx, pool); err != nil {
		return nil, fmt.Errorf("postgres %s: %w", host, err)
	}
	applied, err := migrate(ctx, pool, time.Now)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", host, err)
	}
	return applied, nil
}

// connect parses url, opens a pool and pings the server, so a wrong URL
// fails here and not at the first query.
func connect(ctx context.Context, url string) (*pgxpool.Pool, string, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn's parse errors quote the URL with its password masked.
		return nil, "", fmt.Errorf("postgres: invalid URL: %w", err)
	}
	host := fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, host, connectError(host, cfg.ConnConfig.Password, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, host, connectError(host, cfg.ConnConfig.Password, err)
	}
	return pool, host, nil
}

// checkEncoding refuses a database that cannot hold any Unicode text, as
// contacts' and events' text may be, before migrations create tables in it.
func checkEncoding(ctx context.Context, pool *pgxpool.Pool) error {
	var enc string
	if err := pool.QueryRow(ctx, `SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()`).Scan(&enc); err != nil {
		return fmt.Errorf("read the database encoding: %w", err)
	}
	if enc != "UTF8" {
		return fmt.Errorf("the database's encoding is %s; Scoreflow needs UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)", enc)
	}
	return nil
}

// openError is a failure to reach the server, told in one line; the
// underlying error stays available to errors.Is and errors.As.
type openError struct {
	msg string
	err error
}

func (e *openError) Error() string { return e.msg }
func (e *openError) Unwrap() error { return e.err }

// connectError shortens pgx's connect errors, which repeat the address
// and the connection parameters, to "postgres host: cause".
func connectError(host, password string, err error) error {
	cause := err.Error()
	var pgErr interface{ SQLState() string }
	switch {
	case errors.As(err, &pgErr):
		cause = pgErrorText(err)
	case opCause(err) != "":
		cause = opCause(err)
	case errors.Is(err, context.DeadlineExceeded):
		cause = "connect: timeout"
	}
	cause = strings.Join(strings.Fields(cause), " ") // one line
	if password != "" {
		cause = strings.ReplaceAll(cause, password, "xxxxx")
	}
	return &openError{msg: fmt.Sprintf("postgres %s: %s", host, cause), err: err}
}

// Close closes every connection.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.pool.QueryRow(ctx, `SELECT generation FROM config_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read config generation: %w", err)
	}
	return g, nil
}

func bumpGeneration(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE config_generation SET generation = generation + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump config generation: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction of its own (the API's writes: flows,
// settings, segments), bumping the config generation when bump is set.
func (s *Store) inTx(ctx context.Context, what string, bump bool, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	if bump {
		if err := bumpGeneration(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}
