package api

import (
	"context"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Accounts (CONTRACT §9): the list, one account, its members and its score
// over time. Accounts change only through events (account_id, group calls).

func (s *Server) listAccounts(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	ascend, err := scoreSort(c)
	if err != nil {
		return err
	}
	q := store.AccountQuery{Query: c.Query("q"), Limit: limit, Cursor: c.Query("cursor"), Ascend: ascend}
	accounts, next, err := s.cfg.Store.ListAccounts(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"accounts": accounts, "next_cursor": next})
}

func (s *Server) getAccount(c *fiber.Ctx) error {
	a, err := s.cfg.Store.GetAccount(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) accountContacts(c *fiber.Ctx) error {
	id := pathParam(c, "id")
	if _, err := s.cfg.Store.GetAccount(c.UserContext(), id); err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	contacts, next, err := s.cfg.Store.AccountContacts(c.UserContext(), id, limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"contacts": contacts, "next_cursor": next})
}

// accountPoint is the account's total score just after a member's score
// change.
type accountPoint struct {
	At    time.Time `json:"at"`
	Score int64     `json:"score"`
}

// accountHistory draws the account's total score over time from its
// current members' score changes (the newest limit of them): walking back
// from the current total, each change is undone as its dimension
// aggregates: a sum dimension by its delta, an avg one by its delta over
// the member count. A max dimension is drawn at its current value, and
// members who left take their changes with them: the chart is the current
// members' story, cheap to read (one indexed query), not an audit.
func (s *Server) accountHistory(c *fiber.Ctx) error {
	id := pathParam(c, "id")
	a, err := s.cfg.Store.GetAccount(c.UserContext(), id)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	rows, err := s.cfg.Store.AccountHistory(c.UserContext(), id, limit)
	if err != nil {
		return err
	}
	st, err := s.cfg.Store.GetSettings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"history": accountSeries(a, rows, &st)})
}

// accountSeries is accountHistory's walk back from the account's score.
func accountSeries(a *model.Account, rows []model.LedgerEntry, st *model.Settings) []accountPoint {
	points := make([]accountPoint, len(rows))
	total := float64(a.Score)
	for i := len(rows) - 1; i >= 0; i-- {
		points[i] = accountPoint{At: rows[i].At, Score: int64(math.Round(total))}
		switch st.AccountMode(rows[i].Score) {
		case model.AccountSum:
			total -= float64(rows[i].Delta)
		case model.AccountAvg:
			if a.Contacts > 0 {
				total -= float64(rows[i].Delta) / float64(a.Contacts)
			}
		}
	}
	return points
}

// accountAttributeNames are the attribute names of the top accounts by
// score, for the filter builder's account.attributes.<name> (a sample: the
// catalog's lists are suggestions, never a schema).
func (s *Server) accountAttributeNames(ctx context.Context) ([]string, error) {
	top, _, err := s.cfg.Store.ListAccounts(ctx, store.AccountQuery{Limit: 200})
	if err != nil {
		return nil, err
	}
	names := newSet()
	for _, a := range top {
		for k := range a.Attributes {
			names.add(k)
		}
	}
	return names.sorted(), nil
}

// scoreSort reads sort=-score (the default) or sort=score of a list by score.
func scoreSort(c *fiber.Ctx) (ascend bool, err error) {
	switch c.Query("sort", "-score") {
	case "-score":
		return false, nil
	case "score":
		return true, nil
	}
	return false, model.Invalid("invalid_query", "sort must be -score or score", model.FieldError{Path: "sort", Message: "must be -score or score"})
}
