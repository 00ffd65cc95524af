package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/scoreflow/scoreflow/store/stores"
)

// migrate applies the store's pending migrations and exits, so an operator
// can upgrade the schema before rolling out replicas (serve migrates too).
func migrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("store", envOr("SCOREFLOW_STORE", ""), "postgres://… URL; empty = SQLite in --data [SCOREFLOW_STORE]")
	dataDir := fs.String("data", envOr("SCOREFLOW_DATA", "./scoreflow-data"), "data directory of the SQLite store [SCOREFLOW_DATA]")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	target, err := stores.Resolve(*spec, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow migrate: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	applied, err := stores.Migrate(ctx, target)
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow migrate: %v\n", err)
		return 1
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "%s: schema up to date\n", target)
		return 0
	}
	for _, name := range applied {
		fmt.Fprintf(stdout, "%s: applied %s\n", target, name)
	}
	return 0
}

// storeCommand runs `scoreflow store <subcommand>`.
func storeCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprintln(stderr, "usage: scoreflow store copy --from <data dir, SQLite file or postgres URL> --to <postgres URL>")
		return 2
	}
	fs := flag.NewFlagSet("store copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the stopped Scoreflow's store: its data directory, SQLite file or postgres:// URL")
	to := fs.String("to", "", "an empty PostgreSQL: postgres://user:pass@host:5432/db")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *from == "" || *to == "" {
		fmt.Fprintln(stderr, "scoreflow store copy: --from and --to are both required")
		return 2
	}
	src, err := stores.Resolve(*from, *from)
	if err == nil && src.Kind == stores.SQLite {
		err = stores.MustExist(src)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow store copy: --from: %v\n", err)
		return 2
	}
	dst, err := stores.Resolve(*to, "")
	if err == nil && dst.Kind != stores.Postgres {
		err = fmt.Errorf("%q is not a postgres:// URL", *to)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow store copy: --to: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	report, err := stores.Copy(ctx, src, dst, func(table string, rows int64) {
		fmt.Fprintf(stdout, "%-16s %d rows\n", table, rows)
	})
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow store copy: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "copied %d rows in %d tables from %s to %s in %s\n",
		report.Rows, len(report.Tables), src, dst, time.Since(start).Round(time.Millisecond))
	return 0
}
