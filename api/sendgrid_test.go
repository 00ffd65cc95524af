package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// sendGridSample is a webhook post as SendGrid sends it: one array with
// every kind of event (fields as in SendGrid's own samples).
const sendGridSample = `[
  {"email": "ana@acme.test", "timestamp": 1795428000, "event": "processed", "sg_event_id": "sg-processed-1",
   "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0", "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "category": "cat facts"},
  {"email": "ana@acme.test", "timestamp": 1795428001, "event": "delivered", "sg_event_id": "sg-delivered-1", "response": "250 OK"},
  {"email": "ana@acme.test", "timestamp": 1795428002, "event": "open", "sg_event_id": "sg-open-1", "sg_machine_open": false,
   "useragent": "Mozilla/5.0", "ip": "192.0.2.1", "marketing_campaign_name": "November newsletter", "category": ["newsletter", "nov"]},
  {"email": "ana@acme.test", "timestamp": 1795428003, "event": "open", "sg_event_id": "sg-open-machine", "sg_machine_open": true,
   "useragent": "Mozilla/5.0", "marketing_campaign_name": "November newsletter"},
  {"email": "Ana@Acme.test", "timestamp": "1795428004", "event": "click", "sg_event_id": "sg-click-1",
   "url": "https://acme.test/pricing?utm_source=sendgrid", "url_offset": {"index": 0, "type": "html"}, "category": ["nurture-2", "x"]},
  {"email": "bo@acme.test", "timestamp": 1795428005, "event": "unsubscribe", "sg_event_id": "sg-unsub-1", "category": "weekly"},
  {"email": "bo@acme.test", "timestamp": 1795428006, "event": "group_unsubscribe", "sg_event_id": "sg-gunsub-1", "asm_group_id": 10},
  {"email": "cy@acme.test", "timestamp": 1795428007, "event": "spamreport", "sg_event_id": "sg-spam-1"},
  {"email": "dee@acme.test", "timestamp": 1795428008, "event": "bounce", "sg_event_id": "sg-bounce-1", "type": "bounce",
   "reason": "500 unknown recipient", "status": "5.0.0", "bounce_classification": "Invalid Address"},
  {"email": "eve@acme.test", "timestamp": 1795428009, "event": "dropped", "sg_event_id": "sg-dropped-1", "reason": "Bounced Address", "status": "5.0.0"},
  {"email": "eve@acme.test", "timestamp": 1795428010, "event": "deferred", "sg_event_id": "sg-deferred-1", "attempt": "5"},
  {"email": "eve@acme.test", "timestamp": 1795428011, "event": "group_resubscribe", "sg_event_id": "sg-gresub-1"},
  {"email": "eve@acme.test", "timestamp": 1795428012, "event": "something_new", "sg_event_id": "sg-new-1"},
  {"timestamp": 1795428013, "event": "open", "sg_event_id": "sg-no-email"}
]`

