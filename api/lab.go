package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/lab"
)

// The model lab (CONTRACT §8): replay runs, suggest, apply. The lab's
// manager does the work; these handlers translate.

func (s *Server) registerLab(v1 fiber.Router) {
	if s.cfg.Lab == nil {
		return
	}
	v1.Get("/lab/runs", s.auth(admin), s.listLabRuns)
	v1.Post("/lab/runs", s.auth(admin), s.startLabRun)
	v1.Get("/lab/runs/:id", s.auth(admin), s.getLabRun)
	v1.Delete("/lab/runs/:id", s.auth(admin), s.cancelLabRun)
	v1.Post("/lab/runs/:id/apply", s.auth(admin), s.applyLabRun)
	v1.Post("/lab/suggest", s.auth(admin), s.labSuggest)
}

func (s *Server) startLabRun(c *fiber.Ctx) error {
	var req lab.RunRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return badJSON("invalid_lab_run", err)
	}
	id, err := s.cfg.Lab.Start(c.UserContext(), req)
	if err != nil {
		return err
	}
	c.Location("/api/v1/lab/runs/" + id)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": id})
}

func (s *Server) listLabRuns(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"runs": s.cfg.Lab.List()})
}

func (s *Server) getLabRun(c *fiber.Ctx) error {
	v, err := s.cfg.Lab.Get(pathParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) cancelLabRun(c *fiber.Ctx) error {
	v, err := s.cfg.Lab.Cancel(pathParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) applyLabRun(c *fiber.Ctx) error {
	job, err := s.cfg.Lab.Apply(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	s.reload()
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"job": job})
}

func (s *Server) labSuggest(c *fiber.Ctx) error {
	var req lab.SuggestRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return badJSON("invalid_suggest", err)
	}
	out, err := s.cfg.Lab.Suggest(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// labJobs lists the lab's apply jobs for GET /api/v1/jobs.
func (s *Server) labJobs(c *fiber.Ctx) ([]lab.JobView, error) {
	if s.cfg.Lab == nil {
		return nil, nil
	}
	return s.cfg.Lab.Jobs(c.UserContext())
}
