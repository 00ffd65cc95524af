package flows

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Kind groups node types on the palette and decides how a node runs.
type Kind string

// Node kinds.
const (
	KindTrigger   Kind = "trigger"
	KindCondition Kind = "condition"
	KindDelay     Kind = "delay"
	KindAction    Kind = "action"
)

// Field types a config field may have.
const (
	TypeString      = "string"
	TypeInteger     = "integer"
	TypeNumber      = "number"
	TypeBoolean     = "boolean"
	TypeDuration    = "duration"     // "30m", "72h", "60d"
	TypeFilter      = "filter"       // a contact filter (CONTRACT §4)
	TypeEventFilter = "event_filter" // a filter on the event's properties
	TypeStringMap   = "string_map"   // {"X-Key": "v"}
	TypeAny         = "any"          // any JSON value
)

// Pickers tell the UI which list to offer for a string field, and the
// validator which list the value must belong to when it knows it.
const (
	PickStage     = "stage"
	PickSegment   = "segment"
	PickScore     = "score"
	PickTag       = "tag"
	PickField     = "field"
	PickEventType = "event_type"
)

// Field describes one config field of a node type.
type Field struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required,omitempty"`
	Default     any      `json:"default,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Picker      string   `json:"picker,omitempty"`
	Description string   `json:"description"`
}

// Spec is one node type: its config fields and the constructor that compiles
// a checked config once into a ready trigger or step.
type Spec struct {
	Type        string  `json:"type"`
	Kind        Kind    `json:"kind"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Fields      []Field `json:"fields"`
	// Branches are the labels outgoing edges must carry (condition.if: yes, no).
	Branches []string `json:"branches,omitempty"`

	// Exactly one of these is set, matching Kind (triggers build Triggers).
	NewTrigger func(cfg Config) (Trigger, error) `json:"-"`
	NewStep    func(cfg Config) (Step, error)    `json:"-"`
}

// ConfigError is returned by constructors for a bad field value, so the
// validator can name the field.
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Message }

// BadField builds a ConfigError.
func BadField(field, format string, args ...any) error {
	return &ConfigError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Registry holds node specs by type name.
type Registry struct {
	mu    sync.RWMutex
	specs map[string]*Spec
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{specs: map[string]*Spec{}} }

// Nodes is the registry node packages register into from init().
var Nodes = NewRegistry()

// Register adds a spec to the default registry; it panics on a malformed or
// duplicate spec because that is a programming error caught at start.
func Register(s Spec) { Nodes.Register(s) }

// Register adds a spec.
func (r *Registry) Register(s Spec) {
	if s.Type == "" || !strings.HasPrefix(s.Type, string(s.Kind)+".") {
		panic(fmt.Sprintf("flows: node type %q must start with its kind %q", s.Type, s.Kind))
	}
	if (s.Kind == KindTrigger) != (s.NewTrigger != nil) || (s.Kind != KindTrigger) != (s.NewStep != nil) {
		panic(fmt.Sprintf("flows: node type %q needs NewTrigger for triggers and NewStep otherwise", s.Type))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.specs[s.Type]; dup {
		panic(fmt.Sprintf("flows: node type %q registered twice", s.Type))
	}
	if s.Fields == nil {
		s.Fields = []Field{}
	}
	r.specs[s.Type] = &s
}

// Lookup returns the spec of a node type.
func (r *Registry) Lookup(typ string) (*Spec, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.specs[typ]
	return s, ok
}

// Specs returns every spec, sorted by kind then type, for the palette.
func (r *Registry) Specs() []*Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Spec, 0, len(r.specs))
	for _, s := range r.specs {
		out = append(out, s)
	}
	order := map[Kind]int{KindTrigger: 0, KindCondition: 1, KindDelay: 2, KindAction: 3}
	sort.Slice(out, func(i, j int) bool {
		if order[out[i].Kind] != order[out[j].Kind] {
			return order[out[i].Kind] < order[out[j].Kind]
		}
		return out[i].Type < out[j].Type
	})
	return out
}
