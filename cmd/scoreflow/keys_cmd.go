package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
)

// keysCommand runs `scoreflow keys create|list|revoke` against the store
// directly, whether the server runs or not: a running server (every
// replica) picks the change up within a second through the keys
// generation. Changes are audited under the name "cli".
func keysCommand(args []string, stdout, stderr io.Writer) int {
	const usageLine = "usage: scoreflow keys create --name NAME --scope admin|write|read | keys list | keys revoke ID  [--store URL] [--data DIR]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("store", envOr("SCOREFLOW_STORE", ""), "postgres://… URL; empty = SQLite in --data [SCOREFLOW_STORE]")
	dataDir := fs.String("data", envOr("SCOREFLOW_DATA", "./scoreflow-data"), "data directory of the SQLite store [SCOREFLOW_DATA]")
	name := fs.String("name", "", "create: who or what uses the key")
	scope := fs.String("scope", "", "create: admin, write or read")
	// The id of revoke may come before the flags (keys revoke ID --data D).
	rest, ids := args[1:], []string{}
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		ids, rest = rest[:1], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	ids = append(ids, fs.Args()...)
	if sub != "create" && sub != "list" && sub != "revoke" || sub == "revoke" && len(ids) != 1 || sub != "revoke" && len(ids) != 0 {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	target, err := stores.Resolve(*spec, *dataDir)
	if err == nil && target.Kind == stores.SQLite {
		err = stores.MustExist(target)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow keys: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx = store.WithActor(ctx, store.ActorCLI)
	st, err := stores.Open(ctx, target)
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow keys: %v\n", err)
		return 1
	}
	defer st.Close()
	switch sub {
	case "create":
		rec, secret, err := api.CreateKey(ctx, st, *name, *scope, uuid.NewString)
		if err != nil {
			fmt.Fprintf(stderr, "scoreflow keys create: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "created key %s (%s, scope %s); the secret below is shown only once:\n", rec.Name, rec.ID, rec.Scope)
		fmt.Fprintln(stdout, secret)
	case "list":
		recs, err := st.ListKeys(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "scoreflow keys list: %v\n", err)
			return 1
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSCOPE\tCREATED\tLAST USED")
		for _, k := range recs {
			used := "never"
			if k.LastUsedAt != nil {
				used = k.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Scope, k.CreatedAt.Format(time.RFC3339), used)
		}
		w.Flush()
	case "revoke":
		rec, err := st.RevokeKey(ctx, ids[0])
		if err != nil {
			fmt.Fprintf(stderr, "scoreflow keys revoke: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "revoked key %s (%s)\n", rec.Name, rec.ID)
	}
	return 0
}
