// Package flows is the flow model: the JSON documents marketers build, the
// node registry every node type registers into, the filter language, and the
// validation and compilation that turn a document into something the engine
// runs. It knows nothing of NATS, HTTP or SQL.
package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// Entry modes (CONTRACT §3).
const (
	EntryEveryTime = "every_time"
	EntryOnce      = "once"
	EntryLimited   = "limited"
)

// Flow is a flow document (CONTRACT §3).
type Flow struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name"`
	Description         string          `json:"description,omitempty"`
	Enabled             bool            `json:"enabled"`
	Version             int             `json:"version,omitempty"`
	Entry               Entry           `json:"entry"`
	Audience            json.RawMessage `json:"audience,omitempty"`
	IncludeDisqualified bool            `json:"include_disqualified,omitempty"`
	Nodes               []Node          `json:"nodes"`
	Edges               []Edge          `json:"edges"`
	CreatedAt           *time.Time      `json:"created_at,omitempty"`
	UpdatedAt           *time.Time      `json:"updated_at,omitempty"`
}

// Entry says how often one contact may enter the flow.
type Entry struct {
	Mode   string          `json:"mode"`
	Max    int             `json:"max,omitempty"`
	Window *model.Duration `json:"window,omitempty"`
}

// Node is one step of a flow.
type Node struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Config   map[string]any `json:"config"`
	Position *Position      `json:"position,omitempty"`
}

// Position is where the canvas draws a node.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Edge links two nodes; Branch is "yes" or "no" on edges leaving condition.if.
type Edge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Branch string `json:"branch,omitempty"`
}

// Parse decodes a flow document. It reports malformed JSON as an
// InvalidError; the rules of CONTRACT §3 are checked by Validate.
func Parse(data []byte) (*Flow, error) {
	var f Flow
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, model.Invalid("invalid_flow", "the flow is not valid JSON of the flow shape", jsonErrorDetail(err))
	}
	if _, err := dec.Token(); err != io.EOF { // More() misses a trailing "}" or "]"
		return nil, model.Invalid("invalid_flow", "the flow must be a single JSON object", model.FieldError{Message: "trailing data after the flow"})
	}
	if details := normalizeNumbers(&f); len(details) > 0 {
		return nil, model.Invalid("invalid_flow", "the flow has a number out of range", details...)
	}
	return &f, nil
}

func jsonErrorDetail(err error) model.FieldError {
	var typeErr *json.UnmarshalTypeError
	var durErr *model.DurationError
	switch {
	case errors.As(err, &typeErr):
		return model.FieldError{Path: typeErr.Field, Message: "must be " + jsonKind(typeErr.Type)}
	case errors.As(err, &durErr):
		// The only duration of a flow document is the entry window.
		return model.FieldError{Path: "entry.window", Message: durErr.Message}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return model.FieldError{Message: "the document ends too early: it is not a complete JSON object"}
	}
	return model.FieldError{Message: err.Error()}
}

// jsonKind names a Go type the way a JSON author would.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a " + t.Kind().String()
}

// normalizeNumbers turns json.Number config values into int64 when integral
// and float64 otherwise, so node builders see plain Go numbers. A number no
// float64 can hold (1e400) is refused rather than passed on as text.
func normalizeNumbers(f *Flow) []model.FieldError {
	var errs []model.FieldError
	for i := range f.Nodes {
		for k, v := range f.Nodes[i].Config {
			path := fmt.Sprintf("nodes[%d].config.%s", i, k)
			f.Nodes[i].Config[k] = plainNumbers(v, path, &errs)
		}
	}
	return errs
}

func plainNumbers(v any, path string, errs *[]model.FieldError) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if fl, err := t.Float64(); err == nil {
			return fl
		}
		*errs = append(*errs, model.FieldError{Path: path, Message: fmt.Sprintf("number %s is out of range", t.String())})
		return nil
	case map[string]any:
		for k, e := range t {
			t[k] = plainNumbers(e, path+"."+k, errs)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = plainNumbers(e, fmt.Sprintf("%s[%d]", path, i), errs)
		}
		return t
	}
	return v
}
