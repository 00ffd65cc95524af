package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"syscall"
	"time"

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
	var sums, cpus [2]float64
	for i, with := range []bool{false, true, true, false} {
		var got, cpu float64
		run := cfg
		run.throughput, run.cpuPerEvent = &got, &cpu
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
		side := 0
		if with {
			side = 1
		}
		sums[side] += got
		cpus[side] += cpu
	}
	without, with := sums[0]/2, sums[1]/2
	fmt.Fprintf(out, "accounts       %.0f events/s with %d accounts vs %.0f without (means of 2 runs each, ABBA): %+.1f%%\n",
		with, n, without, (with-without)/without*100)
	// CPU per event hardly depends on what else the machine runs, unlike
	// events/s on a shared machine.
	fmt.Fprintf(out, "accounts cpu   %.1f µs per event with %d accounts vs %.1f without: %+.1f%%\n",
		cpus[1]/2, n, cpus[0]/2, (cpus[1]-cpus[0])/cpus[0]*100)
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

// processCPU is the process's user and system time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
