package postgres

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/model"
)

// Conversions between Go values and columns, the same as the SQLite
// store's so that both hold the same values: times are Unix milliseconds,
// absent strings and times are NULL.

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(v pgtype.Int8) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

func int8p(v int64, valid bool) pgtype.Int8 { return pgtype.Int8{Int64: v, Valid: valid} }

func textPtr(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

func strPtr(t pgtype.Text) *string {
	if !t.Valid {
		return nil
	}
	return &t.String
}

// limitArg is the value of a LIMIT parameter: as in SQLite, a negative
// limit means none (NULL), where PostgreSQL would refuse it.
func limitArg(n int) any {
	if n < 0 {
		return nil
	}
	return n
}

// jsonColumn is the column value of a JSON object: the raw form when the
// event kept it, else the map encoded; NULL for an empty object.
func jsonColumn(raw []byte, m map[string]any) (pgtype.Text, error) {
	if len(m) == 0 {
		return pgtype.Text{}, nil
	}
	if len(raw) > 0 {
		return pgtype.Text{String: string(raw), Valid: true}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return pgtype.Text{}, err
	}
	return pgtype.Text{String: string(b), Valid: true}, nil
}

// decodeProps decodes a properties or traits column; NULL is an empty map.
func decodeProps(raw []byte) (map[string]any, error) {
	props := map[string]any{}
	if raw == nil {
		return props, nil
	}
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, err
	}
	return props, nil
}

// gradeCase builds a CASE over score that equals Settings.GradeFor, with
// its parameters numbered from $1.
func gradeCase(st model.Settings) (string, []any) {
	var b strings.Builder
	var args []any
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	b.WriteString("CASE")
	fallback := ""
	for i := len(st.Grades) - 1; i >= 0; i-- {
		g := st.Grades[i]
		if g.Min == nil {
			fallback = g.Name
			continue
		}
		b.WriteString(" WHEN score >= " + param(*g.Min) + "::bigint THEN " + param(g.Name) + "::text")
	}
	if len(args) == 0 {
		// No bounded grade: a CASE without WHEN is a syntax error.
		return param(fallback) + "::text", args
	}
	b.WriteString(" ELSE " + param(fallback) + "::text END")
	return b.String(), args
}

// The contact list's keyset cursor, the same text as the SQLite store's.
