package api_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

type importOut struct {
	Rows     int `json:"rows"`
	Accepted int `json:"accepted"`
	Errors   []struct {
		Row     int    `json:"row"`
		Message string `json:"message"`
	} `json:"errors"`
}

func importCSV(t *testing.T, a *app.App, query, body string) (int, importOut) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/contacts/import"+query, body, "Content-Type", "text/csv")
	var out importOut
	if r.Status == http.StatusOK {
		r.JSON(t, &out)
	}
	return r.Status, out
}

// TestImportCSVBadRows: each bad row is reported by its number, the rest
// imported as identify events; the same file again applies nothing twice.
func TestImportCSVBadRows(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{})
		file := "\ufeffid,Email,plan,company_size,account_id,zip\n" +
			"c1,c1@x.test,pro,40,acme,01234\n" + // 1: good
			",,free,3,,\n" + // 2: no id and no email
			"c3,c3@x.test,pro\n" + // 3: too few columns
			"c4,c4@x.test,\xff\xfe,1,,\n" + // 4: invalid UTF-8
			"c5,not-an-email,pro,1,,\n" + // 5: bad email
			"c6,,\"multi\nline\",7,,\n" + // 6: good, a quoted newline
			",only@x.test,,,,\n" + // 7: good, email alone
			"c8,c8@x.test,a,b,c,d,e\n" // 8: too many columns
		status, out := importCSV(t, a, "", file)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, 8, out.Rows)
		assert.Equal(t, 3, out.Accepted)
		rows := map[int]string{}
		for _, e := range out.Errors {
			rows[e.Row] = e.Message
		}
		require.Len(t, rows, 5, "%+v", out.Errors)
		assert.Contains(t, rows[2], "no id and no email")
		assert.Contains(t, rows[3], "columns")
		assert.Contains(t, rows[4], "UTF-8")
		assert.Contains(t, rows[5], "email")
		assert.Contains(t, rows[8], "columns")
		apptest.WaitApplied(t, a, 3)
		apptest.WaitIdle(t, a)

		c := apptest.Contact(t, a, "c1")
		assert.Equal(t, "c1@x.test", c.Email)
		assert.Equal(t, "pro", c.Attributes["plan"])
		assert.Equal(t, float64(40), c.Attributes["company_size"], "a number as written is a number")
		assert.Equal(t, "01234", c.Attributes["zip"], "a leading zero keeps it text")
		assert.NotContains(t, c.Attributes, "account_id", "account_id is the event's field, not an attribute")
		assert.Equal(t, "multi\nline", apptest.Contact(t, a, "c6").Attributes["plan"])
		assert.Equal(t, "only@x.test", apptest.Contact(t, a, "only@x.test").Email)

		status, again := importCSV(t, a, "", file)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, 3, again.Accepted)
		apptest.WaitIdle(t, a)
		assert.Equal(t, uint64(3), a.Engine.Stats().Applied, "the same file twice applies each row once")

		for name, tc := range map[string]struct{ query, body string }{
			"empty":           {"", ""},
			"no key column":   {"", "plan,size\npro,1\n"},
			"repeated column": {"", "id,plan,plan\nc,1,2\n"},
		} {
			status, _ := importCSV(t, a, tc.query, tc.body)
			assert.Equal(t, http.StatusBadRequest, status, name)
		}
	})
}

// TestImportCSVStreamsPastTheBodyLimit: a file (1.7 MB) past the body
// limit and the server's largest read, sent chunked, is read as a stream; a column mapping names the id and
// email columns and skips one.
func TestImportCSVStreamsPastTheBodyLimit(t *testing.T) {
	a := apptest.Start(t, app.Config{BodyLimit: 64 << 10})
	const n = 20000
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprintln(pw, "Customer,E-mail,notes,plan")
		for i := 0; i < n; i++ {
			fmt.Fprintf(pw, "k%d,k%d@x.test,%s,trial\n", i, i, strings.Repeat("x", 60))
		}
		pw.Close()
	}()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/contacts/import?id=Customer&email=E-mail&skip=notes", pr)
	req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := a.HTTP.Test(req, 120_000)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.JSONEq(t, fmt.Sprintf(`{"rows": %d, "accepted": %d, "errors": []}`, n, n), string(body))
	apptest.WaitApplied(t, a, n)
	c := apptest.Contact(t, a, "k123")
	assert.Equal(t, "k123@x.test", c.Email)
	assert.Equal(t, map[string]any{"plan": "trial"}, c.Attributes)

	// Other routes keep their limit under streaming.
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", strings.Repeat(" ", 70<<10)+`{}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
}

// TestExportCSV streams contacts with their dimensions, tags and
// attributes, filtered like the list.
func TestExportCSV(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	flow := withNode(flowDoc("tag", 1), "action.add_tag", map[string]any{"tag": "vip"})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", flow)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/flows", flowDoc("points", 7))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	postEvent(t, a, map[string]any{"id": "e1", "type": "Demo", "contact_id": "x1", "email": "x1@x.test", "traits": map[string]any{"city": "Oslo, NO", "size": 4}})
	postEvent(t, a, map[string]any{"id": "e2", "type": "identify", "contact_id": "x2", "traits": map[string]any{"city": "Rome"}})
	apptest.WaitApplied(t, a, 2)
	apptest.WaitIdle(t, a)

	r = apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/export", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/csv")
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, []string{"id", "email", "score", "engagement", "fit", "grade", "deal_stage", "tags", "city", "size"}, rows[0])
	assert.Equal(t, []string{"x1", "x1@x.test", "7", "7", "0"}, rows[1][:5])
	assert.Equal(t, "vip", rows[1][7])
	assert.Equal(t, "Oslo, NO", rows[1][8])
	assert.Equal(t, "4", rows[1][9])
	assert.Equal(t, "x2", rows[2][0])

	r = apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/export?tag=vip", nil)
	require.Equal(t, http.StatusOK, r.Status)
	rows, err = csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2, "only the tagged contact")
}
