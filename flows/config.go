package flows

import (
	"fmt"
	"math"
	"sort"

	"github.com/scoreflow/scoreflow/model"
)

// Config is a node's config after checking against its spec: every field
// has the declared type and defaults are filled in. Accessors never fail on
// a checked config.
type Config map[string]any

// String returns a string field ("" when absent).
func (c Config) String(name string) string { s, _ := c[name].(string); return s }

// Int returns an integer field.
func (c Config) Int(name string) int64 { i, _ := c[name].(int64); return i }

// Bool returns a boolean field.
func (c Config) Bool(name string) bool { b, _ := c[name].(bool); return b }

// Duration returns a duration field.
func (c Config) Duration(name string) model.Duration { d, _ := c[name].(model.Duration); return d }

// Filter returns a filter field (nil when absent).
func (c Config) Filter(name string) *Filter { f, _ := c[name].(*Filter); return f }

// StringMap returns a string map field.
func (c Config) StringMap(name string) map[string]string {
	m, _ := c[name].(map[string]string)
	return m
}

// Has reports whether the field is set.
func (c Config) Has(name string) bool { _, ok := c[name]; return ok }

// checkConfig checks raw against the spec's fields and returns the typed
// config; errors name paths relative to the config ("points").
func checkConfig(spec *Spec, raw map[string]any) (Config, []model.FieldError) {
	var errs []model.FieldError
	cfg := Config{}
	known := map[string]bool{}
	for _, f := range spec.Fields {
		known[f.Name] = true
		v, ok := raw[f.Name]
		if !ok || v == nil {
			if f.Required {
				errs = append(errs, model.FieldError{Path: f.Name, Message: "is required"})
				continue
			}
			if f.Default == nil {
				continue
			}
			v = f.Default
		}
		typed, details := checkValue(f, v)
		if len(details) > 0 {
			errs = append(errs, details...)
			continue
		}
		cfg[f.Name] = typed
	}
	unknown := make([]string, 0)
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, model.FieldError{Path: k, Message: fmt.Sprintf("is not a field of %s", spec.Type)})
	}
	return cfg, errs
}

func checkValue(f Field, v any) (any, []model.FieldError) {
	bad := func(msg string) (any, []model.FieldError) {
		return nil, []model.FieldError{{Path: f.Name, Message: msg}}
	}
	switch f.Type {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return bad("must be a string")
		}
		if f.Required && s == "" {
			return bad("must not be empty")
		}
		if len(f.Enum) > 0 && !contains(f.Enum, s) {
			return bad(fmt.Sprintf("must be one of %v", f.Enum))
		}
		return s, nil
	case TypeInteger:
		switch n := v.(type) {
		case int64:
			return n, nil
		case int:
			return int64(n), nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
				return int64(n), nil
			}
		}
		return bad("must be an integer")
	case TypeNumber:
		switch n := v.(type) {
		case int64:
			return float64(n), nil
		case int:
			return float64(n), nil
		case float64:
			return n, nil
		}
		return bad("must be a number")
	case TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return bad("must be true or false")
		}
		return b, nil
	case TypeDuration:
		s, ok := v.(string)
		if !ok {
			return bad("must be a duration such as \"30m\", \"72h\" or \"60d\"")
		}
		d, err := model.ParseDuration(s)
		if err != nil {
			return bad(err.Error())
		}
		return d, nil
	case TypeFilter, TypeEventFilter:
		kind := ContactFilter
		if f.Type == TypeEventFilter {
			kind = EventFilter
		}
		flt, details := ParseFilterValue(v, kind)
		if len(details) > 0 {
			return nil, model.PrefixPaths(f.Name, details)
		}
		return flt, nil
	case TypeStringMap:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("must be an object of strings")
		}
		out := make(map[string]string, len(m))
		for k, e := range m {
			s, ok := e.(string)
			if !ok {
				return nil, []model.FieldError{{Path: f.Name + "." + k, Message: "must be a string"}}
			}
			out[k] = s
		}
		return out, nil
	case TypeAny:
		return v, nil
	}
	return bad("has an unknown field type " + f.Type)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
