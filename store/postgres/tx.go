package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scoreflow/scoreflow/store"
)

// writeTx is one engine batch on one pooled connection. Its writes wait
// in a queue (see tx_queue.go); a read first sends the queued writes of
// the tables it reads, in the same round trip as itself, so the batch sees
// its own writes, and Commit sends the rest together with COMMIT. Even
// BEGIN waits for the first round trip. A batch that only writes thus
// costs one round trip, and one that reads costs one per read.
//
// A queued write that fails makes its round trip fail: the transaction is
// then aborted on the server, every later call returns that error, and
// Commit rolls back, so nothing of the batch is applied.
type writeTx struct {
	s     *Store
	ctx   context.Context
	conn  *pgxpool.Conn // nil once committed or rolled back
	begun bool          // BEGIN has been sent
	err   error         // the failure that ended the batch
	q     queue

	// known holds the event ids whose state this batch knows: true for
	// applied (stored, or inserted by this batch), false for looked up and
	// absent. InsertEvent refuses a known duplicate at once, as SQLite's
	// unique index does, and looks an unknown id up before queueing it.
	known map[string]bool

	entries batchEntries // see entries.go
	ahead   prefetched   // see prefetch.go
}

var _ store.Tx = (*writeTx)(nil)

var errTxDone = errors.New("the batch's transaction has already ended")

// Begin implements store.Store. It takes a connection from the pool; the
// transaction itself starts with the batch's first round trip.
func (s *Store) Begin(ctx context.Context) (store.Tx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	return &writeTx{s: s, ctx: ctx, conn: conn, known: map[string]bool{}}, nil
}

// roundTrip sends BEGIN if it has not gone yet, the queued writes of the
// tables in flush, then whatever reads queues, and hands the results of
// those to results. Any error fails the batch.
func (t *writeTx) roundTrip(flush table, reads func(b *pgx.Batch), results func(br pgx.BatchResults) error) error {
	if err := t.usable(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	var writes []sent
	if !t.begun {
		b.Queue("BEGIN")
		writes = append(writes, sent{what: "begin"})
	}
	if flush&t.q.dirty&tEntries != 0 {
		t.entries.noteFlushed(&t.q.entries)
	}
	writes = t.q.send(b, flush, writes)
	if reads != nil {
		reads(b)
	}
	if b.Len() == 0 {
		return nil
	}
	t.begun = true
	br := t.conn.SendBatch(t.ctx, b)
	err := func() error {
		for _, w := range writes {
			if _, err := br.Exec(); err != nil {
				return w.wrap(err)
			}
		}
		if results != nil {
			return results(br)
		}
		return nil
	}()
	if closeErr := br.Close(); err == nil && closeErr != nil {
		err = closeErr
	}
	if err != nil {
		t.err = err
		return err
	}
	return nil
}

// usable is nil while the batch can take more calls.
func (t *writeTx) usable() error {
	if t.conn == nil {
		return errTxDone
	}
	if t.err != nil {
		return fmt.Errorf("the batch failed earlier: %w", t.err)
	}
	return nil
}

// Commit sends the queued writes and COMMIT in one round trip. On any
// failure the transaction is rolled back and the error returned.
func (t *writeTx) Commit() error {
	if t.conn == nil {
		return fmt.Errorf("commit batch: %w", errTxDone)
	}
	defer t.release()
	if t.err != nil {
		t.abort()
		return fmt.Errorf("commit batch: %w", t.err)
	}
	if !t.begun && t.q.dirty == 0 {
		// Nothing was read or written, but a Begin and Commit that succeed
		// must still mean the server answers: the engine's health check is
		// exactly that pair.
		if err := t.conn.Ping(t.ctx); err != nil {
			t.err = err
			return fmt.Errorf("commit batch: %w", err)
		}
		return nil
	}
	checked := false
	err := t.roundTrip(tAll, func(b *pgx.Batch) {
		checked = t.queueEntryCheck(b)
		b.Queue("COMMIT")
	}, func(br pgx.BatchResults) error {
		if checked {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("check the cached flow entries: %w", err)
			}
		}
		tag, err := br.Exec()
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		// The server answers COMMIT of a failed transaction with ROLLBACK.
		if tag.String() != "COMMIT" {
			return errors.New("the server rolled the transaction back")
		}
		return nil
	})
	if err != nil {
		t.abort()
		// Whatever failed, the cache may hold what the table does not.
		t.s.entries.contacts.Purge()
		return fmt.Errorf("commit batch: %w", err)
	}
	t.committedEntries()
	return nil
}

// Rollback implements store.Tx; after Commit or another Rollback it does
// nothing.
func (t *writeTx) Rollback() error {
	if t.conn == nil {
		return nil
	}
	defer t.release()
	if !t.begun {
		return nil
	}
	if err := t.rollback(); err != nil {
		return fmt.Errorf("roll back batch: %w", err)
	}
	return nil
}

// abort rolls back after a failure, when the error to report is that one.
func (t *writeTx) abort() {
	if t.conn.Conn().PgConn().TxStatus() != 'I' {
		_ = t.rollback()
	}
}

// rollback sends ROLLBACK with a context of its own, so a batch whose
// context was cancelled still ends its transaction; if that fails too the
// pool discards the connection (it is not idle) on release.
func (t *writeTx) rollback() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 10*time.Second)
	defer cancel()
	_, err := t.conn.Exec(ctx, "ROLLBACK")
	return err
}

func (t *writeTx) release() {
	t.conn.Release()
	t.conn = nil
	t.q = queue{}
}
