package api

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// env is what flow validation checks beyond the document: the pipeline.
func (s *Server) env(c *fiber.Ctx) (flows.Env, error) {
	st, err := s.cfg.Store.GetSettings(c.UserContext())
	if err != nil {
		return flows.Env{}, err
	}
	return flows.Env{Stages: st.Pipeline, Registry: s.cfg.Registry}, nil
}

// record turns a validated flow into what the store keeps: the document
// without the fields the store owns (version, times).
func record(f *flows.Flow) (store.FlowRecord, error) {
	doc := *f
	doc.Version, doc.CreatedAt, doc.UpdatedAt = 0, nil, nil
	b, err := json.Marshal(doc)
	if err != nil {
		return store.FlowRecord{}, err
	}
	return store.FlowRecord{ID: f.ID, Name: f.Name, Enabled: f.Enabled, Doc: b}, nil
}

// flowJSON is a stored flow as the API shows it.
func flowJSON(rec store.FlowRecord) (*flows.Flow, error) {
	f, err := flows.Parse(rec.Doc)
	if err != nil {
		return nil, err
	}
	f.ID, f.Version = rec.ID, rec.Version
	if rec.Name != "" {
		f.Name, f.Enabled = rec.Name, rec.Enabled
	}
	created, updated := rec.CreatedAt, rec.UpdatedAt
	f.CreatedAt, f.UpdatedAt = &created, &updated
	return f, nil
}

func (s *Server) createFlow(c *fiber.Ctx) error {
	f, err := flows.Parse(c.Body())
	if err != nil {
		return err
	}
	if f.ID == "" {
		f.ID = s.cfg.NewID()
	}
	env, err := s.env(c)
	if err != nil {
		return err
	}
	if _, err := flows.Compile(f, env); err != nil {
		return err
	}
	rec, err := record(f)
	if err != nil {
		return err
	}
	saved, err := s.cfg.Store.CreateFlow(c.UserContext(), rec)
	if err != nil {
		return err
	}
	s.reload()
	out, err := flowJSON(saved)
	if err != nil {
		return err
	}
	c.Location("/api/v1/flows/" + saved.ID)
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) updateFlow(c *fiber.Ctx) error {
	f, err := flows.Parse(c.Body())
	if err != nil {
		return err
	}
	id := pathParam(c, "id")
	if f.ID != "" && f.ID != id {
		return model.Invalid("invalid_flow", "the flow id in the body differs from the one in the URL",
			model.FieldError{Path: "id", Message: "must be " + strconv.Quote(id) + " or left out"})
	}
	// The URL names the flow, so the body may leave its id out: set it
	// before validating, which requires one.
	f.ID = id
	env, err := s.env(c)
	if err != nil {
		return err
	}
	if _, err := flows.Compile(f, env); err != nil {
		return err
	}
	expect := f.Version
	rec, err := record(f)
	if err != nil {
		return err
	}
	saved, err := s.cfg.Store.UpdateFlow(c.UserContext(), rec, expect)
	if err != nil {
		return err
	}
	s.reload()
	out, err := flowJSON(saved)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) reload() {
	if s.cfg.Engine != nil {
		s.cfg.Engine.Reload()
	}
}

func (s *Server) validateFlow(c *fiber.Ctx) error {
	f, err := flows.Parse(c.Body())
	if err != nil {
		inv := err.(*model.InvalidError)
		return c.JSON(fiber.Map{"valid": false, "errors": inv.Details})
	}
	if f.ID == "" {
		f.ID = "draft"
	}
	env, err := s.env(c)
	if err != nil {
		return err
	}
	errs := flows.Validate(f, env)
	if errs == nil {
		errs = []model.FieldError{}
	}
	return c.JSON(fiber.Map{"valid": len(errs) == 0, "errors": errs})
}

func (s *Server) getFlow(c *fiber.Ctx) error {
	rec, err := s.cfg.Store.GetFlow(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	out, err := flowJSON(rec)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) deleteFlow(c *fiber.Ctx) error {
	if err := s.cfg.Store.DeleteFlow(c.UserContext(), pathParam(c, "id")); err != nil {
		return err
	}
	s.reload()
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) flowVersions(c *fiber.Ctx) error {
	recs, err := s.cfg.Store.FlowVersions(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	type version struct {
		Version   int         `json:"version"`
		CreatedAt time.Time   `json:"created_at"`
		Flow      *flows.Flow `json:"flow"`
	}
	out := make([]version, 0, len(recs))
	for _, rec := range recs {
		f, err := flowJSON(rec)
		if err != nil {
			return err
		}
		f.CreatedAt, f.UpdatedAt = nil, nil
		out = append(out, version{Version: rec.Version, CreatedAt: rec.CreatedAt, Flow: f})
	}
	return c.JSON(fiber.Map{"versions": out})
}

// flowStats returns per-node run counters over a window (default 24h).
func (s *Server) flowStats(c *fiber.Ctx) error {
	window := 24 * time.Hour
	if w := c.Query("window"); w != "" {
		d, err := model.ParseDuration(w)
		if err != nil {
			return model.Invalid("invalid_query", "window must be a duration such as 1h or 7d", model.FieldError{Path: "window", Message: err.Error()})
		}
		window = time.Duration(d)
	}
	id := pathParam(c, "id")
	if _, err := s.cfg.Store.GetFlow(c.UserContext(), id); err != nil {
		return err
	}
	since := s.cfg.Now().Add(-window)
	stats, err := s.cfg.Store.FlowStats(c.UserContext(), id, since)
	if err != nil {
		return err
	}
	nodes := map[string]fiber.Map{}
	for _, n := range stats {
		nodes[n.NodeID] = fiber.Map{"entered": n.Entered, "completed": n.Completed, "failed": n.Failed}
	}
	return c.JSON(fiber.Map{"flow": id, "since": since.UTC(), "nodes": nodes})
}

func (s *Server) nodeTypes(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"node_types": s.cfg.Registry.Specs()})
}