func TestSendGridWebhook(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})

	r := apptest.Do(t, a, http.MethodPost, "/webhooks/sendgrid?key="+writeKey, sendGridSample)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"accepted": 7, "ignored": 7}`, string(r.Body))
	apptest.WaitApplied(t, a, 7)
	apptest.WaitIdle(t, a)
	assert.Equal(t, uint64(7), a.Engine.Stats().Applied)

	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	ana := byID(timeline(t, a, "ana@acme.test"))
	require.Len(t, ana, 2, "the open and the click; not the machine open, processed or delivered: %v", ana)
	open := ana["sg-open-1"]
	assert.Equal(t, "email_opened", open.Type)
	assert.Equal(t, "November newsletter", open.Properties["email"], "marketing_campaign_name before category")
	assert.Equal(t, at(1795428002), open.Timestamp)
	click := ana["sg-click-1"]
	assert.Equal(t, "email_clicked", click.Type)
	assert.Equal(t, "https://acme.test/pricing?utm_source=sendgrid", click.Properties["link"])
	assert.Equal(t, "nurture-2", click.Properties["email"], "the first category of an array")
	assert.Equal(t, at(1795428004), click.Timestamp, "a timestamp as a string")
	assert.Equal(t, "ana@acme.test", apptest.Contact(t, a, "ana@acme.test").Email)

	bo := byID(timeline(t, a, "bo@acme.test"))
	require.Len(t, bo, 2)
	assert.Equal(t, "email_unsubscribed", bo["sg-unsub-1"].Type)
	assert.Equal(t, "weekly", bo["sg-unsub-1"].Properties["email"])
	assert.Equal(t, "email_unsubscribed", bo["sg-gunsub-1"].Type)
	assert.Equal(t, "group_unsubscribe", bo["sg-gunsub-1"].Properties["sendgrid_event"])

	cy := timeline(t, a, "cy@acme.test")
	require.Len(t, cy, 1)
	assert.Equal(t, "email_unsubscribed", cy[0].Type)
	assert.Equal(t, "spamreport", cy[0].Properties["sendgrid_event"])

	dee := timeline(t, a, "dee@acme.test")
	require.Len(t, dee, 1)
	assert.Equal(t, "email_bounced", dee[0].Type)
	assert.Equal(t, "500 unknown recipient", dee[0].Properties["reason"])

	eve := timeline(t, a, "eve@acme.test")
	require.Len(t, eve, 1, "dropped counts; deferred, group_resubscribe and unknown types are ignored")
	assert.Equal(t, "email_bounced", eve[0].Type)
	assert.Equal(t, "sg-dropped-1", eve[0].ID)

	// SendGrid retries a post it thinks failed: nothing is applied twice.
	r = apptest.Do(t, a, http.MethodPost, "/webhooks/sendgrid", sendGridSample, authHeader("Bearer "+writeKey)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	apptest.WaitIdle(t, a)
	assert.Equal(t, uint64(7), a.Engine.Stats().Applied)
}

func TestSendGridErrorsAndAuth(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})
	one := `[{"email": "x@acme.test", "event": "open", "sg_event_id": "auth-1", "timestamp": 1795428000}]`
	runScenarios(t, a, []scenario{
		{name: "no key", method: http.MethodPost, url: "/webhooks/sendgrid", body: one, status: http.StatusUnauthorized,
			check: wantError("unauthorized"), contains: []string{"?key="}},
		{name: "wrong query key", method: http.MethodPost, url: "/webhooks/sendgrid?key=nope", body: one, status: http.StatusUnauthorized,
			check: wantError("unauthorized")},
		{name: "wrong bearer", method: http.MethodPost, url: "/webhooks/sendgrid", body: one, headers: authHeader("Bearer nope"),
			status: http.StatusUnauthorized},
		{name: "write key as basic-auth user", method: http.MethodPost, url: "/webhooks/sendgrid", body: one,
			headers: []string{"Authorization", basic(writeKey)}, status: http.StatusOK, contains: []string{`"accepted":1`}},
		{name: "admin key in the query", method: http.MethodPost, url: "/webhooks/sendgrid?key=" + adminKey, body: one, status: http.StatusOK},
		{name: "malformed JSON", method: http.MethodPost, url: "/webhooks/sendgrid?key=" + writeKey, body: `[{"event": `,
			status: http.StatusBadRequest, check: wantError("invalid_json")},
		{name: "an object, not an array", method: http.MethodPost, url: "/webhooks/sendgrid?key=" + writeKey, body: `{"event": "open"}`,
			status: http.StatusBadRequest, check: wantError("invalid_json")},
		{name: "empty array", method: http.MethodPost, url: "/webhooks/sendgrid?key=" + writeKey, body: `[]`,
			status: http.StatusOK, contains: []string{`"accepted":0`}},
		{name: "odd items are ignored", method: http.MethodPost, url: "/webhooks/sendgrid?key=" + writeKey,
			body:   `[1, "x", null, {"event": 5}, {"event": "open", "email": "no-at-sign"}, {"event": "click", "email": "t@acme.test", "timestamp": "soon", "url": 7, "category": [1, {}]}]`,
			status: http.StatusOK, contains: []string{`"accepted":1`, `"ignored":5`}},
		{name: "GET is not allowed", method: http.MethodGet, url: "/webhooks/sendgrid", status: http.StatusMethodNotAllowed,
			check: wantError("method_not_allowed")},
	})
}

// signSendGrid signs like SendGrid: ECDSA P-256 over SHA-256 of the
// timestamp followed by the body, ASN.1, base64.
func signSendGrid(t *testing.T, key *ecdsa.PrivateKey, timestamp, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(timestamp + body))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

func TestSendGridSignedWebhook(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey, SendGridVerificationKey: base64.StdEncoding.EncodeToString(der)})
	body := `[{"email": "signed@acme.test", "event": "open", "sg_event_id": "signed-1", "timestamp": 1795428000}]`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	good := signSendGrid(t, key, ts, body)
	url := "/webhooks/sendgrid?key=" + writeKey
	headers := func(sig, ts string) []string {
		return []string{"X-Twilio-Email-Event-Webhook-Signature", sig, "X-Twilio-Email-Event-Webhook-Timestamp", ts}
	}
	runScenarios(t, a, []scenario{
		{name: "no signature", method: http.MethodPost, url: url, body: body, status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "signature without timestamp", method: http.MethodPost, url: url, body: body, headers: headers(good, ""),
			status: http.StatusUnauthorized},
		{name: "signed by another key", method: http.MethodPost, url: url, body: body, headers: headers(signSendGrid(t, other, ts, body), ts),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "another timestamp", method: http.MethodPost, url: url, body: body, headers: headers(good, ts+"1"),
			status: http.StatusUnauthorized},
		{name: "a changed body", method: http.MethodPost, url: url, body: body[:len(body)-1] + " ]", headers: headers(good, ts),
			status: http.StatusUnauthorized},
		{name: "signature not base64", method: http.MethodPost, url: url, body: body, headers: headers("%%%", ts),
			status: http.StatusUnauthorized},
		{name: "garbage signature", method: http.MethodPost, url: url, body: body, headers: headers(base64.StdEncoding.EncodeToString([]byte("nope")), ts),
			status: http.StatusUnauthorized},
		{name: "the key is still needed", method: http.MethodPost, url: "/webhooks/sendgrid", body: body, headers: headers(good, ts),
			status: http.StatusUnauthorized},
		{name: "signed", method: http.MethodPost, url: url, body: body, headers: headers(good, ts), status: http.StatusOK,
			contains: []string{`"accepted":1`}},
	})
	apptest.WaitApplied(t, a, 1)
	apptest.WaitIdle(t, a)
	assert.Equal(t, uint64(1), a.Engine.Stats().Applied, "nothing refused was applied")
}

func TestParseSendGridKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString(der)
	pemKey := "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n"

	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	der384, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	require.NoError(t, err)

	for _, good := range []string{b64, " " + b64 + "\n", pemKey} {
		got, err := api.ParseSendGridKey(good)
		require.NoError(t, err)
		assert.True(t, got.Equal(&key.PublicKey))
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString([]byte("not DER")), base64.StdEncoding.EncodeToString(der384)} {
		_, err := api.ParseSendGridKey(bad)
		assert.Error(t, err, bad)
	}
	_, err = app.Start(t.Context(), app.Config{DataDir: t.TempDir(), NATSListen: "off", SendGridVerificationKey: "bad"})
	require.Error(t, err, "a bad key stops the start")
	assert.Contains(t, err.Error(), "--sendgrid-verification-key")
}
