package postgres

import (
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == uniqueViolation
}

// pgErrorText is a server error as "message (SQLSTATE code)", without
// pgconn's "ERROR:" prefix and the parameters it adds on connect.
func pgErrorText(err error) string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err.Error()
	}
	return pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
}

// opCause is the cause of a failed dial, such as "connect: connection
// refused" or "lookup db.example: no such host", without the addresses
// the host name already gives.
func opCause(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "lookup " + dnsErr.Name + ": " + dnsErr.Err
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return ""
}
