package main

import (
	"context"
	"fmt"
	"io"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// benchAccounts runs the bench twice in one process, on fresh stores: the
// contacts without accounts, then spread over n accounts (each identify
// names one), and reports both throughputs, so the cost of keeping account
// aggregates is measured under the same conditions.
func benchAccounts(cfg benchConfig, n int, out io.Writer) error {
	if cfg.dir != "" || cfg.store != "" {
		return fmt.Errorf("-accounts runs two benches on fresh temp stores: drop -data and -store")
	}
	var without, with float64
	cfg.throughput = &without
	fmt.Fprintln(out, "== without accounts")
	if err := runBench(cfg, out); err != nil {
		return err
	}
	cfg.accounts, cfg.throughput = n, &with
	fmt.Fprintf(out, "== with %d accounts\n", n)
	if err := runBench(cfg, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "accounts       %.0f events/s with %d accounts vs %.0f without: %+.1f%%\n",
		with, n, without, (with-without)/without*100)
	return nil
}

// benchAccountSettings makes fit a max dimension of accounts (engagement
// stays a sum), so the bench with accounts also keeps the max multiset.
// Without accounts it costs nothing: no contact has an account.
func benchAccountSettings(ctx context.Context, st store.Store) error {
	s, err := st.GetSettings(ctx)
	if err != nil {
		return err
	}
	s.AccountScores = map[string]string{"engagement": model.AccountSum, "fit": model.AccountMax}
	if errs := s.Validate(); len(errs) > 0 {
		return fmt.Errorf("bench settings: %v", errs)
	}
	return st.PutSettings(ctx, s)
}

// reportAccounts prints how many accounts the bench filled and their
// members, read back from the store: the aggregates were really kept.
func reportAccounts(ctx context.Context, st store.Store, out io.Writer) error {
	var accounts, members, score int64
	cursor := ""
	for {
		page, next, err := st.ListAccounts(ctx, store.AccountQuery{Limit: 1000, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, a := range page {
			accounts++
			members += a.Contacts
			score += a.Score
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	fmt.Fprintf(out, "accounts kept  %d accounts, %d members, total score %d\n", accounts, members, score)
	return nil
}
