package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/model"
)

func TestLookupContactField(t *testing.T) {
	for _, tt := range []struct {
		name, row, rest string
		ok              bool
	}{
		{"score", "score", "", true},
		{"score.fit", "score.", "fit", true},
		{"score.", "", "", false},
		{"attributes.address.city", "attributes.", "address.city", true},
		{"attributes.", "", "", false},
		{"disqualified", "disqualified", "", true},
		{"email", "", "", false}, // not a filter field
		{"id", "", "", false},
		{"scores", "", "", false},
	} {
		f, rest, ok := LookupContactField(tt.name)
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.row, f.Name, tt.name)
		assert.Equal(t, tt.rest, rest, tt.name)
	}
}

// Every row is complete: a new field cannot be half-added.
func TestContactFieldRowsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range ContactFields() {
		assert.False(t, seen[f.Name], "duplicate row %s", f.Name)
		seen[f.Name] = true
		assert.NotEmpty(t, f.Type, f.Name)
		assert.NotEmpty(t, f.Doc, f.Name)
		assert.NotEmpty(t, f.Column, f.Name)
		assert.NotZero(t, f.Storage, f.Name)
		assert.NotEmpty(t, f.Change, f.Name)
		if f.Account {
			assert.NotNil(t, f.getAccount, f.Name)
		} else {
			assert.NotNil(t, f.get, f.Name)
		}
		assert.True(t, f.Settable || f.Setter != "", "%s: say what changes it", f.Name)
		// An account field of any type is absent for a contact without one.
		if f.Optional && !f.Account {
			// Numbers, booleans and lists always read a value: "is not set"
			// would never match.
			assert.Contains(t, []FieldType{FieldText, FieldTime, FieldAny}, f.Type, "%s: optional", f.Name)
		}
		// The parser accepts every row's names.
		name := f.Name
		if f.Family() {
			name += "x"
		}
		leaf := `{"field":"` + name + `","op":"exists"}`
		switch {
		case f.Type == FieldBool:
			leaf = `{"field":"` + name + `","op":"eq","value":true}`
		case f.Window:
			assert.Equal(t, FieldNumber, f.Type, "%s: a window sums points", f.Name)
			assert.Equal(t, StoredHistorySum, f.Storage, f.Name)
			leaf = `{"field":"` + name + `","within":"7d","op":"gte","value":1}`
			// and nowhere without its window
			_, errs := ParseFilter([]byte(`{"field":"`+name+`","op":"gte","value":1}`), ContactFilter)
			assert.NotEmpty(t, errs, name)
		}
		_, errs := ParseFilter([]byte(leaf), ContactFilter)
		assert.Empty(t, errs, name)
	}
}

func TestChangeOf(t *testing.T) {
	for name, want := range map[string]string{
		"score": "score", "score.fit": "score", "grade": "score", "tags": "tags",
		"attributes.city": "attributes.city", "attributes.a.b": "attributes.a.b",
		"created_at": "created", "nonsense": "", "score_change": "score", "score_change.fit": "score",
	} {
		assert.Equal(t, want, ChangeOf(name), name)
	}
}

func TestAccountValue(t *testing.T) {
	a := &model.Account{ID: "acme", Score: 30, Grade: "warm", Scores: map[string]int64{"fit": 10},
		Attributes: map[string]any{"plan": "pro"}}
	for _, tt := range []struct {
		field string
		want  any
		ok    bool
	}{
		{"account.score", int64(30), true},
		{"account.score.fit", int64(10), true},
		{"account.score.other", int64(0), true},
		{"account.grade", "warm", true},
		{"account.attributes.plan", "pro", true},
		{"account.attributes.none", nil, false},
		{"score", nil, false}, // a contact field, not the account's
	} {
		got, ok := AccountValue(a, tt.field)
		assert.Equal(t, tt.ok, ok, tt.field)
		assert.Equal(t, tt.want, got, tt.field)
	}
	got, ok := AccountValue(nil, "account.score")
	assert.False(t, ok, "no account: absent")
	assert.Nil(t, got)
	assert.Equal(t, "account", ChangeOf("account.attributes.plan"))
	assert.False(t, IsTimeField("account.attributes.since"), "time ops stay on contact fields")
	_, none := ContactValue(&model.Contact{}, "account.score")
	assert.False(t, none, "ContactValue never reads account fields")
}

func TestContactValue(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := &model.Contact{ID: "c", Score: 7, Scores: map[string]int64{"fit": 7},
		Attributes: map[string]any{"city": "Oslo", "gone": nil}, CreatedAt: at}
	for _, tt := range []struct {
		field string
		want  any
		ok    bool
	}{
		{"score", int64(7), true},
		{"score.fit", int64(7), true},
		{"score.other", int64(0), true},
		{"attributes.city", "Oslo", true},
		{"attributes.gone", nil, true},
		{"attributes.none", nil, false},
		{"tags", []string{}, true},
		{"grade", "", false},
		{"disqualified", false, true},
		{"created_at", at, true},
		{"last_activity_at", nil, false},
		{"email", nil, false},
		{"score_change", nil, false}, // a window's sum, which no contact holds
		{"score_change.fit", nil, false},
	} {
		got, ok := ContactValue(c, tt.field)
		assert.Equal(t, tt.ok, ok, tt.field)
		assert.Equal(t, tt.want, got, tt.field)
	}
}

func TestContactFieldNames(t *testing.T) {
	names := ContactFieldNames()
	assert.True(t, strings.HasPrefix(names, "attributes.<name>, score, score.<dimension>, score_change, score_change.<dimension>, grade"), names)
	assert.True(t, strings.HasSuffix(names, ", last_activity_at, account.score, account.score.<dimension>, account.grade or account.attributes.<name>"), names)
}

// ContactValue runs for every field a filter reads on every event.
func BenchmarkContactValue(b *testing.B) {
	c := &model.Contact{Score: 7, Scores: map[string]int64{"fit": 7}, Attributes: map[string]any{"city": "Oslo"}}
	names := []string{"score", "score.fit", "attributes.city", "last_activity_at", "tags"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, n := range names {
			ContactValue(c, n)
		}
	}
}
