package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// contactBody is a contact as the API answers it: with the ids merged
// into it (CONTRACT §9).
type contactBody struct {
	*model.Contact
	MergedFrom []string `json:"merged_from,omitempty"`
}

// survivor resolves a contact id through merges (an old id names its
// survivor forever) and reads the contact; a missing one is a 404.
func (s *Server) survivor(ctx context.Context, id string) (*model.Contact, error) {
	into, err := s.cfg.Store.ResolveContact(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.cfg.Store.GetContact(ctx, into)
}

// contactAnswer is the body of GET /api/v1/contacts/{id}.
func (s *Server) contactAnswer(ctx context.Context, id string) (*contactBody, error) {
	contact, err := s.survivor(ctx, id)
	if err != nil {
		return nil, err
	}
	from, err := s.cfg.Store.MergedFrom(ctx, contact.ID)
	if err != nil {
		return nil, err
	}
	return &contactBody{Contact: contact, MergedFrom: from}, nil
}

// maxMergeSources bounds one merge call.
const maxMergeSources = 100

// mergeContacts merges other contacts into one: POST
// /api/v1/contacts/{id}/merge {"from": [...]}. The merge travels the
// stream as a "merged" event for the survivor, so it is ordered with the
// survivor's events and applied exactly once; everything is checked
// first, and a bad request changes nothing.
func (s *Server) mergeContacts(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := pathParam(c, "id")
	var in struct {
		From []string `json:"from"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return model.Invalid("invalid_merge", `the body must be {"from": ["contact-id", ...]}`, jsonFieldError(err))
	}
	switch {
	case len(in.From) == 0:
		return model.Invalid("invalid_merge", "name at least one contact to merge", model.FieldError{Path: "from", Message: "must list at least one contact id"})
	case len(in.From) > maxMergeSources:
		return model.Invalid("invalid_merge", fmt.Sprintf("merge at most %d contacts at once", maxMergeSources),
			model.FieldError{Path: "from", Message: fmt.Sprintf("has %d ids", len(in.From))})
	}
	for i, f := range in.From {
		if strings.TrimSpace(f) == "" {
			return model.Invalid("invalid_merge", "contact ids must not be empty", model.FieldError{Path: fmt.Sprintf("from[%d]", i), Message: "must not be empty"})
		}
		if f == id {
			return model.Invalid("invalid_merge", "a contact cannot be merged into itself", model.FieldError{Path: fmt.Sprintf("from[%d]", i), Message: "is the contact merged into"})
		}
	}
	into, err := s.survivor(ctx, id)
	if err != nil {
		return err
	}
	sources := make([]string, 0, len(in.From))
	for i, f := range in.From {
		other, err := s.survivor(ctx, f)
		if err != nil {
			return err
		}
		if other.ID == into.ID {
			return model.Invalid("invalid_merge", fmt.Sprintf("%s is already merged into %s", f, into.ID),
				model.FieldError{Path: fmt.Sprintf("from[%d]", i), Message: "resolves to the contact merged into"})
		}
		if !contains(sources, other.ID) {
			sources = append(sources, other.ID)
		}
	}
	ev := &model.Event{ID: s.cfg.NewID(), Type: model.EventMerged, ContactID: into.ID, Timestamp: s.cfg.Now().UTC(),
		Properties: map[string]any{"from": sources, "by": store.ActorOf(ctx)}}
	if err := s.cfg.Publisher.Publish(ctx, metrics.PathAPI, []*model.Event{ev}); err != nil {
		return fmt.Errorf("publish merge: %w", err)
	}
	// The engine writes the audit entry in the transaction that applies the
	// merge (properties.by names the key).
	applied, err := s.waitApplied(ctx, ev.ID)
	if err == nil && applied {
		applied, err = s.waitMerged(ctx, sources, into.ID)
	}
	if err != nil {
		return err
	}
	if !applied {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": 1, "ids": []string{ev.ID}})
	}
	body, err := s.contactAnswer(ctx, into.ID)
	if err != nil {
		return err
	}
	return c.JSON(body)
}

// waitMerged waits until each source is merged into into. In one engine
// the merged event did it all; across partitions (docs/architecture.md) it
// asked the sources' writers, and a source is merged once its id resolves
// to into and, when its merge-out step was applied, its merge-in too.
func (s *Server) waitMerged(ctx context.Context, sources []string, into string) (bool, error) {
	return s.waitFor(ctx, func() (bool, error) {
		for _, from := range sources {
			if to, err := s.cfg.Store.ResolveContact(ctx, from); err != nil || to != into {
				return false, err
			}
			out, err := s.cfg.Store.EventApplied(ctx, model.MergeOutID(from, into))
			if err != nil {
				return false, err
			}
			if !out {
				continue // merged in one transaction
			}
			if in, err := s.cfg.Store.EventApplied(ctx, model.MergeInID(from, into)); err != nil || !in {
				return false, err
			}
		}
		return true, nil
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// reservedType is the detail for an ingested event of a type only the
// merge API may send.
func reservedType(ev *model.Event) *model.FieldError {
	switch ev.Type {
	case model.EventMerged, model.EventMergeOut, model.EventMergeIn:
		return &model.FieldError{Path: "type", Message: ev.Type + " is reserved: merge contacts with POST /api/v1/contacts/{id}/merge"}
	}
	return nil
}
