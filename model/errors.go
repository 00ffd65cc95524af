// Package model holds the shapes every layer shares: events, contacts, settings,
// durations and the typed errors the API maps to HTTP statuses.
package model

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError names one bad input field: Path is a JSON path such as
// "nodes[2].config.points".
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// InvalidError is bad input: it maps to a 400 with one detail per field.
type InvalidError struct {
	Code    string
	Message string
	Details []FieldError
}

func (e *InvalidError) Error() string {
	if len(e.Details) == 0 {
		return e.Message
	}
	parts := make([]string, 0, len(e.Details))
	for _, d := range e.Details {
		parts = append(parts, d.Path+": "+d.Message)
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Invalid builds an InvalidError.
func Invalid(code, message string, details ...FieldError) *InvalidError {
	return &InvalidError{Code: code, Message: message, Details: details}
}

var (
	// ErrNotFound maps to 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict maps to 409 (a stale version).
	ErrConflict = errors.New("conflict")
)

// StaleVersionError is a save based on an old version: a 409 whose details
// name the current version, so a client can offer to reload or overwrite.
type StaleVersionError struct {
	Kind, ID      string
	Current, Sent int
}

func (e *StaleVersionError) Error() string {
	return fmt.Sprintf("%s %q is at version %d, not %d: %v", e.Kind, e.ID, e.Current, e.Sent, ErrConflict)
}

func (e *StaleVersionError) Unwrap() error { return ErrConflict }

// NotFound wraps ErrNotFound with the kind and id of what is missing.
func NotFound(kind, id string) error {
	return fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
}

// PrefixPaths returns details with prefix joined before each path.
func PrefixPaths(prefix string, details []FieldError) []FieldError {
	out := make([]FieldError, len(details))
	for i, d := range details {
		p := prefix
		switch {
		case d.Path == "":
		case strings.HasPrefix(d.Path, "["):
			p += d.Path
		case p == "":
			p = d.Path
		default:
			p += "." + d.Path
		}
		out[i] = FieldError{Path: p, Message: d.Message}
	}
	return out
}
