package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Segment matching, case by case: what each kind of leaf means on a
// handful of contacts whose data hold the edge cases (FilterProperty
// covers the rest at random). Each filter is asked of MatchContacts and of
// SegmentMovers on an empty segment, and checked against Go's Match too,
// so the expected lists cannot drift from the filter language.

// segmentFixture is a handful of contacts that the table tests reason about.
func segmentFixture() []filterContact {
	return []filterContact{
		{
			c: &model.Contact{ID: "ana", Score: 60, Scores: map[string]int64{"fit": 40, "engagement": 20}, Grade: "hot", DealStage: "mql",
				Tags: []string{"vip", "Newsletter"}, Segments: []string{"mql"}, CreatedAt: msOf(filterNow.Add(-90 * day)), LastActivityAt: ptr(msOf(filterNow.Add(-10 * day)))},
			attrs: `{"job_role":"Student","age":25,"age_s":"25","n_us":"1_000","flag":true,"one":1,"list":["a","B",3,[4],{"x":1}],` +
				`"address":{"city":"Paris","zip":"75001"},"address.city":"Lyon","signup":"2025-01-01T10:00:00+01:00","nested":{"a":{"b":"deep"}},` +
				`"kelvin":"\u212Aelvin","istanbul":"\u0130stanbul","cafe":"CAFÉ","q\"k":"quoted","empty":"","nul":null,"obj":{},"big":9007199254740993}`,
			events: []filterEvent{
				{typ: "email_opened", ts: filterNow.Add(-70 * day)},
				{typ: "page_visited", ts: filterNow.Add(-5 * day), props: `{"url":"https://x.io/Blog/go","context":{"page":"home"}}`},
				{typ: "page_visited", ts: filterNow.Add(-1 * day), props: `{"url":"/pricing","context.page":"flat"}`},
			},
			ledger: []filterLedger{
				{"engagement", 15, msOf(filterNow.Add(-day))}, {"engagement", 10, msOf(filterNow.Add(-3 * day))},
				{"fit", -8, msOf(filterNow.Add(-2 * day))},
				{"engagement", 100, msOf(filterNow.Add(-7 * day))}, // on the 7-day window's first ms: out of (now-7d, now]
				{"engagement", 40, msOf(filterNow.Add(-10 * day))},
			},
		},
		{
			c: &model.Contact{ID: "ben", Score: 10, Tags: []string{}, Segments: []string{}, CreatedAt: msOf(filterNow.Add(-10 * day)),
				Disqualified: &model.Disqualification{At: filterNow.Add(-day), Reason: "spam"}},
			attrs: `{"job_role":"unemployed","age":"30","flag":1,"signup":"2025-03-01T5:00:00.5Z"}`,
			events: []filterEvent{
				{typ: "email_opened", ts: filterNow.Add(-day), props: `{"campaign":"spring","n":2}`},
				{typ: "email_opened", ts: filterNow.Add(-2 * day), props: `{"campaign":"Spring","n":3}`},
				{typ: "email_opened", ts: filterNow.Add(-3 * day), props: `{"campaign":"summer","n":"4"}`},
			},
			ledger: []filterLedger{
				{"engagement", -5, msOf(filterNow.Add(-23 * time.Hour))},
				{"engagement", 30, msOf(filterNow.Add(time.Hour))}, // stamped ahead of now: not in yet
			},
		},
		{
			c:      &model.Contact{ID: "cy", Score: -5, Grade: "cold", Tags: []string{"Student"}, Segments: []string{}, CreatedAt: msOf(filterNow.Add(-400 * day))},
			attrs:  `{"job_role":"CEO","age":40.5,"list":[1,"2",[3],{"x":1}],"signup":"not a time"}`,
			ledger: []filterLedger{{"fit", 25, msOf(filterNow.Add(-6 * day))}},
		},
		{
			c:     &model.Contact{ID: "dee", Tags: []string{}, Segments: []string{}, CreatedAt: msOf(filterNow)},
			attrs: `{}`,
		},
		{
			c: &model.Contact{ID: "eve", Score: 5, Tags: []string{}, Segments: []string{"dead-end"}, CreatedAt: msOf(filterNow.Add(-30 * day)),
				LastActivityAt: ptr(msOf(filterNow.Add(-61 * day)))},
			attrs: `{"job_role":"STUDENT"}`,
			events: []filterEvent{
				{typ: "page_visited", ts: filterNow.Add(-61 * day), props: `{"url":"/blog/old"}`},
			},
		},
	}
}

