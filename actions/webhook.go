package actions

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
)

// MaxWebhookHeaders bounds how many headers one webhook node may send.
const MaxWebhookHeaders = 50

// forbiddenHeaders are set by the delivery itself.
var forbiddenHeaders = map[string]bool{"Host": true, "Content-Length": true}

func init() {
	flows.Register(flows.Spec{
		Type:  "action.webhook",
		Kind:  flows.KindAction,
		Title: "Send webhook",
		Description: "POSTs the contact and the event that started the run as JSON to a URL, such as a CRM or " +
			"Slack endpoint. The call is sent after the contact's changes are saved, and retried if it fails.",
		Fields: []flows.Field{
			{
				Name:     "url",
				Type:     flows.TypeString,
				Required: true,
				Description: "The address to POST to: an absolute http or https URL, such as " +
					"\"https://hooks.example.com/scoreflow\".",
			},
			{
				Name: "headers",
				Type: flows.TypeStringMap,
				Description: "Extra HTTP headers to send, such as {\"Authorization\": \"Bearer …\"}. " +
					"Host and Content-Length are set by Scoreflow and cannot be given.",
			},
		},
		NewStep: newWebhook,
	})
}

// webhook queues one delivery per run.
type webhook struct {
	url     string
	host    string // names the target in errors without the URL's path and query, which may hold a secret
	headers map[string]string
}

func newWebhook(cfg flows.Config) (flows.Step, error) {
	raw := strings.TrimSpace(cfg.String("url"))
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, flows.BadField("url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow")
	}
	headers := cfg.StringMap("headers")
	if len(headers) > MaxWebhookHeaders {
		return nil, flows.BadField("headers", "may have at most %d headers", MaxWebhookHeaders)
	}
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names) // report the same header first every time
	for _, name := range names {
		if err := checkHeader(name, headers[name]); err != nil {
			return nil, err
		}
	}
	if len(headers) == 0 {
		headers = nil
	}
	return &webhook{url: raw, host: u.Host, headers: headers}, nil
}

func checkHeader(name, value string) error {
	if !isToken(name) {
		return flows.BadField("headers."+name, "is not a valid header name: use letters, digits and - only")
	}
	if forbiddenHeaders[http.CanonicalHeaderKey(name)] {
		return flows.BadField("headers."+name, "is set by Scoreflow and cannot be given")
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c == '\r' || c == '\n' || c == 0 {
			return flows.BadField("headers."+name, "must not contain line breaks or NUL characters")
		}
	}
	return nil
}

// isToken reports whether s is an HTTP token (RFC 9110 §5.6.2), the syntax
// of a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Run hands the outbox its own copy of the headers, so a delivery never
// shares a map with the compiled flow.
func (s *webhook) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.QueueWebhook(s.url, maps.Clone(s.headers)); err != nil {
		return flows.Outcome{}, fmt.Errorf("queue webhook to %s: %w", s.host, err)
	}
	return flows.Outcome{}, nil
}
