package flows

import "time"

// The parsed filter tree, exported read-only so the SQL compilers of the
// store backends walk the same tree the Go evaluator matches (one AST, no
// re-encoding to JSON). A FilterNode is one of AllNode, AnyNode, NotNode,
// *FieldCond or *EventCond; the interface is sealed (its methods are
// unexported), so a type switch over those five is exhaustive. A FieldCond
// with a Within (score_change, filter_score_change.go) reads the score
// history rather than a contact field.

// Root is the filter's top node; nil for a nil filter (which matches
// everything).
func (f *Filter) Root() FilterNode {
	if f == nil {
		return nil
	}
	return f.root
}

// Child is the negated node.
func (n NotNode) Child() FilterNode { return n.child }

// Field is the field name as written ("score", "attributes.city",
// "context.page" in an event filter).
func (c *FieldCond) Field() string { return c.field }

// Op is the operator as written (neq, not_exists… included).
func (c *FieldCond) Op() Op { return c.op }

// Value is the comparison value as MarshalJSON writes it: a string,
// float64, bool or nil; a []any of those for in and nin; the duration text
// for older_than and newer_than; nil for exists and not_exists.
func (c *FieldCond) Value() any { return c.value }

// Span is the duration of older_than and newer_than.
func (c *FieldCond) Span() time.Duration { return c.span }

// Event is the event type a behaviour leaf counts.
func (b *EventCond) Event() string { return b.event }

// Where filters the counted events' properties; nil counts them all.
func (b *EventCond) Where() *Filter { return b.where }

// Within is the window counted back from now; 0 is all time.
func (b *EventCond) Within() time.Duration { return b.within }

// Count is the comparison the number of matching events must pass
// (gte 1 when the filter does not say).
func (b *EventCond) Count() (Op, int) { return b.countOp, b.count }

// Positive splits a negated op (neq, nin, not_contains, not_exists) into
// the op it negates; a negated op is exactly the negation of its positive.
func (o Op) Positive() (op Op, negated bool) { return o.positive() }

// IsOrder reports whether o is gt, gte, lt or lte.
func (o Op) IsOrder() bool { return o.isOrder() }

// Subfilter is the filter made of one node n of f's tree, of f's kind, so a
// part of a filter can be matched on its own (segments' NextChange
// evaluates the parts time cannot change). n must come from f's tree
// (Root and the accessors above); nil for a nil filter or node.
func (f *Filter) Subfilter(n FilterNode) *Filter {
	if f == nil || n == nil {
		return nil
	}
	return newFilter(n, f.kind)
}
