package api

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// Endpoints the canvas UI reads beyond the contract's: run counts per flow,
// the dashboard, the scoring matrix, a segment's live count while it is
// edited and the choices of the config pickers.

// flowRuns is a flow's runs over a window: runs started (entries at its
// trigger nodes) and runs failed.
type flowRuns struct{ runs, failed int64 }

// runsByFlow sums the run counters of every flow since a time.
func (s *Server) runsByFlow(ctx context.Context, list []*flows.Flow, since time.Time) (map[string]flowRuns, error) {
	stats, err := s.cfg.Store.AllFlowStats(ctx, since)
	if err != nil {
		return nil, err
	}
	triggers := map[[2]string]bool{}
	for _, f := range list {
		for _, n := range f.Nodes {
			if strings.HasPrefix(n.Type, "trigger.") {
				triggers[[2]string{f.ID, n.ID}] = true
			}
		}
	}
	out := map[string]flowRuns{}
	for _, n := range stats {
		r := out[n.FlowID]
		if triggers[[2]string{n.FlowID, n.NodeID}] {
			r.runs += n.Entered
		}
		r.failed += n.Failed
		out[n.FlowID] = r
	}
	return out, nil
}

// allFlows decodes every stored flow.
func (s *Server) allFlows(ctx context.Context) ([]*flows.Flow, error) {
	recs, err := s.cfg.Store.ListFlows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*flows.Flow, 0, len(recs))
	for _, rec := range recs {
		f, err := flowJSON(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// flowListItem is a flow as GET /api/v1/flows lists it: the document plus
// its runs in the last 24 hours.
type flowListItem struct {
	*flows.Flow
	Runs24h   int64 `json:"runs_24h"`
	Failed24h int64 `json:"failed_24h"`
}

func (s *Server) listFlows(c *fiber.Ctx) error {
	list, err := s.allFlows(c.UserContext())
	if err != nil {
		return err
	}
	runs, err := s.runsByFlow(c.UserContext(), list, s.cfg.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	out := make([]flowListItem, len(list))
	for i, f := range list {
		r := runs[f.ID]
		out[i] = flowListItem{Flow: f, Runs24h: r.runs, Failed24h: r.failed}
	}
	return c.JSON(fiber.Map{"flows": out})
}

func (s *Server) scoringMatrix(c *fiber.Ctx) error {
	list, err := s.allFlows(c.UserContext())
	if err != nil {
		return err
	}
	rules := []flows.ScoringRule{}
	for _, f := range list {
		if f.Enabled || c.QueryBool("disabled", false) {
			rules = append(rules, flows.ScoringRules(f, s.cfg.Registry)...)
		}
	}
	return c.JSON(fiber.Map{"rules": rules})
}

// dashboardBuckets is how many bars the score histogram has at most.
const dashboardBuckets = 20

func (s *Server) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	st := s.cfg.Store
	now := s.cfg.Now()
	total, err := st.CountContacts(ctx)
	if err != nil {
		return err
	}
	grades, err := st.GradeCounts(ctx)
	if err != nil {
		return err
	}
	hist, err := st.ScoreHistogram(ctx, dashboardBuckets)
	if err != nil {
		return err
	}
	perMinute, err := st.EventsPerMinute(ctx, now.Add(-time.Hour).Truncate(time.Minute))
	if err != nil {
		return err
	}
	list, err := s.allFlows(ctx)
	if err != nil {
		return err
	}
	runs, err := s.runsByFlow(ctx, list, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	type busy struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Runs   int64  `json:"runs"`
		Failed int64  `json:"failed"`
	}
	busiest := []busy{}
	for _, f := range list {
		if r := runs[f.ID]; r.runs > 0 || r.failed > 0 {
			busiest = append(busiest, busy{f.ID, f.Name, r.runs, r.failed})
		}
	}
	sort.Slice(busiest, func(i, j int) bool {
		if busiest[i].Runs != busiest[j].Runs {
			return busiest[i].Runs > busiest[j].Runs
		}
		return busiest[i].ID < busiest[j].ID
	})
	busiest = busiest[:min(len(busiest), 10)]
	disq, err := st.RecentDisqualified(ctx, 10)
	if err != nil {
		return err
	}
	type disqualification struct {
		ID     string    `json:"id"`
		Email  string    `json:"email,omitempty"`
		Reason string    `json:"reason"`
		At     time.Time `json:"at"`
	}
	recent := make([]disqualification, 0, len(disq))
	for _, ct := range disq {
		if ct.Disqualified != nil {
			recent = append(recent, disqualification{ct.ID, ct.Email, ct.Disqualified.Reason, ct.Disqualified.At})
		}
	}
	return c.JSON(fiber.Map{
		"contacts":                 total,
		"grades":                   grades,
		"score_histogram":          hist,
		"events_per_minute":        perMinute,
		"busiest_flows":            busiest,
		"recent_disqualifications": recent,
	})
}

// previewSample is how many matching contacts a preview shows.
const previewSample = 10

// previewSegment counts the contacts a segment filter matches now, without
// saving anything: the live count of the segment editor.
func (s *Server) previewSegment(c *fiber.Ctx) error {
	var body struct {
		ID    string          `json:"id"`
		Where json.RawMessage `json:"where"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return badJSON("invalid_segment", err)
	}
	// The filter is checked as a segment would be (references, cycles),
	// under the edited segment's id when it has one.
	seg := model.Segment{ID: body.ID, Name: "preview", Where: body.Where}
	if seg.ID == "" {
		seg.ID = "preview"
	}
	if err := s.checkSegment(c.UserContext(), seg); err != nil {
		return err
	}
	compiled, errs := segments.Compile(seg)
	if len(errs) > 0 {
		return model.Invalid("invalid_segment", "the segment is invalid", errs...)
	}
	n, sample, err := s.cfg.Store.MatchContacts(c.UserContext(), compiled.Filter, s.cfg.Now(), previewSample)
	if errors.Is(err, store.ErrNoSQL) {
		return model.Invalid("invalid_segment", "the filter cannot be counted: "+err.Error(),
			model.FieldError{Path: "where", Message: err.Error()})
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"count": n, "sample": sample})
}

// wellKnownEvents are offered by the event-type picker even before any
// event of the type arrived.
var wellKnownEvents = []string{model.EventPageVisited, model.EventEmailOpened, model.EventEmailClicked,
	model.EventEmailReplied, model.EventEmailUnsubscribed, model.EventEmailBounced, model.EventFormSubmitted}

// catalog lists what the config pickers offer: names used by flows,
// segments and settings, what recent events and contacts carry, and the
// contact fields a filter may name.
func (s *Server) catalog(c *fiber.Ctx) error {
	ctx := c.UserContext()
	eventTypes, tags, attrs, err := s.cfg.Store.Catalog(ctx)
	if err != nil {
		return err
	}
	settings, err := s.cfg.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	list, err := s.allFlows(ctx)
	if err != nil {
		return err
	}
	segs, err := s.cfg.Store.ListSegments(ctx)
	if err != nil {
		return err
	}
	events, tagSet, fields, scores := newSet(wellKnownEvents...), newSet(tags...), newSet("deal_stage"), newSet()
	events.add(eventTypes...)
	for _, a := range attrs {
		fields.add("attributes." + a)
	}
	for _, d := range settings.Scores {
		scores.add(d.Name)
	}
	// Names the flows use count too (a tag only flows set, a custom event
	// no contact sent yet): every config field with a picker names one.
	lists := map[string]stringSet{flows.PickEventType: events, flows.PickTag: tagSet, flows.PickField: fields, flows.PickScore: scores}
	for _, f := range list {
		for _, n := range f.Nodes {
			spec, ok := s.cfg.Registry.Lookup(n.Type)
			if !ok {
				continue
			}
			for _, field := range spec.Fields {
				if set, ok := lists[field.Picker]; ok {
					v, _ := n.Config[field.Name].(string)
					set.add(v)
				}
			}
		}
	}
	type segRef struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	segList := make([]segRef, len(segs))
	for i, sg := range segs {
		segList[i] = segRef{sg.ID, sg.Name}
	}
	grades := make([]string, len(settings.Grades))
	for i, g := range settings.Grades {
		grades[i] = g.Name
	}
	accountAttrs, err := s.accountAttributeNames(ctx)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"event_types": events.sorted(), "tags": tagSet.sorted(), "fields": fields.sorted(),
		"scores": scores.sorted(), "stages": settings.Pipeline, "grades": grades, "segments": segList,
		"contact_fields": contactFieldsJSON(), "account_attributes": accountAttrs,
	})
}

type stringSet map[string]struct{}

func newSet(v ...string) stringSet {
	s := stringSet{}
	s.add(v...)
	return s
}

func (s stringSet) add(v ...string) {
	for _, x := range v {
		if x != "" {
			s[x] = struct{}{}
		}
	}
}

func (s stringSet) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
