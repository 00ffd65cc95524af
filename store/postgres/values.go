package postgres

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
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

// encodeParts fills in the JSON encodings a contact record lacks.
func encodeParts(r *store.ContactRecord) error {
	c := r.Contact
	for _, p := range []struct {
		dst *string
		v   any
	}{{&r.Attributes, nonNilMap(c.Attributes)}, {&r.Scores, nonNilMap(c.Scores)}, {&r.Tags, nonNil(c.Tags)}, {&r.Segments, nonNil(c.Segments)}} {
		if *p.dst != "" {
			continue
		}
		b, err := json.Marshal(p.v)
		if err != nil {
			return err
		}
		*p.dst = string(b)
	}
	return nil
}

// nonNilMap keeps a nil map from being stored as JSON null, which would
// read back as a nil map and reach the API as "attributes": null.
func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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

func encodeCursor(score int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(score, 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", fmt.Errorf("malformed cursor")
	}
	num, id, ok := strings.Cut(string(b), ":")
	score, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return 0, "", fmt.Errorf("malformed cursor")
	}
	return score, id, nil
}

// bucketWidth is the smallest of 1, 2, 5, 10, 20, 50, … that fits span in
// at most buckets buckets.
func bucketWidth(span int64, buckets int) int64 {
	if buckets < 1 {
		buckets = 1
	}
	for scale := int64(1); ; scale *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if w := m * scale; (span+w-1)/w <= int64(buckets) {
				return w
			}
		}
	}
}

// floorTo rounds v down to a multiple of w, negative numbers included.
func floorTo(v, w int64) int64 {
	r := v % w
	if r < 0 {
		r += w
	}
	return v - r
}
