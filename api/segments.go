package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
)

// Segmenter is what segment endpoints need of the engine: back-filling a
// new or changed segment's membership through the engine's writer.
type Segmenter interface {
	BackfillSegment(ctx context.Context, id string, fire bool) (segments.Backfill, error)
}

// ownerChecker is a Segmenter that can tell, before a segment is saved,
// that its back-fill cannot reach every partition's owner now (a cluster
// between owners): the save is refused then, rather than half done.
type ownerChecker interface {
	CheckOwners(ctx context.Context) error
}

// canBackfill is nil when a back-fill can reach every owner.
func (s *Server) canBackfill(ctx context.Context) error {
	if oc, ok := s.cfg.Segmenter.(ownerChecker); ok {
		return oc.CheckOwners(ctx)
	}
	return nil
}

// checkSegment compiles seg and checks it against every other stored
// segment: references must exist and must not loop.
func (s *Server) checkSegment(ctx context.Context, seg model.Segment) error {
	compiled, errs := segments.Compile(seg)
	if len(errs) > 0 {
		return model.Invalid("invalid_segment", "the segment is invalid", errs...)
	}
	stored, err := s.cfg.Store.ListSegments(ctx)
	if err != nil {
		return err
	}
	list := []*segments.Segment{compiled}
	for _, other := range stored {
		if other.ID == seg.ID {
			continue
		}
		c, errs := segments.Compile(other)
		if len(errs) > 0 {
			return fmt.Errorf("stored segment %s no longer compiles: %v", other.ID, errs)
		}
		list = append(list, c)
	}
	if _, err := segments.NewSet(list); err != nil {
		var cyc *segments.CycleError
		if errors.As(err, &cyc) {
			return model.Invalid("invalid_segment", cyc.Error(), model.FieldError{Path: "where", Message: cyc.Error()})
		}
		return model.Invalid("invalid_segment", err.Error(), model.FieldError{Path: "where", Message: err.Error()})
	}
	return nil
}

func (s *Server) parseSegment(c *fiber.Ctx) (model.Segment, error) {
	// The body is JSON whatever the Content-Type says (curl -d sends a form type).
	var seg model.Segment
	if err := json.Unmarshal(c.Body(), &seg); err != nil {
		return seg, badJSON("invalid_segment", err)
	}
	return seg, nil
}

// backfill fills a saved segment's membership; ?fire=true also starts the
// flows listening to segment_entered/exited for every contact that moves.
func (s *Server) backfill(c *fiber.Ctx, id string) (fiber.Map, error) {
	if s.cfg.Segmenter == nil {
		return nil, errors.New("no engine to back-fill segments")
	}
	res, err := s.cfg.Segmenter.BackfillSegment(c.UserContext(), id, c.QueryBool("fire", false))
	if err != nil {
		return nil, fmt.Errorf("back-fill segment %s: %w", id, err)
	}
	seg, err := s.cfg.Store.GetSegment(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"segment": seg, "backfill": res}, nil
}

func (s *Server) createSegment(c *fiber.Ctx) error {
	seg, err := s.parseSegment(c)
	if err != nil {
		return err
	}
	if seg.ID == "" {
		seg.ID = s.cfg.NewID()
	}
	if err := s.checkSegment(c.UserContext(), seg); err != nil {
		return err
	}
	if err := s.canBackfill(c.UserContext()); err != nil {
		return err
	}
	if _, err := s.cfg.Store.CreateSegment(c.UserContext(), seg); err != nil {
		return err
	}
	out, err := s.backfill(c, seg.ID)
	if err != nil {
		return err
	}
	c.Location("/api/v1/segments/" + seg.ID)
	return c.Status(fiber.StatusCreated).JSON(out["segment"])
}

func (s *Server) updateSegment(c *fiber.Ctx) error {
	seg, err := s.parseSegment(c)
	if err != nil {
		return err
	}
	id := pathParam(c, "id")
	if seg.ID != "" && seg.ID != id {
		return model.Invalid("invalid_segment", "the segment id in the body differs from the one in the URL",
			model.FieldError{Path: "id", Message: fmt.Sprintf("must be %q or left out", id)})
	}
	seg.ID = id
	if _, err := s.cfg.Store.GetSegment(c.UserContext(), id); err != nil {
		return err
	}
	if err := s.checkSegment(c.UserContext(), seg); err != nil {
		return err
	}
	if err := s.canBackfill(c.UserContext()); err != nil {
		return err
	}
	if _, err := s.cfg.Store.UpdateSegment(c.UserContext(), seg); err != nil {
		return err
	}
	out, err := s.backfill(c, id)
	if err != nil {
		return err
	}
	return c.JSON(out["segment"])
}

func (s *Server) deleteSegment(c *fiber.Ctx) error {
	id := pathParam(c, "id")
	stored, err := s.cfg.Store.ListSegments(c.UserContext())
	if err != nil {
		return err
	}
	for _, other := range stored {
		if other.ID == id {
			continue
		}
		if comp, errs := segments.Compile(other); len(errs) == 0 && comp.References(id) {
			return fmt.Errorf("segment %q is used by segment %q; change that one first: %w", id, other.ID, model.ErrConflict)
		}
	}
	if err := s.cfg.Store.DeleteSegment(c.UserContext(), id); err != nil {
		return err
	}
	s.reload()
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getSegment(c *fiber.Ctx) error {
	seg, err := s.cfg.Store.GetSegment(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(seg)
}

func (s *Server) listSegments(c *fiber.Ctx) error {
	list, err := s.cfg.Store.ListSegments(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"segments": list})
}

func (s *Server) segmentContacts(c *fiber.Ctx) error {
	id := pathParam(c, "id")
	if _, err := s.cfg.Store.GetSegment(c.UserContext(), id); err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	contacts, next, err := s.cfg.Store.SegmentMembers(c.UserContext(), id, limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"contacts": contacts, "next_cursor": next})
}

// JobLister names the scheduled jobs and their schedules.
type JobLister interface{ Names() map[string]string }

// listJobs shows every job with its schedule and, once it ran, its last
// run's start, duration and outcome.
func (s *Server) listJobs(c *fiber.Ctx) error {
	runs, err := s.cfg.Store.JobRuns(c.UserContext())
	if err != nil {
		return err
	}
	byName := map[string]model.JobRun{}
	for _, r := range runs {
		byName[r.Name] = r
	}
	if s.cfg.Jobs != nil {
		for name, schedule := range s.cfg.Jobs.Names() {
			r, ran := byName[name]
			if !ran {
				r = model.JobRun{Name: name, Outcome: "never run"}
			}
			r.Schedule = schedule
			byName[name] = r
		}
	}
	out := make([]model.JobRun, 0, len(byName))
	for _, r := range byName {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	labJobs, err := s.labJobs(c)
	if err != nil {
		return err
	}
	if labJobs == nil {
		return c.JSON(fiber.Map{"jobs": out})
	}
	return c.JSON(fiber.Map{"jobs": out, "lab_jobs": labJobs})
}
