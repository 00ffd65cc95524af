package api

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/model"
)

// A CSV import (CONTRACT §9) is read row by row from the request stream
// and each row becomes an identify event, so flows run on imported
// contacts as on any other. A row that cannot be read is reported by its
// number (1 = the first row after the header) and the others go on.

// maxImportErrors bounds the errors listed in an import's answer; past
// it they are only counted.
const maxImportErrors = 1000

// importError is one bad row of an import.
type importError struct {
	Row     int    `json:"row"`
	Message string `json:"message"`
}

// importReport is the answer of an import.
type importReport struct {
	Rows     int           `json:"rows"`
	Accepted int           `json:"accepted"`
	Errors   []importError `json:"errors"`
	// MoreErrors counts bad rows past the listed ones.
	MoreErrors int `json:"more_errors,omitempty"`
}

func (r *importReport) fail(row int, msg string) {
	if len(r.Errors) < maxImportErrors {
		r.Errors = append(r.Errors, importError{Row: row, Message: msg})
		return
	}
	r.MoreErrors++
}

// columnMapping names, by header, the columns that are the contact's id,
// email and account (default: the columns called so) and those to skip.
type columnMapping struct {
	ID, Email, AccountID string
	Skip                 []string
	// Key salts the event ids (a client's Idempotency-Key): the same file
	// imported again with the same key applies nothing twice.
	Key string
}

// column roles.
const (
	colAttribute = iota
	colID
	colEmail
	colAccount
	colSkip
)

type importColumn struct {
	name string
	role int
}

// importParser turns CSV rows into identify events.
type importParser struct {
	r       *csv.Reader
	columns []importColumn
	salt    string
	now     time.Time
	row     int
}

// newImportParser reads the header row and decides each column's role.
func newImportParser(body io.Reader, m columnMapping, now time.Time) (*importParser, error) {
	r := csv.NewReader(body)
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, model.Invalid("invalid_import", "the CSV is empty: send a header row, then one row per contact")
	}
	if err != nil {
		return nil, model.Invalid("invalid_import", "the header row cannot be read", model.FieldError{Path: "header", Message: err.Error()})
	}
	p := &importParser{r: r, now: now}
	seen := map[string]bool{}
	hasKey := false
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\x00", m.Key)
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's byte-order mark
		}
		name = strings.TrimSpace(name)
		fmt.Fprintf(sum, "%s\x00", name)
		if !utf8.ValidString(name) {
			return nil, model.Invalid("invalid_import", "the header row is not valid UTF-8", model.FieldError{Path: fmt.Sprintf("header[%d]", i), Message: "must be valid UTF-8"})
		}
		if seen[name] {
			return nil, model.Invalid("invalid_import", fmt.Sprintf("the header names the column %q twice", name),
				model.FieldError{Path: fmt.Sprintf("header[%d]", i), Message: "is a repeated column name"})
		}
		seen[name] = true
		col := importColumn{name: name, role: roleOf(name, m)}
		if col.role == colID || col.role == colEmail {
			hasKey = true
		}
		p.columns = append(p.columns, col)
	}
	if !hasKey {
		return nil, model.Invalid("invalid_import", "the header needs an id or an email column to know whom each row is about",
			model.FieldError{Path: "header", Message: "has no id or email column"})
	}
	p.salt = hex.EncodeToString(sum.Sum(nil))[:16]
	r.FieldsPerRecord = len(header)
	return p, nil
}

// roleOf says what a column is: named by the mapping, or by its name.
func roleOf(name string, m columnMapping) int {
	for _, s := range m.Skip {
		if s == name {
			return colSkip
		}
	}
	switch {
	case m.ID != "" && name == m.ID, m.ID == "" && strings.EqualFold(name, "id"):
		return colID
	case m.Email != "" && name == m.Email, m.Email == "" && strings.EqualFold(name, "email"):
		return colEmail
	case m.AccountID != "" && name == m.AccountID, m.AccountID == "" && strings.EqualFold(name, "account_id"):
		return colAccount
	case name == "":
		return colSkip
	}
	return colAttribute
}

// next reads the next row: its event, or the message of why it is bad
// (ev nil); io.EOF at the end. Only an error of the stream itself ends an
// import early.
func (p *importParser) next() (ev *model.Event, row int, bad string, err error) {
	record, err := p.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, "", io.EOF
	}
	p.row++
	if err != nil {
		var perr *csv.ParseError
		if !errors.As(err, &perr) {
			return nil, p.row, "", fmt.Errorf("read row %d: %w", p.row, err)
		}
		if errors.Is(perr.Err, csv.ErrFieldCount) {
			return nil, p.row, fmt.Sprintf("has %d columns, the header has %d", len(record), len(p.columns)), nil
		}
		return nil, p.row, "cannot be read as CSV: " + perr.Err.Error(), nil
	}
	ev, bad = p.event(record)
	return ev, p.row, bad, nil
}

// event maps one row to an identify event.
func (p *importParser) event(record []string) (*model.Event, string) {
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\x00%d", p.salt, p.row)
	ev := &model.Event{Type: model.EventIdentify, Timestamp: p.now}
	for i, v := range record {
		col := p.columns[i]
		fmt.Fprintf(sum, "\x00%s", v)
		if !utf8.ValidString(v) {
			return nil, fmt.Sprintf("column %q is not valid UTF-8", col.name)
		}
		v = strings.TrimSpace(v)
		switch col.role {
		case colID:
			ev.ContactID = v
		case colEmail:
			ev.Email = v
		case colAccount:
			ev.AccountID = v
		case colAttribute:
			if v == "" {
				continue // an empty cell is no value, not an empty one
			}
			if ev.Traits == nil {
				ev.Traits = map[string]any{}
			}
			ev.Traits[col.name] = cellValue(v)
		}
	}
	if ev.ContactID == "" && ev.Email == "" {
		return nil, "has no id and no email"
	}
	ev.ID = "import-" + hex.EncodeToString(sum.Sum(nil))[:32]
	if errs := ev.Validate(); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = strings.TrimPrefix(e.Path+" "+e.Message, "traits ")
		}
		return nil, strings.Join(msgs, "; ")
	}
	return ev, ""
}

// cellValue reads a cell as a number when it is one as written (so
// filters compare 40 > 9), else as text: "01234" and "1e3" stay text.
func cellValue(v string) any {
	if f, err := strconv.ParseFloat(v, 64); err == nil && strconv.FormatFloat(f, 'f', -1, 64) == v {
		return f
	}
	return v
}
