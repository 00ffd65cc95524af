package model

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Well-known event types (CONTRACT §2). Any other name is a custom event.
const (
	EventPageVisited       = "page_visited"
	EventEmailOpened       = "email_opened"
	EventEmailClicked      = "email_clicked"
	EventEmailReplied      = "email_replied"
	EventEmailUnsubscribed = "email_unsubscribed"
	EventEmailBounced      = "email_bounced"
	EventFormSubmitted     = "form_submitted"
	EventIdentify          = "identify"

	// EventMerged records a merge in the survivor's timeline; carrying
	// properties.from (the ids merged), it is also the event that asks for
	// one (POST /api/v1/contacts/{id}/merge). Ingest refuses it.
	EventMerged = "merged"
)

// Internal event types: changes the engine itself makes start flows too.
// They never come from outside; Event.Internal tells them apart from a
// custom event that happens to share the name.
const (
	InternalTagAdded       = "tag_added"
	InternalTagRemoved     = "tag_removed"
	InternalFieldChanged   = "field_changed"
	InternalSegmentEntered = "segment_entered"
	InternalSegmentExited  = "segment_exited"
)

// Limits on ingested events, so one client cannot make a row huge.
const (
	MaxIDLength   = 200
	MaxTypeLength = 200
)

// Event is one thing a contact did (CONTRACT §2).
type Event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	ContactID  string         `json:"contact_id,omitempty"`
	Email      string         `json:"email,omitempty"`
	Timestamp  time.Time      `json:"timestamp"`
	Properties map[string]any `json:"properties,omitempty"`
	Traits     map[string]any `json:"traits,omitempty"`
	AccountID  string         `json:"account_id,omitempty"`

	// AnonymousID names the anonymous visitor the event's contact was
	// before (CONTRACT §9): a different contact of that id merges into it.
	AnonymousID string `json:"anonymous_id,omitempty"`

	// Internal marks an event the engine raised (tag_added, field_changed…).
	Internal bool `json:"-"`
	// Depth is how many internal hops led to this event (0 for ingested ones).
	Depth int `json:"-"`

	// RawProperties and RawTraits keep the JSON the event arrived with, so
	// storing it needs no re-encoding. Empty = encode the maps.
	RawProperties json.RawMessage `json:"-"`
	RawTraits     json.RawMessage `json:"-"`

	page *pageForms
}

// pageForms caches the forms of properties.url that page triggers compare
// with: every page_visited trigger of every flow reads them for one event.
type pageForms struct {
	lowerURL, lowerPath string
	ok                  bool
}

// Page returns properties.url and its path, both lower-cased (a URL without
// a path has path "/", an unparsable one ""); ok is false without a url.
// The result is computed once per event; an Event is not shared between
// goroutines while the engine applies it.
func (e *Event) Page() (lowerURL, lowerPath string, ok bool) {
	if e.page == nil {
		e.page = &pageForms{}
		if raw := e.PropertyString("url"); raw != "" {
			e.page.lowerURL, e.page.ok = strings.ToLower(raw), true
			if u, err := url.Parse(raw); err == nil {
				p := u.Path
				if p == "" {
					p = "/"
				}
				e.page.lowerPath = strings.ToLower(p)
			}
		}
	}
	return e.page.lowerURL, e.page.lowerPath, e.page.ok
}

// Validate checks an ingested event and returns one detail per problem; paths
// are relative to the event.
func (e *Event) Validate() []FieldError {
	var errs []FieldError
	add := func(path, msg string) { errs = append(errs, FieldError{Path: path, Message: msg}) }
	if len(e.ID) > MaxIDLength {
		add("id", fmt.Sprintf("must be at most %d characters", MaxIDLength))
	}
	if !utf8.ValidString(e.ID) {
		add("id", "must be valid UTF-8")
	}
	switch {
	case strings.TrimSpace(e.Type) == "":
		add("type", "is required")
	case len(e.Type) > MaxTypeLength:
		add("type", fmt.Sprintf("must be at most %d characters", MaxTypeLength))
	}
	if e.ContactID == "" && e.Email == "" && e.AnonymousID == "" {
		add("contact_id", "contact_id, email or anonymous_id is required")
	}
	if len(e.ContactID) > MaxIDLength {
		add("contact_id", fmt.Sprintf("must be at most %d characters", MaxIDLength))
	}
	if len(e.AnonymousID) > MaxIDLength || !utf8.ValidString(e.AnonymousID) {
		add("anonymous_id", fmt.Sprintf("must be valid UTF-8 of at most %d characters", MaxIDLength))
	}
	if e.Email != "" && !strings.Contains(e.Email, "@") {
		add("email", "must be an email address")
	}
	switch e.Type {
	case EventPageVisited:
		if s, _ := e.Properties["url"].(string); s == "" {
			add("properties.url", "is required for page_visited and must be a string")
		}
	case EventEmailOpened, EventEmailClicked, EventEmailReplied, EventEmailUnsubscribed, EventEmailBounced:
		if v, ok := e.Properties["email"]; ok && v != nil {
			if _, isStr := v.(string); !isStr {
				add("properties.email", "must be a string")
			}
		}
		if v, ok := e.Properties["link"]; ok && v != nil {
			if _, isStr := v.(string); !isStr {
				add("properties.link", "must be a string")
			}
		}
	case EventFormSubmitted:
		if v, ok := e.Properties["form"]; ok && v != nil {
			if _, isStr := v.(string); !isStr {
				add("properties.form", "must be a string")
			}
		}
	}
	for k := range e.Traits {
		if k == "" {
			add("traits", "trait names must not be empty")
			break
		}
	}
	errs = append(errs, e.validateAccount()...)
	return errs
}

// PropertyString returns a string property, or "" when absent or not a string.
func (e *Event) PropertyString(name string) string {
	s, _ := e.Properties[name].(string)
	return s
}
