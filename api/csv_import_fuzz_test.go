package api

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzCSVImport feeds the import parser arbitrary files: it never panics,
// numbers rows 1, 2, 3…, makes only valid identify events, and gives a
// row the same id when the same file is read again (a retried import
// applies nothing twice).
func FuzzCSVImport(f *testing.F) {
	for _, seed := range []string{
		"id,email,plan\nc1,c1@x.test,pro\n,,\nc3,x\n",
		"\ufeffemail,\"a,b\"\n\"q\"\"uote@x.test\",\"multi\nline\"\n",
		"id\n\xff\xfe\n",
		"id,id\n1,2\n",
		"email\nbad\n\"unterminated\n",
		"ID,Account_ID,n\n7,acme,01\n8,,1.50\n9,,1e3\n",
		"",
	} {
		f.Add(seed, "")
	}
	f.Fuzz(func(t *testing.T, file, idColumn string) {
		read := func() ([]string, int) {
			p, err := newImportParser(strings.NewReader(file), columnMapping{ID: idColumn}, time.Unix(0, 0))
			if err != nil {
				return nil, -1
			}
			var ids []string
			rows := 0
			for {
				ev, row, bad, err := p.next()
				if errors.Is(err, io.EOF) {
					return ids, rows
				}
				if err != nil {
					t.Fatalf("a string reader cannot break: %v", err)
				}
				if row != rows+1 {
					t.Fatalf("row %d after row %d", row, rows)
				}
				rows = row
				switch {
				case bad != "" && ev != nil:
					t.Fatalf("row %d is both bad (%s) and an event", row, bad)
				case bad == "" && ev == nil:
					t.Fatalf("row %d is neither bad nor an event", row)
				case ev != nil:
					if errs := ev.Validate(); len(errs) > 0 {
						t.Fatalf("row %d: invalid event %+v: %v", row, ev, errs)
					}
					if ev.ContactID == "" && ev.Email == "" {
						t.Fatalf("row %d names no contact", row)
					}
					ids = append(ids, ev.ID)
				}
			}
		}
		first, rows := read()
		again, rowsAgain := read()
		if rows != rowsAgain || strings.Join(first, ",") != strings.Join(again, ",") {
			t.Fatalf("reading the same file twice differs: %v / %v", first, again)
		}
		seen := map[string]bool{}
		for _, id := range first {
			if seen[id] {
				t.Fatalf("two rows share the event id %s", id)
			}
			seen[id] = true
		}
	})
}