// deadEndFilter is the dead-end playbook's segment: no email opened and no
// blog page read in 60 days, a student or unemployed.
const deadEndFilter = `{"all":[{"event":"email_opened","within":"60d","count":{"op":"eq","value":0}},
	{"field":"attributes.job_role","op":"in","value":["student","unemployed"]},
	{"event":"page_visited","where":{"field":"url","op":"contains","value":"/blog/"},"within":"60d","count":{"op":"eq","value":0}}]}`

// segmentCases are filters and the contacts of segmentFixture they match.
var segmentCases = []struct {
	name, filter string
	want         []string
}{
	{"dead-end playbook", deadEndFilter, []string{"eve"}},
	{"opened an email in 60 days", `{"event":"email_opened","within":"60d","count":{"op":"gte","value":1}}`, []string{"ben"}},
	{"opened ever (default count)", `{"event":"email_opened"}`, []string{"ana", "ben"}},
	{"count eq 2 of 3", `{"event":"email_opened","within":"2d","count":{"op":"eq","value":2}}`, []string{"ben"}},
	{"count gt 2", `{"event":"email_opened","count":{"op":"gt","value":2}}`, []string{"ben"}},
	{"count lte 1", `{"event":"email_opened","count":{"op":"lte","value":1}}`, []string{"ana", "cy", "dee", "eve"}},
	{"count lt 3", `{"event":"email_opened","count":{"op":"lt","value":3}}`, []string{"ana", "cy", "dee", "eve"}},
	{"count neq 0", `{"event":"email_opened","count":{"op":"neq","value":0}}`, []string{"ana", "ben"}},
	{"count gte 0 is everyone", `{"event":"nothing","count":{"op":"gte","value":0}}`, []string{"ana", "ben", "cy", "dee", "eve"}},
	{"where case-insensitive", `{"event":"email_opened","where":{"field":"campaign","op":"eq","value":"SPRING"},"count":{"op":"eq","value":2}}`, []string{"ben"}},
	{"where numeric string is not a number for eq", `{"event":"email_opened","where":{"field":"n","op":"eq","value":4}}`, nil},
	{"where numeric string for gt", `{"event":"email_opened","where":{"field":"n","op":"gt","value":3.5}}`, []string{"ben"}},
	{"where nested property", `{"event":"page_visited","where":{"field":"context.page","op":"eq","value":"home"}}`, []string{"ana"}},
	{"where dotted key wins", `{"event":"page_visited","where":{"field":"context.page","op":"eq","value":"flat"}}`, []string{"ana"}},
	{"where missing property neq", `{"event":"page_visited","where":{"field":"nope","op":"neq","value":"x"}}`, []string{"ana", "eve"}},
	{"in ignores case", `{"field":"attributes.job_role","op":"in","value":["student","ceo"]}`, []string{"ana", "cy", "eve"}},
	{"nin is true on missing", `{"field":"attributes.job_role","op":"nin","value":["student","ceo"]}`, []string{"ben", "dee"}},
	{"neq is true on missing", `{"field":"attributes.job_role","op":"neq","value":"CEO"}`, []string{"ana", "ben", "dee", "eve"}},
	{"number eq", `{"field":"attributes.age","op":"eq","value":25}`, []string{"ana"}},
	{"numeric string is a number for gte", `{"field":"attributes.age","op":"gte","value":30}`, []string{"ben", "cy"}},
	{"underscored numeric string", `{"field":"attributes.n_us","op":"eq","value":1000}`, nil},
	{"underscored numeric string for gt", `{"field":"attributes.n_us","op":"gt","value":999}`, []string{"ana"}},
	{"true is not 1", `{"field":"attributes.flag","op":"eq","value":true}`, []string{"ana"}},
	{"1 is not true", `{"field":"attributes.flag","op":"eq","value":1}`, []string{"ben"}},
	{"big integer compares as float64", `{"field":"attributes.big","op":"eq","value":9007199254740992}`, []string{"ana"}},
	{"array any element", `{"field":"attributes.list","op":"eq","value":"b"}`, []string{"ana"}},
	{"array contains is element equality", `{"field":"attributes.list","op":"contains","value":"2"}`, []string{"cy"}},
	{"array numeric string element for gt", `{"field":"attributes.list","op":"gt","value":1.5}`, []string{"ana", "cy"}},
	{"array not_contains", `{"field":"attributes.list","op":"not_contains","value":"a"}`, []string{"ben", "cy", "dee", "eve"}},
	{"string contains is substring", `{"field":"attributes.job_role","op":"contains","value":"EMPLOY"}`, []string{"ben"}},
	{"starts_with", `{"field":"attributes.job_role","op":"starts_with","value":"stu"}`, []string{"ana", "eve"}},
	{"ends_with", `{"field":"attributes.job_role","op":"ends_with","value":"Ed"}`, []string{"ben"}},
	{"Kelvin sign lowercases to k", `{"field":"attributes.kelvin","op":"eq","value":"KELVIN"}`, []string{"ana"}},
	{"dotted İ lowercases to i", `{"field":"attributes.istanbul","op":"starts_with","value":"ist"}`, []string{"ana"}},
	{"non-ASCII case folding", `{"field":"attributes.cafe","op":"eq","value":"café"}`, []string{"ana"}},
	{"quoted key", `{"field":"attributes.q\"k","op":"eq","value":"QUOTED"}`, []string{"ana"}},
	{"exact dotted key first", `{"field":"attributes.address.city","op":"eq","value":"lyon"}`, []string{"ana"}},
	{"nested walk", `{"field":"attributes.address.zip","op":"eq","value":"75001"}`, []string{"ana"}},
	{"deep nested walk", `{"field":"attributes.nested.a.b","op":"eq","value":"deep"}`, []string{"ana"}},
	{"exists: empty string yes, null no, object yes", `{"any":[{"field":"attributes.empty","op":"exists"},{"field":"attributes.obj","op":"exists"}]}`, []string{"ana"}},
	{"null does not exist", `{"field":"attributes.nul","op":"not_exists"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
	{"objects never match", `{"field":"attributes.obj","op":"neq","value":"x"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
	{"eq null matches nothing", `{"field":"attributes.nul","op":"eq","value":null}`, nil},
	{"RFC3339 attribute as time", `{"field":"attributes.signup","op":"gt","value":"2025-01-01T08:59:59Z"}`, []string{"ana", "ben"}},
	{"RFC3339 offset honoured", `{"field":"attributes.signup","op":"lte","value":"2025-01-01T09:00:00Z"}`, []string{"ana"}},
	{"one-digit hour time", `{"field":"attributes.signup","op":"newer_than","value":"10d"}`, []string{"ben"}},
	{"older_than on a string time", `{"field":"attributes.signup","op":"older_than","value":"30d"}`, []string{"ana"}},
	{"not a time matches neither", `{"any":[{"field":"attributes.signup","op":"older_than","value":"1d"},{"field":"attributes.signup","op":"newer_than","value":"1d"}]}`, []string{"ana", "ben"}},
	{"created_at older_than", `{"field":"created_at","op":"older_than","value":"60d"}`, []string{"ana", "cy"}},
	// eve was created at now-30d cut to the ms, before now-30d itself.
	{"created_at newer_than", `{"field":"created_at","op":"newer_than","value":"30d"}`, []string{"ben", "dee"}},
	{"last_activity_at missing", `{"field":"last_activity_at","op":"newer_than","value":"30d"}`, []string{"ana"}},
	{"last_activity_at not older is not newer", `{"not":{"field":"last_activity_at","op":"older_than","value":"30d"}}`, []string{"ana", "ben", "cy", "dee"}},
	{"created_at eq time", `{"field":"created_at","op":"eq","value":"` + msOf(filterNow).Format(time.RFC3339Nano) + `"}`, []string{"dee"}},
	{"created_at eq time with ns never", `{"field":"created_at","op":"eq","value":"` + filterNow.Format(time.RFC3339Nano) + `"}`, nil},
	{"created_at lt ns time", `{"field":"created_at","op":"lt","value":"` + filterNow.Format(time.RFC3339Nano) + `"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
	{"score", `{"field":"score","op":"gte","value":10}`, []string{"ana", "ben"}},
	{"score.fit missing is 0", `{"field":"score.fit","op":"lt","value":10}`, []string{"ben", "cy", "dee", "eve"}},
	{"score in", `{"field":"score","op":"in","value":[5,-5,"60"]}`, []string{"cy", "eve"}},
	{"grade empty is absent", `{"field":"grade","op":"not_exists"}`, []string{"ben", "dee", "eve"}},
	{"grade neq", `{"field":"grade","op":"neq","value":"HOT"}`, []string{"ben", "cy", "dee", "eve"}},
	{"deal_stage", `{"field":"deal_stage","op":"eq","value":"MQL"}`, []string{"ana"}},
	{"tags contains", `{"field":"tags","op":"contains","value":"student"}`, []string{"cy"}},
	{"tags not_contains", `{"field":"tags","op":"not_contains","value":"VIP"}`, []string{"ben", "cy", "dee", "eve"}},
	{"tags exists even empty", `{"field":"tags","op":"exists"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
	{"segments", `{"field":"segments","op":"contains","value":"dead-end"}`, []string{"eve"}},
	{"disqualified", `{"field":"disqualified","op":"eq","value":true}`, []string{"ben"}},
	{"not disqualified", `{"field":"disqualified","op":"neq","value":true}`, []string{"ana", "cy", "dee", "eve"}},
	{"all of nothing", `{"all":[]}`, []string{"ana", "ben", "cy", "dee", "eve"}},
	{"any of nothing", `{"any":[]}`, nil},
	{"mql playbook", `{"all":[{"field":"score","op":"gte","value":50},{"field":"disqualified","op":"eq","value":false}]}`, []string{"ana"}},
	{"score_change over every dimension", `{"field":"score_change","within":"7d","op":"gte","value":20}`, []string{"cy"}},
	{"score_change on one dimension", `{"field":"score_change.engagement","within":"7d","op":"gte","value":20}`, []string{"ana"}},
	{"score_change: the window's first ms is out, its last in", `{"field":"score_change","within":"8d","op":"eq","value":117}`, []string{"ana"}},
	{"score_change lost points", `{"field":"score_change","within":"7d","op":"lt","value":0}`, []string{"ben"}},
	{"score_change with no rows is 0", `{"field":"score_change.fit","within":"7d","op":"lte","value":0}`, []string{"ana", "ben", "dee", "eve"}},
	{"score_change negated", `{"not":{"field":"score_change","within":"7d","op":"neq","value":0}}`, []string{"dee", "eve"}},
	{"score_change over 30 days", `{"field":"score_change","within":"30d","op":"eq","value":157}`, []string{"ana"}},
	{"score_change and a field", `{"all":[{"field":"score_change","within":"1d","op":"lt","value":0},{"field":"score","op":"gte","value":10}]}`, []string{"ben"}},
	{"injection in a name and a value", `{"field":"attributes.x') OR 1=1 --","op":"eq","value":"' OR '1'='1"}`, nil},
}

func testSegmentMatchTable(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	fixture := segmentFixture()
	writeFilterContacts(t, s, fixture)
	tx, err := s.Begin(ctx)
	noErr(t, err)
	defer tx.Rollback()
	views := loadViews(t, tx, fixture)
	for _, tc := range segmentCases {
		t.Run(tc.name, func(t *testing.T) {
			f := parseContactFilter(t, tc.filter)
			want := tc.want
			if want == nil {
				want = []string{}
			}
			deepEqual(t, "Go Match", goMatches(t, f, views), want)
			n, sample, err := s.MatchContacts(ctx, f, filterNow, 100)
			noErr(t, err)
			got := ids(sample)
			slices.Sort(got)
			deepEqual(t, "MatchContacts sample", got, want)
			if int(n) != len(want) {
				t.Errorf("MatchContacts count = %d, want %d", n, len(want))
			}
			entered, exited, err := tx.SegmentMovers("table", f, filterNow)
			noErr(t, err)
			deepEqual(t, "SegmentMovers entered (no members)", nonNil(entered), want)
			deepEqual(t, "SegmentMovers exited (no members)", nonNil(exited), []string{})
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
