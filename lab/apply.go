package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// JobView is an apply job as GET /api/v1/jobs lists it beside the
// scheduled jobs.
type JobView struct {
	ID       string  `json:"id"`
	Run      string  `json:"run"`
	State    string  `json:"state"`
	Progress float64 `json:"progress"`
	Done     int64   `json:"done"`
	Total    int64   `json:"total"`
	Changed  int64   `json:"changed"`
	Error    string  `json:"error,omitempty"`
}

// Apply makes a finished run's draft live and starts rescoring every
// contact under it; it returns the job's id. The job is stored before
// anything changes, so a crash at any point resumes it (Resume).
func (m *Manager) Apply(ctx context.Context, runID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[runID]
	switch {
	case !ok:
		return "", model.NotFound("lab run", runID)
	case r.state != StateDone:
		return "", model.Invalid("run_not_done", fmt.Sprintf("lab run %s is %s: only a done run can be applied", runID, r.state))
	case r.job != "":
		// A second apply would write the same flows again as new versions.
		return "", fmt.Errorf("lab run %s was applied already, as job %s: %w", runID, r.job, model.ErrConflict)
	}
	draft, err := json.Marshal(r.resolved)
	if err != nil {
		return "", fmt.Errorf("encode draft: %w", err)
	}
	now := m.now().UTC()
	job := store.LabJob{ID: m.newID(), RunID: runID, State: store.LabJobApplying, Draft: draft, Actor: store.ActorOf(ctx), Created: now, Updated: now}
	if err := m.st.CreateLabJob(ctx, job); err != nil {
		return "", err
	}
	r.job = job.ID
	m.startJob(job)
	return job.ID, nil
}

// Resume restarts the apply jobs a previous process left unfinished.
func (m *Manager) Resume(ctx context.Context) error {
	jobs, err := m.st.LabJobs(ctx)
	if err != nil {
		return err
	}
	for i := len(jobs) - 1; i >= 0; i-- { // oldest first
		if j := jobs[i]; j.State == store.LabJobApplying || j.State == store.LabJobRescoring {
			m.log.Info("lab apply job resumed", "job", j.ID, "state", j.State, "cursor", j.Cursor)
			m.startJob(j)
		}
	}
	return nil
}

func (m *Manager) startJob(job store.LabJob) {
	m.jobsMu.Lock()
	if m.active[job.ID] {
		m.jobsMu.Unlock()
		return
	}
	m.active[job.ID] = true
	m.jobsMu.Unlock()
	m.jobs.Add(1)
	go func() {
		defer m.jobs.Done()
		defer func() {
			m.jobsMu.Lock()
			delete(m.active, job.ID)
			m.jobsMu.Unlock()
		}()
		// One apply at a time: two drafts rescoring at once would race.
		m.replaying.Lock()
		defer m.replaying.Unlock()
		if err := m.runJob(m.ctx, job); err != nil && m.ctx.Err() == nil {
			m.log.Error("lab apply job failed", "job", job.ID, "err", err)
		}
	}()
}

func (m *Manager) runJob(ctx context.Context, job store.LabJob) error {
	fail := func(err error) error {
		job.State, job.Error, job.Updated = store.LabJobFailed, err.Error(), m.now().UTC()
		if perr := m.st.PutLabJob(context.WithoutCancel(ctx), job); perr != nil {
			return errors.Join(err, perr)
		}
		return err
	}
	if job.State == store.LabJobApplying {
		var res Resolved
		if err := json.Unmarshal(job.Draft, &res); err != nil {
			return fail(fmt.Errorf("decode draft: %w", err))
		}
		// The flow and settings writes are audited under the key that applied.
		if err := m.makeLive(store.WithActor(ctx, job.Actor), &res); err != nil {
			return fail(err)
		}
		m.eng.Reload()
		total, err := m.st.CountContacts(ctx)
		if err != nil {
			return fail(err)
		}
		job.State, job.Total, job.Updated = store.LabJobRescoring, total, m.now().UTC()
		if err := m.st.PutLabJob(ctx, job); err != nil {
			return fail(err)
		}
	}
	done, err := m.eng.Rescore(ctx, job, nil)
	if err != nil {
		if ctx.Err() != nil {
			return err // shutting down: the job resumes at its cursor on the next start
		}
		return fail(err)
	}
	done.State, done.Updated = store.LabJobDone, m.now().UTC()
	if done.Total < done.Done {
		done.Total = done.Done
	}
	return m.st.PutLabJob(ctx, done)
}

// makeLive writes a draft through the store's ordinary methods, so every
// change gets its version. It can run twice (a crash before the job moved
// on): an added flow that exists is updated, a removed one that is gone is
// skipped.
func (m *Manager) makeLive(ctx context.Context, res *Resolved) error {
	if res.Settings != nil {
		if err := m.st.PutSettings(ctx, *res.Settings); err != nil {
			return fmt.Errorf("apply settings: %w", err)
		}
	}
	for _, rec := range res.Add {
		cur, err := m.st.GetFlow(ctx, rec.ID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			_, err = m.st.CreateFlow(ctx, rec)
		case err == nil:
			_, err = m.st.UpdateFlow(ctx, rec, cur.Version)
		}
		if err != nil {
			return fmt.Errorf("apply flow %s: %w", rec.ID, err)
		}
	}
	for _, id := range res.Remove {
		if err := m.st.DeleteFlow(ctx, id); err != nil && !errors.Is(err, model.ErrNotFound) {
			return fmt.Errorf("remove flow %s: %w", id, err)
		}
	}
	return nil
}

// Jobs lists the apply jobs, newest first, with their progress.
func (m *Manager) Jobs(ctx context.Context) ([]JobView, error) {
	jobs, err := m.st.LabJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]JobView, 0, len(jobs))
	for _, j := range jobs {
		v := JobView{ID: j.ID, Run: j.RunID, State: j.State, Done: j.Done, Total: j.Total, Changed: j.Changed, Error: j.Error}
		switch {
		case j.State == store.LabJobDone:
			v.Progress = 1
		case j.Total > 0:
			v.Progress = min(float64(j.Done)/float64(j.Total), 0.99)
		}
		out = append(out, v)
	}
	return out, nil
}
