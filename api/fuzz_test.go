package api_test

import (
	"net/http"
	"testing"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// The JSON ingest paths must answer every body without a panic and without
// a 5xx: whatever a client or a provider posts is either taken or refused
// with a 4xx. Each fuzzer runs against one real app (NATS, SQLite, engine),
// so whatever is accepted also travels the stream and is applied.
//
//	go test ./api -run '^$' -fuzz FuzzEvents -fuzztime 30s
//	go test ./api -run '^$' -fuzz FuzzSegment -fuzztime 30s
//	go test ./api -run '^$' -fuzz FuzzSendGrid -fuzztime 30s

func fuzzPath(f *testing.F, method, path string, headers []string, seeds ...string) {
	a := apptest.Start(f, app.Config{Schedules: apptest.Off})
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := apptest.Do(t, a, method, path, body, headers...)
		if r.Status >= 500 {
			t.Fatalf("%s %s answered %d to %q: %s", method, path, r.Status, body, r.Body)
		}
	})
}

// commonSeeds are bodies every path must survive.
var commonSeeds = []string{
	``, `null`, `0`, `-1e999`, `"x"`, `[]`, `{}`, `[null]`, `{"a":`, "\xff\xfe", `{"\u0000": "\ud800"}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	`{"id": "a\r\nNats-Msg-Id: b", "type": "x\n", "contact_id": "c\u0000"}`,
}

func FuzzEvents(f *testing.F) {
	fuzzPath(f, http.MethodPost, "/api/v1/events", nil, append(commonSeeds,
		`{"id": "e1", "type": "Demo", "contact_id": "c1", "timestamp": "2026-11-23T10:00:00Z"}`,
		`{"type": "page_visited", "email": "a@b.c", "properties": {"url": "https://x.test/p"}, "traits": {"n": 1e308}}`,
		`{"events": [{"type": "Demo", "contact_id": "c1"}, {"type": "identify", "contact_id": "c2", "traits": {"a": null, "b": [1, {"c": true}]}}]}`,
		`{"events": [{"type": "Demo"}, 5, "x", null]}`,
		`{"type": "Demo", "contact_id": "c1", "timestamp": "0000-01-01T00:00:00Z"}`,
		`{"type": "Demo", "contact_id": "c1", "timestamp": "9999-12-31T23:59:59.999999999-23:59"}`,
		`{"type": "Demo", "contact_id": "c1", "timestamp": 5}`,
		`{"type": "email_clicked", "contact_id": "c1", "properties": {"email": 5, "link": ["x"]}}`,
		`{"events": {"type": "Demo"}}`, `{"events": []}`, `{"events": null, "type": "Demo", "contact_id": "x"}`,
	)...)
}

func FuzzSegment(f *testing.F) {
	fuzzPath(f, http.MethodPost, "/v1/batch", nil, append(commonSeeds,
		`{"batch": [{"type": "track", "userId": "u1", "event": "Demo", "messageId": "m1", "timestamp": "2026-11-23T10:00:00.000Z"}], "sentAt": "2026-11-23T10:00:01.000Z"}`,
		`{"batch": [{"type": "page", "anonymousId": "a1", "properties": {"url": 5}, "context": {"page": {"url": "https://x.test"}}}], "context": {"traits": {"a": 1}}}`,
		`{"batch": [{"type": "identify", "userId": 1e308, "traits": {"": 1, "email": "x@y"}, "context": {"traits": []}}]}`,
		`{"batch": [{"type": "track", "userId": "u", "event": "e", "timestamp": "0001-01-01T00:00:00Z"}], "sentAt": "9999-12-31T23:59:59Z"}`,
		`{"batch": [{"type": "track", "userId": "u", "event": "e", "timestamp": "9999-12-31T23:59:59Z"}], "sentAt": "0001-01-01T00:00:00Z"}`,
		`{"batch": [{"type": "track", "userId": "u", "event": "e", "originalTimestamp": "2026-01-01", "sentAt": "2026-01-01 10:00:00"}]}`,
		`{"batch": [{"type": "TRACK", "userId": " ", "anonymousId": "a", "event": " x ", "messageId": "`+longString(300)+`"}]}`,
		`{"batch": 5, "writeKey": ["k"]}`,
	)...)
}

func FuzzSendGrid(f *testing.F) {
	fuzzPath(f, http.MethodPost, "/webhooks/sendgrid", nil, append(commonSeeds,
		sendGridSample,
		`[{"email": "a@b.c", "event": "click", "url": "https://x.test", "timestamp": "1795428000.5", "category": ["a", 5]}]`,
		`[{"email": "a@b.c", "event": "open", "sg_machine_open": "true", "timestamp": 1e400}]`,
		`[{"email": "a@b.c", "event": "bounce", "timestamp": -5, "sg_event_id": "`+longString(300)+`"}]`,
		`[{"email": ["a@b.c"], "event": {"open": 1}}, {"email": "a@b.c", "event": "dropped", "timestamp": "NaN"}]`,
	)...)
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	return string(b)
}
