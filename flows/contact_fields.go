package flows

import (
	"strings"

	"github.com/scoreflow/scoreflow/model"
)

// The one table of contact fields (CONTRACT §4). The filter parser, the Go
// evaluator's accessor, each store backend's SQL compiler, action.set_field,
// the engine's change marks, the catalog and, through the API, the UI's
// filter builder all read this table, so a new field is one row here (plus
// the column its backends read, when it is a new column).

// FieldType is what a contact field holds.
type FieldType string

const (
	FieldNumber   FieldType = "number"    // an integer; never absent
	FieldText     FieldType = "text"      // a string; absent when empty
	FieldTextList FieldType = "text_list" // a list of strings; empty when none
	FieldBool     FieldType = "bool"      // true or false; never absent
	FieldTime     FieldType = "time"      // an instant; absent when unset
	FieldAny      FieldType = "any"       // any JSON value a contact holds (attributes)
)

// FieldStorage says how the store keeps a field, so each backend's SQL
// compiler maps it to its own dialect without a list of names of its own.
type FieldStorage int

const (
	// StoredColumn is a scalar column of that name ("" means absent for text).
	StoredColumn FieldStorage = iota + 1
	// StoredMillis is a Unix-millisecond column; NULL is absent.
	StoredMillis
	// StoredList is a column holding a JSON array of strings.
	StoredList
	// StoredPresence is a column whose non-NULL value means true.
	StoredPresence
	// StoredObjectKey is one key of a JSON object column of numbers, the key
	// being the rest of the name after the family prefix; absent reads 0.
	StoredObjectKey
	// StoredObjectPath is a dotted path into a JSON object column, the path
	// being the rest of the name after the family prefix.
	StoredObjectPath
	// StoredHistorySum is the sum of the deltas of the contact's history
	// rows (the table Column names, not a contacts column) whose event_at
	// falls in the leaf's window; a family's rest is the dimension, none
	// means every dimension. Only Window fields are stored so.
	StoredHistorySum
)

// ContactField is one row of the table.
type ContactField struct {
	// Name is the field's name, or for a family of fields its prefix
	// ending in "." ("score.", "attributes."): score.fit, attributes.city.
	Name string
	Type FieldType
	// Doc is one line for the UI's filter builder and for error messages.
	Doc string
	// Column is the contacts column the store keeps it in, and Storage how.
	Column  string
	Storage FieldStorage
	// Change is the mark the engine raises when the field changes, which
	// finds the segments reading it (segments.Change).
	Change string
	// Settable says action.set_field may write it; otherwise Setter names
	// what changes it.
	Settable bool
	Setter   string
	// Optional says a contact may lack the field in the normal course of
	// things (no activity yet, an attribute never set), so "is set" and
	// "is not set" are questions worth offering in the filter builder.
	// Fields that read absent only in odd cases (an empty grade) are not.
	Optional bool
	// Window says a leaf on the field counts over a span of time back from
	// now, given by the leaf's "within" (required there, and refused on
	// every other field): score_change. Such a field is a number of points
	// and takes the numeric comparisons only (ComparisonOps).
	Window bool
	// get reads the field off a contact; rest is the name after a family's
	// prefix. ok=false means absent (a present nil is possible for
	// attributes holding JSON null: it stops the dotted-prefix walk).
	get func(c *model.Contact, rest string) (v any, ok bool)
	// Account says the field is read off the contact's account (Column is
	// then an accounts column): getAccount reads it, and a contact without
	// an account lacks it (account_fields.go).
	Account    bool
	getAccount func(a *model.Account, rest string) (v any, ok bool)
}

// Family reports whether the row is a prefix of names rather than one name.
func (f ContactField) Family() bool { return strings.HasSuffix(f.Name, ".") }

