package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// benchAccounts runs the bench four times in one process, on fresh stores,
// in the order without, with, with, without accounts (the contacts spread
// over n accounts, each identify naming one), so a drift of the machine's
// load during the runs weighs on both sides alike, and reports the two
// sides' mean throughputs.
func benchAccounts(cfg benchConfig, n int, out io.Writer) error {
	if cfg.dir != "" || cfg.store != "" {
		return fmt.Errorf("-accounts runs its benches on fresh temp stores: drop -data and -store")
	}
	var sums [2]float64
	for i, with := range []bool{false, true, true, false} {
		var got float64
		run := cfg
		run.throughput = &got
		if with {
			run.accounts = n
			fmt.Fprintf(out, "== run %d: with %d accounts\n", i+1, n)
		} else {
			fmt.Fprintf(out, "== run %d: without accounts\n", i+1)
		}
		runtime.GC()
		if err := runBench(run, out); err != nil {
			return err
		}
		if with {
			sums[1] += got
		} else {
			sums[0] += got
		}
	}
	without, with := sums[0]/2, sums[1]/2
	fmt.Fprintf(out, "accounts       %.0f events/s with %d accounts vs %.0f without (means of 2 runs each, ABBA): %+.1f%%\n",
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
