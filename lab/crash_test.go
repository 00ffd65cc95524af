package lab_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
)

// TestLabCrashChild is the process TestApplyKilledMidRescore kills.
func TestLabCrashChild(t *testing.T) {
	dir := os.Getenv("SCOREFLOW_LABCRASH_DIR")
	if dir == "" {
		t.Skip("run by TestApplyKilledMidRescore only")
	}
	if _, err := app.Start(context.Background(), app.Config{DataDir: dir, Store: os.Getenv("SCOREFLOW_LABCRASH_STORE"),
		HTTPAddr: os.Getenv("SCOREFLOW_LABCRASH_HTTP"), Schedules: apptest.Off, Logger: apptest.Logger(t)}); err != nil {
		fmt.Fprintln(os.Stderr, "child start:", err)
		os.Exit(3)
	}
	select {} // until SIGKILL
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func httpJSON(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestApplyKilledMidRescore applies a draft in a process that is killed
// with SIGKILL half-way through the rescore, restarts on the same data and
// checks the job resumed at its cursor: it finishes, every contact is at
// its score under the new model, and nobody has two rescore rows. Events
// sent while the resumed job runs are applied exactly once.
func TestApplyKilledMidRescore(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("spawns a process")
		}
		ctx := context.Background()
		dir := t.TempDir()
		const contacts = 12000
		setup := apptest.Start(t, app.Config{DataDir: dir, Schedules: apptest.Off})
		r := apptest.Do(t, setup, http.MethodPost, "/api/v1/flows", pagesFlow)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		at := day0
		var events []*model.Event
		want := map[string]int64{}
		for c := 0; c < contacts; c++ {
			id := fmt.Sprintf("k%05d", c)
			at = at.Add(time.Second)
			events = append(events, &model.Event{ID: "p" + id, Type: "page_visited", ContactID: id, Timestamp: at, Properties: map[string]any{"url": "/pricing"}})
			want[id] = 2
			if c%2 == 0 {
				events = append(events, &model.Event{ID: "b" + id, Type: "Booked call", ContactID: id, Timestamp: at.Add(time.Millisecond)})
				want[id] += 30
			}
		}
		for i := 0; i < len(events); i += 1000 {
			apptest.Publish(t, setup, events[i:min(i+1000, len(events))]...)
		}
		apptest.WaitApplied(t, setup, uint64(len(events)))
		require.NoError(t, setup.Shutdown(ctx))

		addr := freeAddr(t)
		storeURL := apptest.StoreFor(t, dir)
		cmd := exec.Command(os.Args[0], "-test.run=^TestLabCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), "SCOREFLOW_LABCRASH_DIR="+dir, "SCOREFLOW_LABCRASH_STORE="+storeURL, "SCOREFLOW_LABCRASH_HTTP="+addr)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		killed := false
		t.Cleanup(func() {
			if !killed {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		base := "http://" + addr + "/api/v1"
		apptest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
			if code, body := httpJSON(t, http.MethodGet, base+"/lab/runs", ""); code != http.StatusOK {
				return fmt.Errorf("child not up: %d %s", code, body)
			}
			return nil
		})
		code, body := httpJSON(t, http.MethodPost, base+"/lab/runs",
			`{"model": {"base": "live", "add": [`+bookedFlow+`]}, "outcome": {"event": "Deal won"}}`)
		require.Equal(t, http.StatusAccepted, code, body)
		runID := strings.Split(body, `"`)[3]
		apptest.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
			if _, body := httpJSON(t, http.MethodGet, base+"/lab/runs/"+runID, ""); !strings.Contains(body, `"state":"done"`) {
				return fmt.Errorf("run: %.200s", body)
			}
			return nil
		})

		target, err := stores.Resolve(storeURL, dir)
		require.NoError(t, err)
		watch, err := stores.Open(ctx, target)
		require.NoError(t, err)
		defer watch.Close()
		code, body = httpJSON(t, http.MethodPost, base+"/lab/runs/"+runID+"/apply", "")
		require.Equal(t, http.StatusAccepted, code, body)
		var atKill store.LabJob
		apptest.CheckFor(t, 60*time.Second, time.Millisecond, func() error {
			jobs, err := watch.LabJobs(ctx)
			if err != nil || len(jobs) == 0 {
				return fmt.Errorf("no job yet: %v", err)
			}
			if atKill = jobs[0]; atKill.Done == 0 {
				return fmt.Errorf("job %s at %d", atKill.State, atKill.Done)
			}
			return nil
		})
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		killed = true
		require.Less(t, atKill.Done, int64(contacts), "the rescore finished before the kill; the test proves nothing")
		t.Logf("killed after %d of %d contacts were rescored", atKill.Done, contacts)

		b := apptest.Start(t, app.Config{DataDir: dir, Schedules: apptest.Off})
		// Events keep coming while the job resumes: each counts once.
		var late []*model.Event
		for c := 0; c < contacts; c += 97 {
			id := fmt.Sprintf("k%05d", c)
			late = append(late, &model.Event{ID: "late" + id, Type: "Booked call", ContactID: id, Timestamp: time.Now().UTC()})
			want[id] += 30
		}
		apptest.Publish(t, b, late...)
		apptest.CheckFor(t, 120*time.Second, 20*time.Millisecond, func() error {
			jobs, err := b.Lab.Jobs(ctx)
			if err != nil || len(jobs) == 0 || jobs[0].State != store.LabJobDone {
				return fmt.Errorf("job not done: %+v %v", jobs, err)
			}
			return nil
		})
		apptest.WaitIdle(t, b)
		jobs, err := b.Lab.Jobs(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(contacts), jobs[0].Done, "every contact rescored once, counting the chunks before the kill")
		assert.Equal(t, int64(contacts/2), jobs[0].Changed, "the contacts that booked a call changed")
		for id, w := range want {
			c := apptest.Contact(t, b, id)
			require.Equal(t, w, c.Score, "contact %s", id)
			h, err := b.Store.History(ctx, id, 1000)
			require.NoError(t, err)
			n := 0
			for _, e := range h {
				if e.Reason == "rescore" {
					n++
				}
			}
			require.LessOrEqual(t, n, 1, "contact %s rescored twice", id)
			apptest.CheckLedger(t, b, id)
		}
	})
}
