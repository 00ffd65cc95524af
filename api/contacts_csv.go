package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// importPath is the CSV import's route, the one body not bounded by a limit.
const importPath = "/api/v1/contacts/import"

// importBatch is how many rows go to the stream in one publish.
const importBatch = 500

// importContacts is POST /api/v1/contacts/import: a CSV with a header
// row, read as a stream (its size is not bounded by the body limit, and it
// is never held whole), published as identify events in batches through
// the same road as POST /api/v1/events. Query parameters id, email and
// account_id name the columns that are those fields when they are called
// otherwise; skip (repeated) names columns to leave out.
func (s *Server) importContacts(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var body io.Reader
	if c.Request().IsBodyStream() {
		body = c.Request().BodyStream()
	} else {
		body = bytes.NewReader(c.Body())
	}
	m := columnMapping{ID: c.Query("id"), Email: c.Query("email"), AccountID: c.Query("account_id"),
		Key: c.Get("Idempotency-Key")}
	for _, v := range c.Context().QueryArgs().PeekMulti("skip") {
		m.Skip = append(m.Skip, string(v))
	}
	p, err := newImportParser(body, m, s.cfg.Now().UTC())
	if err != nil {
		return err
	}
	report := importReport{Errors: []importError{}}
	batch := make([]*model.Event, 0, importBatch)
	publish := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.cfg.Publisher.Publish(ctx, metrics.PathAPI, batch); err != nil {
			return fmt.Errorf("publish %d imported rows: %w", len(batch), err)
		}
		s.cfg.Metrics.Ingested(metrics.PathAPI, len(batch))
		report.Accepted += len(batch)
		batch = batch[:0]
		return nil
	}
	for {
		ev, row, bad, err := p.next()
		if errors.Is(err, io.EOF) {
			c.Locals(localBodyRead, true)
			break
		}
		if err != nil {
			// The stream itself broke: what was published stays published
			// (a retry with the same file applies it once, by its ids).
			return model.Invalid("invalid_import", fmt.Sprintf("the upload broke off after row %d; send the file again", report.Rows),
				model.FieldError{Message: err.Error()})
		}
		report.Rows = row
		if bad != "" {
			report.fail(row, bad)
			continue
		}
		batch = append(batch, ev)
		if len(batch) == importBatch {
			if err := publish(); err != nil {
				return err
			}
		}
	}
	if err := publish(); err != nil {
		return err
	}
	if report.Accepted > 0 {
		target := fmt.Sprintf("%d of %d rows", report.Accepted, report.Rows)
		if err := s.cfg.Store.RecordAudit(ctx, model.AuditEntry{Action: model.AuditContactImport, Target: target}); err != nil {
			return err
		}
	}
	return c.JSON(report)
}

// exportPage is how many contacts one read of an export takes.
const exportPage = 500

// exportContacts is GET /api/v1/contacts/export?segment=&grade=&tag=: the
// contacts as CSV (id, email, score, each dimension, grade, deal_stage,
// tags, then attributes), streamed page by page. A first pass over the
// pages collects the dimension and attribute names for the header, so
// memory holds names and one page, never the whole list.
func (s *Server) exportContacts(c *fiber.Ctx) error {
	q := store.ContactQuery{Grade: c.Query("grade"), Tag: c.Query("tag"), Segment: c.Query("segment"), Limit: exportPage}
	settings, err := s.cfg.Store.GetSettings(c.UserContext())
	if err != nil {
		return err
	}
	dims := map[string]bool{}
	attrs := map[string]bool{}
	for _, d := range settings.Scores {
		dims[d.Name] = true
	}
	ctx := context.WithoutCancel(c.UserContext())
	if err := eachContact(ctx, s.cfg.Store, q, func(ct *model.Contact) error {
		for d := range ct.Scores {
			dims[d] = true
		}
		for a := range ct.Attributes {
			attrs[a] = true
		}
		return nil
	}); err != nil {
		return err
	}
	dimNames, attrNames := sortedSet(dims), sortedSet(attrs)
	header := append([]string{"id", "email", "score"}, dimNames...)
	header = append(header, "grade", "deal_stage", "tags")
	header = append(header, attrNames...)

	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="contacts.csv"`)
	st, log := s.cfg.Store, s.log
	// The writer runs after the handler returns, so it uses nothing of c.
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		w := csv.NewWriter(bw)
		_ = w.Write(header)
		row := make([]string, len(header))
		err := eachContact(ctx, st, q, func(ct *model.Contact) error {
			row = row[:0]
			row = append(row, ct.ID, ct.Email, strconv.FormatInt(ct.Score, 10))
			for _, d := range dimNames {
				row = append(row, strconv.FormatInt(ct.Scores[d], 10))
			}
			row = append(row, ct.Grade, ct.DealStage, strings.Join(ct.Tags, ";"))
			for _, a := range attrNames {
				row = append(row, cellText(ct.Attributes[a]))
			}
			if err := w.Write(row); err != nil {
				return err
			}
			w.Flush()
			return w.Error()
		})
		w.Flush()
		if err != nil {
			log.Warn("contact export stopped", "err", err)
		}
	})
	return nil
}

// eachContact calls fn with every contact a query matches, page by page.
func eachContact(ctx context.Context, st store.Store, q store.ContactQuery, fn func(*model.Contact) error) error {
	for {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		page, next, err := st.ListContacts(ctx, q)
		cancel()
		if err != nil {
			return err
		}
		for _, ct := range page {
			if err := fn(ct); err != nil {
				return err
			}
		}
		if next == "" || len(page) == 0 {
			return nil
		}
		q.Cursor = next
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// cellText writes an attribute as a cell: text as itself, other values
// as JSON (numbers, booleans, objects), nothing for none.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