var contactFields = []ContactField{
	{Name: "score", Type: FieldNumber, Doc: "total score over all dimensions",
		Column: "score", Storage: StoredColumn, Change: "score", Setter: "use action.adjust_score",
		get: func(c *model.Contact, _ string) (any, bool) { return c.Score, true }},
	{Name: "score.", Type: FieldNumber, Doc: "score on one dimension, such as score.fit (0 when never scored)",
		Column: "scores", Storage: StoredObjectKey, Change: "score", Setter: "use action.adjust_score",
		get: func(c *model.Contact, dim string) (any, bool) { return c.Scores[dim], true }},
	{Name: "score_change", Type: FieldNumber, Window: true,
		Doc:    "points gained minus points lost within a window (\"within\": \"7d\"), over all dimensions",
		Column: "ledger", Storage: StoredHistorySum, Change: "score", Setter: "it follows the score history",
		get: noValue},
	{Name: "score_change.", Type: FieldNumber, Window: true,
		Doc:    "points gained minus points lost on one dimension within a window, such as score_change.engagement",
		Column: "ledger", Storage: StoredHistorySum, Change: "score", Setter: "it follows the score history",
		get: noValue},
	{Name: "grade", Type: FieldText, Doc: "grade from the score (settings)",
		Column: "grade", Storage: StoredColumn, Change: "score", Setter: "it follows the score",
		get: func(c *model.Contact, _ string) (any, bool) { return c.Grade, c.Grade != "" }},
	{Name: "tags", Type: FieldTextList, Doc: "tags",
		Column: "tags", Storage: StoredList, Change: "tags", Setter: "use action.add_tag or action.remove_tag",
		get: func(c *model.Contact, _ string) (any, bool) { return nonNilList(c.Tags), true }},
	{Name: "segments", Type: FieldTextList, Doc: "ids of the segments the contact is in",
		Column: "segments", Storage: StoredList, Change: "segments", Setter: "it follows the segment filters",
		get: func(c *model.Contact, _ string) (any, bool) { return nonNilList(c.Segments), true }},
	{Name: "deal_stage", Type: FieldText, Doc: "deal stage",
		Column: "deal_stage", Storage: StoredColumn, Change: "deal_stage", Setter: "use action.change_deal_stage",
		get: func(c *model.Contact, _ string) (any, bool) { return c.DealStage, c.DealStage != "" }},
	{Name: "disqualified", Type: FieldBool, Doc: "whether the contact is disqualified",
		Column: "disqualified_at", Storage: StoredPresence, Change: "disqualified", Setter: "use action.disqualify or action.requalify",
		get: func(c *model.Contact, _ string) (any, bool) { return c.Disqualified != nil, true }},
	{Name: "created_at", Type: FieldTime, Doc: "when the contact was created",
		Column: "created_at", Storage: StoredMillis, Change: "created", Setter: "it cannot be changed",
		get: func(c *model.Contact, _ string) (any, bool) { return c.CreatedAt, !c.CreatedAt.IsZero() }},
	{Name: "last_activity_at", Type: FieldTime, Doc: "time of the contact's latest event",
		Column: "last_activity_at", Storage: StoredMillis, Change: "last_activity_at", Setter: "it follows the contact's events", Optional: true,
		get: func(c *model.Contact, _ string) (any, bool) {
			if c.LastActivityAt == nil {
				return nil, false
			}
			return *c.LastActivityAt, true
		}},
	{Name: "attributes.", Type: FieldAny, Doc: "an attribute, such as attributes.job_title (dotted names reach into objects)",
		Column: "attributes", Storage: StoredObjectPath, Change: "attributes.", Settable: true, Optional: true,
		get: func(c *model.Contact, name string) (any, bool) {
			v, ok := c.Attributes[name]
			return v, ok
		}},
	accountFields[0], accountFields[1], accountFields[2], accountFields[3],
}

// ContactFields lists the table, in the order the UI offers the fields.
func ContactFields() []ContactField {
	out := make([]ContactField, len(contactFields))
	copy(out, contactFields)
	return out
}

// LookupContactField finds the row of a field name and the rest of the name
// after a family's prefix ("fit" for score.fit). A family needs a non-empty
// rest.
func LookupContactField(name string) (f ContactField, rest string, ok bool) {
	row, rest := findContactField(name)
	if row == nil {
		return ContactField{}, "", false
	}
	return *row, rest, true
}

// The table indexed once: every evaluator reads fields through it on every
// event, so a lookup is one map probe (plus a prefix test per family).
var fieldsByName, fieldFamilies = func() (map[string]*ContactField, []*ContactField) {
	byName := map[string]*ContactField{}
	var families []*ContactField
	for i := range contactFields {
		if f := &contactFields[i]; f.Family() {
			families = append(families, f)
		} else {
			byName[f.Name] = f
		}
	}
	return byName, families
}()

// findContactField is LookupContactField without the copy of the row. No plain
// name starts with a family's prefix, so the order of the two probes does
// not matter.
func findContactField(name string) (*ContactField, string) {
	if f, ok := fieldsByName[name]; ok {
		return f, ""
	}
	for _, f := range fieldFamilies {
		if rest, ok := strings.CutPrefix(name, f.Name); ok && rest != "" {
			return f, rest
		}
	}
	return nil, ""
}

// ContactFieldNames is the list of names for error messages:
// "attributes.<name>, score, score.<dimension>, …".
func ContactFieldNames() string {
	names := make([]string, 0, len(contactFields))
	for _, f := range contactFields {
		switch {
		case f.Name == "attributes.":
			names = append([]string{"attributes.<name>"}, names...)
		case f.Name == "score.":
			names = append(names, "score.<dimension>")
		case f.Name == "score_change.":
			names = append(names, "score_change.<dimension>")
		case f.Name == "account.attributes.":
			names = append(names, "account.attributes.<name>")
		case f.Name == "account.score.":
			names = append(names, "account.score.<dimension>")
		default:
			names = append(names, f.Name)
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ChangeOf is the change mark of a field name (segments.Change), "" for a
// name that is not a contact field.
func ChangeOf(name string) string {
	f, rest, ok := LookupContactField(name)
	if !ok {
		return ""
	}
	if f.Family() && f.Change == f.Name {
		return f.Change + rest // attributes.<name>: one mark per attribute
	}
	return f.Change
}

// ContactValue reads a field off a contact as every filter evaluator does:
// the engine's Subject and the tests' both call it.
func ContactValue(c *model.Contact, name string) (any, bool) {
	f, rest := findContactField(name)
	if f == nil || f.get == nil {
		return nil, false
	}
	return f.get(c, rest)
}

// IsTimeField reports whether older_than and newer_than apply to a field:
// a time, or an attribute (which may hold an RFC 3339 string).
func IsTimeField(name string) bool {
	f, _, ok := LookupContactField(name)
	return ok && !f.Account && (f.Type == FieldTime || f.Type == FieldAny)
}

// noValue is the accessor of a Window field: its value depends on the
// window a leaf asks about, so a contact holds none (FieldCond reads it
// through ScoreChanger instead).
func noValue(*model.Contact, string) (any, bool) { return nil, false }

// ComparisonOps are the ops a Window field takes, as the parser lists them.
const ComparisonOps = countOpList

// nonNilList makes a contact without tags read as an empty list, so "tags
// not_contains x" and "tags exists" behave as for one that had tags, and as
// the store reads its '[]' column.
func nonNilList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
