package api

import (
	"encoding/json"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/flows"
)

// The OpenAPI 3 document of every route, served at GET /api/v1/openapi.json.
// It is written by hand next to the routes (openapi_test.go checks that
// every registered route is in it), in Go rather than as a file so that
// shapes used by several operations are written once.

type obj = map[string]any

var (
	openAPIOnce    sync.Once
	openAPIDocJSON []byte
)

func (s *Server) openAPI(c *fiber.Ctx) error {
	openAPIOnce.Do(func() {
		// The document is static; encode it once.
		openAPIDocJSON, _ = json.Marshal(OpenAPI())
	})
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(openAPIDocJSON)
}

// Security requirements of the three kinds of endpoints.
var (
	secAdmin   = []any{obj{"bearerKey": []any{}}}
	secIngest  = []any{obj{"bearerKey": []any{}}}
	secSegment = []any{obj{"segmentBasic": []any{}}, obj{}} // or writeKey in the body
	secWebhook = []any{obj{"bearerKey": []any{}}, obj{"segmentBasic": []any{}}, obj{"queryKey": []any{}}}
	secNone    = []any{}
)

func schemaRef(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func respRef(name string) obj { return obj{"$ref": "#/components/responses/" + name} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func body(schema obj, desc string) obj {
	return obj{"required": true, "description": desc, "content": jsonContent(schema)}
}

func ok(desc string, schema obj) obj {
	if schema == nil {
		return obj{"description": desc}
	}
	return obj{"description": desc, "content": jsonContent(schema)}
}

func arrayOf(schema obj) obj { return obj{"type": "array", "items": schema} }

func str(desc string) obj { return obj{"type": "string", "description": desc} }

func integer(desc string) obj { return obj{"type": "integer", "description": desc} }

func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "description": desc, "schema": schema}
}

var idParam = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"},
	"description": "the id, percent-encoded where needed"}

// operation builds one operation; errs names the error responses it may
// give beyond the ones every authenticated operation may give.
func operation(tag, summary string, sec []any, params []any, reqBody obj, responses obj, errs ...string) obj {
	op := obj{"tags": []any{tag}, "summary": summary, "security": sec, "responses": responses}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if reqBody != nil {
		op["requestBody"] = reqBody
	}
	if len(sec) > 0 {
		errs = append(errs, "401", "429")
	}
	errs = append(errs, "500")
	names := map[string]string{"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
		"405": "MethodNotAllowed", "409": "Conflict", "413": "TooLarge", "429": "RateLimited", "500": "Internal",
		"503": "NoOwner"}
	for _, code := range errs {
		responses[code] = respRef(names[code])
	}
	return op
}

// OpenAPI returns the document.
func OpenAPI() obj {
	limit := queryParam("limit", "how many to return", obj{"type": "integer", "minimum": 1})
	admin403 := "403"
	paths := obj{
		"/healthz": obj{"get": operation("operations", "Liveness: 200 while the process lives", secNone, nil, nil,
			obj{"200": ok("alive", object(obj{"status": str("ok")}))})},
		"/readyz": obj{"get": operation("operations", "Readiness of this replica: 200 once its engine started while its store and NATS answer, whether or not it owns a partition now", secNone, nil, nil,
			obj{"200": ok("ready", object(obj{"status": str("ready")})), "503": ok("starting, or a dependency is unreachable",
				object(obj{"status": str("starting or unavailable"), "unavailable": str("what does not answer: store or nats")}))})},
		"/metrics": obj{"get": operation("operations", "Prometheus metrics in the text exposition format", secNone, nil, nil,
			obj{"200": obj{"description": "metrics", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}})},
		"/api/v1/openapi.json": obj{"get": operation("operations", "This document", secAdmin, nil, nil,
			obj{"200": ok("the OpenAPI document", obj{"type": "object"})}, admin403)},

		"/api/v1/events": obj{"post": operation("ingest", "Ingest one event or a batch of up to 1000 (all or nothing); answered once stored in JetStream",
			secIngest, nil, body(obj{"oneOf": []any{schemaRef("Event"), schemaRef("EventBatch")}}, "one event, or {\"events\": [...]}"),
			obj{"202": ok("stored on the stream; applied shortly after", schemaRef("Accepted"))}, "400", "413")},

		"/api/v1/node-types": obj{"get": operation("flows", "Every node type with its config spec", secAdmin, nil, nil,
			obj{"200": ok("node types", object(obj{"node_types": arrayOf(schemaRef("NodeType"))}))}, admin403)},
		"/api/v1/flows": obj{
			"get": operation("flows", "List flows", secAdmin, nil, nil,
				obj{"200": ok("flows", object(obj{"flows": arrayOf(schemaRef("Flow"))}))}, admin403),
			"post": operation("flows", "Create a flow (version 1); an id is generated when missing", secAdmin, nil, body(schemaRef("Flow"), "the flow"),
				obj{"201": ok("created", schemaRef("Flow"))}, "400", admin403, "409", "413"),
		},
		"/api/v1/flows/validate": obj{"post": operation("flows", "Validate a flow without saving it", secAdmin, nil, body(schemaRef("Flow"), "the flow"),
			obj{"200": ok("the verdict", schemaRef("Validation"))}, admin403, "413")},
		"/api/v1/flows/{id}": obj{
			"get": operation("flows", "Get a flow", secAdmin, []any{idParam}, nil,
				obj{"200": ok("the flow", schemaRef("Flow"))}, admin403, "404"),
			"put": operation("flows", "Save a new version; a stale \"version\" answers 409", secAdmin, []any{idParam}, body(schemaRef("Flow"), "the flow"),
				obj{"200": ok("saved", schemaRef("Flow"))}, "400", admin403, "404", "409", "413"),
			"delete": operation("flows", "Delete a flow (its versions stay for history)", secAdmin, []any{idParam}, nil,
				obj{"204": ok("deleted", nil)}, admin403, "404"),
		},
		"/api/v1/flows/{id}/versions": obj{"get": operation("flows", "Every version of a flow, newest first", secAdmin, []any{idParam}, nil,
			obj{"200": ok("versions", object(obj{"versions": arrayOf(object(obj{
				"version": integer(""), "created_at": obj{"type": "string", "format": "date-time"}, "flow": schemaRef("Flow")}))}))}, admin403, "404")},
		"/api/v1/flows/{id}/stats": obj{"get": operation("flows", "Runs through each node over a window", secAdmin,
			[]any{idParam, queryParam("window", "a duration such as 1h or 7d; default 24h", obj{"type": "string"})}, nil,
			obj{"200": ok("counters", schemaRef("FlowStats"))}, "400", admin403, "404")},

		"/api/v1/scoring-matrix": obj{"get": operation("flows", "Every scoring rule of the enabled flows: trigger, conditions, delays, dimension, points",
			secAdmin, []any{queryParam("disabled", "true: include disabled flows", obj{"type": "boolean"})}, nil,
			obj{"200": ok("rules", object(obj{"rules": arrayOf(schemaRef("ScoringRule"))}))}, admin403)},
		"/api/v1/dashboard": obj{"get": operation("ui", "Contacts by grade, score histogram, events per minute, busiest flows, recent disqualifications",
			secAdmin, nil, nil, obj{"200": ok("the dashboard", schemaRef("Dashboard"))}, admin403)},
		"/api/v1/catalog": obj{"get": operation("ui", "Names the config pickers offer: event types, tags, fields, scores, stages, segments, contact fields",
			secAdmin, nil, nil, obj{"200": ok("the catalog", object(obj{
				"event_types": arrayOf(str("")), "tags": arrayOf(str("")), "fields": arrayOf(str("")),
				"scores": arrayOf(str("")), "stages": arrayOf(str("")), "grades": arrayOf(str("")),
				"segments":           arrayOf(object(obj{"id": str(""), "name": str("")})),
				"contact_fields":     arrayOf(schemaRef("ContactField")),
				"account_attributes": arrayOf(str("attribute names of the top accounts, for account.attributes.<name>"))}))}, admin403)},

		"/api/v1/contacts": obj{"get": operation("contacts", "List contacts by score, with filters and a cursor", secAdmin, []any{
			queryParam("segment", "only members of this segment", obj{"type": "string"}),
			queryParam("grade", "only this grade", obj{"type": "string"}),
			queryParam("tag", "only contacts with this tag", obj{"type": "string"}),
			queryParam("q", "id, email or any attribute value contains this, ignoring case", obj{"type": "string"}),
			queryParam("sort", "-score (default) or score", obj{"type": "string", "enum": []any{"-score", "score"}}),
			queryParam("limit", "page size, 1..1000, default 50", obj{"type": "integer", "minimum": 1, "maximum": 1000}),
			queryParam("cursor", "next_cursor of the previous page", obj{"type": "string"}),
		}, nil, obj{"200": ok("a page", schemaRef("ContactPage"))}, "400", admin403)},
		"/api/v1/contacts/{id}": obj{
			"get": operation("contacts", "Get a contact", secAdmin, []any{idParam}, nil,
				obj{"200": ok("the contact", schemaRef("Contact"))}, admin403, "404"),
			"put": operation("contacts", "Change attributes (merged; null removes one) and email, through the event stream",
				secAdmin, []any{idParam}, body(schemaRef("ContactChange"), "the change"),
				obj{"200": ok("applied; the contact after the change", schemaRef("Contact")),
					"202": ok("stored on the stream but not applied within 5s", schemaRef("Accepted"))}, "400", admin403, "404", "413"),
			"delete": operation("contacts", "Delete a contact with its events, score history, memberships and parked runs",
				secAdmin, []any{idParam}, nil, obj{"204": ok("deleted", nil)}, admin403, "404", "503"),
		},
		"/api/v1/contacts/{id}/merge": obj{"post": operation("contacts", "Merge other contacts into this one, through the event stream (CONTRACT §9)",
			secAdmin, []any{idParam}, body(object(obj{"from": arrayOf(str("a contact id"))}), "the contacts to merge"),
			obj{"200": ok("applied; the survivor with merged_from", schemaRef("Contact")),
				"202": ok("stored on the stream but not applied within 5s", schemaRef("Accepted"))}, "400", admin403, "404")},
		"/api/v1/contacts/import": obj{"post": operation("contacts", "Import contacts from CSV (a header row; id, email, account_id columns, others attributes), streamed, as identify events",
			secAdmin, []any{
				queryParam("id", "the column that is the contact id, when not called id", obj{"type": "string"}),
				queryParam("email", "the column that is the email, when not called email", obj{"type": "string"}),
				queryParam("account_id", "the column that is the account id, when not called account_id", obj{"type": "string"}),
				queryParam("skip", "a column to leave out (repeatable)", obj{"type": "string"}),
			}, obj{"required": true, "content": obj{"text/csv": obj{"schema": obj{"type": "string"}}}},
			obj{"200": ok("rows read, accepted onto the stream, and each bad row by number (1 = first after the header)", object(obj{
				"rows": integer(""), "accepted": integer(""),
				"errors": arrayOf(object(obj{"row": integer(""), "message": str("")}))}))}, "400", admin403)},
		"/api/v1/contacts/export": obj{"get": operation("contacts", "Export contacts as CSV (id, email, score, each dimension, grade, deal_stage, tags, attributes), streamed",
			secAdmin, []any{
				queryParam("segment", "only members of this segment", obj{"type": "string"}),
				queryParam("grade", "only this grade", obj{"type": "string"}),
				queryParam("tag", "only contacts with this tag", obj{"type": "string"}),
			}, nil, obj{"200": obj{"description": "the CSV", "content": obj{"text/csv": obj{"schema": obj{"type": "string"}}}}}, admin403)},
		"/api/v1/contacts/{id}/history": obj{"get": operation("contacts", "Every score change, newest first", secAdmin,
			[]any{idParam, limit}, nil, obj{"200": ok("history", object(obj{"history": arrayOf(schemaRef("LedgerEntry"))}))}, "400", admin403, "404")},
		"/api/v1/contacts/{id}/timeline": obj{"get": operation("contacts", "The contact's events, newest first", secAdmin,
			[]any{idParam, limit}, nil, obj{"200": ok("events", object(obj{"events": arrayOf(schemaRef("Event"))}))}, "400", admin403, "404")},

		"/api/v1/accounts": obj{"get": operation("accounts", "List accounts by score, with a search and a cursor", secAdmin, []any{
			queryParam("q", "id or name contains this, ignoring case", obj{"type": "string"}),
			queryParam("sort", "-score (default) or score", obj{"type": "string", "enum": []any{"-score", "score"}}),
			queryParam("limit", "page size, 1..1000, default 50", obj{"type": "integer", "minimum": 1, "maximum": 1000}),
			queryParam("cursor", "next_cursor of the previous page", obj{"type": "string"}),
		}, nil, obj{"200": ok("a page", schemaRef("AccountPage"))}, "400", admin403)},
		"/api/v1/accounts/{id}": obj{"get": operation("accounts", "Get an account", secAdmin, []any{idParam}, nil,
			obj{"200": ok("the account", schemaRef("Account"))}, admin403, "404")},
		"/api/v1/accounts/{id}/contacts": obj{"get": operation("accounts", "The account's contacts by score", secAdmin, []any{idParam,
			queryParam("limit", "page size, 1..1000, default 50", obj{"type": "integer", "minimum": 1, "maximum": 1000}),
			queryParam("cursor", "next_cursor of the previous page", obj{"type": "string"})}, nil,
			obj{"200": ok("a page", schemaRef("ContactPage"))}, "400", admin403, "404")},
		"/api/v1/accounts/{id}/history": obj{"get": operation("accounts", "The account's total score after each of its current members' score changes, oldest first",
			secAdmin, []any{idParam, limit}, nil, obj{"200": ok("points", object(obj{"history": arrayOf(object(obj{"at": obj{"type": "string", "format": "date-time"}, "score": integer("")}))}))},
			"400", admin403, "404")},

		"/api/v1/settings": obj{
			"get": operation("settings", "Score dimensions, grades and pipeline", secAdmin, nil, nil,
				obj{"200": ok("settings", schemaRef("Settings"))}, admin403),
			"put": operation("settings", "Replace the settings (regrades every contact)", secAdmin, nil, body(schemaRef("Settings"), "the settings"),
				obj{"200": ok("saved", schemaRef("Settings"))}, "400", admin403, "413"),
		},

		"/api/v1/segments": obj{
			"get": operation("segments", "List segments", secAdmin, nil, nil,
				obj{"200": ok("segments", object(obj{"segments": arrayOf(schemaRef("Segment"))}))}, admin403),
			"post": operation("segments", "Create a segment; existing contacts are back-filled", secAdmin,
				[]any{queryParam("fire", "also start segment_entered flows for the back-filled contacts", obj{"type": "boolean"})},
				body(schemaRef("Segment"), "the segment"), obj{"201": ok("created", schemaRef("Segment"))}, "400", admin403, "409", "413", "503"),
		},
		"/api/v1/segments/preview": obj{"post": operation("segments", "Count the contacts a filter matches now, without saving (the editor's live count)",
			secAdmin, nil, body(object(obj{"id": str("the edited segment, for reference checks"), "where": schemaRef("Filter")}, "where"), "the filter"),
			obj{"200": ok("the count and the first matches by score", object(obj{"count": integer(""), "sample": arrayOf(schemaRef("Contact"))}))},
			"400", admin403, "413")},
		"/api/v1/segments/{id}": obj{
			"get": operation("segments", "Get a segment", secAdmin, []any{idParam}, nil,
				obj{"200": ok("the segment", schemaRef("Segment"))}, admin403, "404"),
			"put": operation("segments", "Change a segment; membership is re-evaluated", secAdmin,
				[]any{idParam, queryParam("fire", "also start segment_entered/exited flows for contacts that move", obj{"type": "boolean"})},
				body(schemaRef("Segment"), "the segment"), obj{"200": ok("saved", schemaRef("Segment"))}, "400", admin403, "404", "413", "503"),
			"delete": operation("segments", "Delete a segment no other segment uses", secAdmin, []any{idParam}, nil,
				obj{"204": ok("deleted", nil)}, admin403, "404", "409"),
		},
		"/api/v1/segments/{id}/contacts": obj{"get": operation("segments", "Members of a segment", secAdmin,
			[]any{idParam, queryParam("limit", "page size, 1..1000, default 50", obj{"type": "integer"}),
				queryParam("cursor", "next_cursor of the previous page", obj{"type": "string"})}, nil,
			obj{"200": ok("a page", schemaRef("ContactPage"))}, "400", admin403, "404")},
		"/api/v1/jobs": obj{"get": operation("operations", "Scheduled jobs and their last runs", secAdmin, nil, nil,
			obj{"200": ok("jobs", object(obj{"jobs": arrayOf(schemaRef("Job")), "lab_jobs": labJobsSchema}))}, admin403)},
		"/api/v1/webhooks": obj{"get": operation("operations", "Webhook deliveries, newest first", secAdmin,
			[]any{queryParam("status", "pending, delivered or failed", obj{"type": "string"}), limit}, nil,
			obj{"200": ok("deliveries", object(obj{"webhooks": arrayOf(schemaRef("WebhookDelivery"))}))}, "400", admin403)},
		"/api/v1/dead-events": obj{"get": operation("operations", "Stream messages that could not be applied", secAdmin,
			[]any{limit}, nil, obj{"200": ok("dead events", object(obj{"dead_events": arrayOf(schemaRef("DeadEvent"))}))}, "400", admin403)},

		"/webhooks/sendgrid": obj{"post": operation("ingest", "SendGrid Event Webhook (optionally signed)", secWebhook,
			[]any{queryParam("key", "the write key, for providers that cannot send headers", obj{"type": "string"})},
			body(arrayOf(schemaRef("SendGridEvent")), "SendGrid's array of events"),
			obj{"200": ok("stored on the stream", object(obj{"accepted": integer("events stored"), "ignored": integer("items that are no engagement event")}))},
			"400", "413")},
	}
	labPaths(paths)
	clusterPaths(paths)
	for _, r := range segmentRoutes {
		schema, desc := schemaRef("SegmentMessage"), "one Segment "+r.kind+" call"
		summary := "Segment-compatible " + r.kind + " call"
		switch r.kind {
		case "batch":
			schema, desc, summary = schemaRef("SegmentBatch"), "a Segment batch", "Segment-compatible batch (up to 500 KB)"
		case "screen", "group", "alias":
			summary += " (accepted and ignored)"
		}
		paths["/v1"+r.path] = obj{"post": operation("ingest", summary, secSegment, nil, body(schema, desc),
			obj{"200": ok("stored on the stream", object(obj{"success": obj{"type": "boolean"}}))}, "400", "413")}
	}
	for path, ops := range keysOpenAPI() {
		paths[path] = ops
	}

	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Scoreflow",
			"version":     "1",
			"description": "Lead-scoring flow engine: ingest events, manage flows, segments and settings, read contacts. Errors are {\"error\": {\"code\", \"message\", \"details\"}}.",
		},
		"paths": paths,
		"components": obj{
			"securitySchemes": obj{
				"bearerKey":    obj{"type": "http", "scheme": "bearer", "description": "a key of scope admin (any endpoint), read (GET only) or write (ingest only)"},
				"segmentBasic": obj{"type": "http", "scheme": "basic", "description": "the write or admin key as the user name, empty password; or \"writeKey\" in the body"},
				"queryKey":     obj{"type": "apiKey", "in": "query", "name": "key", "description": "the write or admin key, for webhook providers"},
			},
			"responses": errorResponses(),
			"schemas":   schemas(),
		},
	}
}

func errorResponses() obj {
	out := obj{}
	for name, desc := range map[string]string{
		"BadRequest":       "bad input; details name each bad field",
		"Unauthorized":     "no key or a wrong key",
		"Forbidden":        "the key's scope does not allow this call (write: ingest only; read: GET only)",
		"NotFound":         "no such resource",
		"MethodNotAllowed": "the path exists with other methods (see Allow)",
		"Conflict":         "a stale version, a taken id, or a segment still in use",
		"TooLarge":         "the body is over the endpoint's limit",
		"RateLimited":      "over the rate limit; retry after Retry-After seconds",
		"Internal":         "an internal error; quote X-Request-Id when reporting it",
		"NoOwner":          "a partition of the contacts this call works on has no owner right now (a replica is being replaced); retry after Retry-After seconds",
	} {
		out[name] = obj{"description": desc, "content": jsonContent(schemaRef("Error"))}
	}
	return out
}

func schemas() obj {
	dateTime := obj{"type": "string", "format": "date-time"}
	nullableDateTime := obj{"type": "string", "format": "date-time", "nullable": true}
	anyObject := obj{"type": "object", "additionalProperties": true}
	filter := obj{"type": "object", "additionalProperties": true,
		"description": "a filter: a leaf {field, op, value} (score_change and score_change.<dimension> also take within), a behaviour leaf {event, where, within, count}, or {all|any: [...]} / {not: {...}}"}
	fieldError := object(obj{"path": str("JSON path of the bad field, e.g. nodes[2].config.points"), "message": str("what is wrong")}, "message")
	return obj{
		"Filter": filter,
		"Error": object(obj{"error": object(obj{
			"code":    str("machine-readable code, e.g. invalid_flow, not_found, rate_limited"),
			"message": str("one sentence a person can act on"),
			"details": arrayOf(fieldError),
		}, "code", "message")}, "error"),
		"FieldError": fieldError,
		"Event": object(obj{
			"id":         str("deduplication key; assigned when missing"),
			"type":       str("page_visited, email_opened, email_clicked, email_replied, email_unsubscribed, email_bounced, form_submitted, identify, or any custom name"),
			"contact_id": str("contact_id or email is required"),
			"email":      str("resolves (or creates) the contact with this email"),
			"timestamp":  obj{"type": "string", "format": "date-time", "description": "default: time of ingest"},
			"properties": anyObject,
			"traits":     obj{"type": "object", "additionalProperties": true, "description": "merged into the contact's attributes"},
			"account_id": str("puts the contact in this account; on a group event, properties are the account's traits"),
		}, "type"),
		"EventBatch": object(obj{"events": obj{"type": "array", "items": schemaRef("Event"), "minItems": 1, "maxItems": 1000}}, "events"),
		"Accepted":   object(obj{"accepted": integer("events stored on the stream"), "ids": arrayOf(obj{"type": "string"})}, "accepted", "ids"),
		"Contact": object(obj{
			"id": str(""), "email": str(""), "attributes": anyObject,
			"merged_from":      arrayOf(str("an id merged into this contact; it resolves here forever")),
			"scores":           obj{"type": "object", "additionalProperties": obj{"type": "integer"}},
			"score":            integer("sum of the dimensions"),
			"grade":            str(""),
			"tags":             arrayOf(obj{"type": "string"}),
			"deal_stage":       str(""),
			"disqualified":     obj{"type": "object", "nullable": true, "properties": obj{"at": dateTime, "reason": obj{"type": "string"}}},
			"segments":         arrayOf(obj{"type": "string"}),
			"created_at":       dateTime,
			"last_activity_at": nullableDateTime,
			"account_id":       str("the account the contact belongs to, if any"),
		}),
		"ContactField": object(obj{
			"name": str("a field name, or for a family its prefix ending in \".\" (score., attributes.)"),
			"type": obj{"type": "string", "enum": []any{flows.FieldNumber, flows.FieldText, flows.FieldTextList, flows.FieldBool, flows.FieldTime, flows.FieldAny},
				"description": "what the field holds, which decides the filter ops that apply"},
			"doc":      str("one line for people"),
			"family":   obj{"type": "boolean", "description": "name is a prefix, completed by a dimension or attribute name"},
			"settable": obj{"type": "boolean", "description": "action.set_field may write it"},
			"optional": obj{"type": "boolean", "description": "contacts may lack it, so exists and not_exists are worth asking"},
			"window":   obj{"type": "boolean", "description": "a leaf on it takes \"within\" (score_change: points gained minus lost in that window) and compares numbers"},
			"account":  obj{"type": "boolean", "description": "read off the contact's account (account.*)"},
		}, "name", "type", "doc", "family", "settable", "optional", "window"),
		"ContactPage": object(obj{"contacts": arrayOf(schemaRef("Contact")), "next_cursor": str("empty on the last page")}),
		"Account": object(obj{
			"id": str(""), "name": str("traits.name of its group calls"), "attributes": anyObject,
			"scores":     obj{"type": "object", "additionalProperties": obj{"type": "integer"}, "description": "per dimension, the members' sum, max or avg (settings' account_scores)"},
			"score":      integer("sum of the dimensions"),
			"grade":      str("from the settings' grades on score"),
			"contacts":   integer("how many contacts belong to it"),
			"created_at": dateTime, "updated_at": dateTime,
		}),
		"AccountPage": object(obj{"accounts": arrayOf(schemaRef("Account")), "next_cursor": str("empty on the last page")}),
		"ContactChange": obj{"type": "object", "additionalProperties": false, "properties": obj{
			"attributes": obj{"type": "object", "additionalProperties": true, "description": "merged into the contact's attributes; null removes one"},
			"email":      str("the contact's new email"),
		}},
		"LedgerEntry": object(obj{
			"at": dateTime, "event_at": obj{"type": "string", "format": "date-time", "description": "timestamp of the event that caused the change (for decay, when it was applied); score_change windows count by it"},
			"score": str("dimension"), "delta": integer(""), "value": integer("the dimension after the change"),
			"flow":         obj{"type": "string", "nullable": true},
			"flow_version": obj{"type": "integer", "nullable": true},
			"node":         obj{"type": "string", "nullable": true},
			"event_id":     obj{"type": "string", "nullable": true},
			"reason":       str("decay, for decay entries"),
		}),
		"Flow": object(obj{
			"id": str(""), "name": str(""), "description": str(""), "enabled": obj{"type": "boolean"},
			"version": integer("on PUT: the version the change is based on (409 when stale)"),
			"entry": object(obj{"mode": obj{"type": "string", "enum": []any{"every_time", "once", "limited"}},
				"max": integer(""), "window": str("duration, e.g. 30d")}),
			"audience":             filter,
			"include_disqualified": obj{"type": "boolean"},
			"nodes": arrayOf(object(obj{"id": str(""), "type": str("node type, see /api/v1/node-types"), "config": anyObject,
				"position": object(obj{"x": obj{"type": "number"}, "y": obj{"type": "number"}})}, "id", "type")),
			"edges":      arrayOf(object(obj{"from": str(""), "to": str(""), "branch": str("yes or no after condition.if")}, "from", "to")),
			"created_at": dateTime, "updated_at": dateTime,
		}, "name", "nodes", "edges"),
		"Validation": object(obj{"valid": obj{"type": "boolean"}, "errors": arrayOf(fieldError)}),
		"FlowStats": object(obj{"flow": str(""), "since": dateTime, "nodes": obj{"type": "object",
			"additionalProperties": object(obj{"entered": integer(""), "completed": integer(""), "failed": integer("")})}}),
		"NodeType": object(obj{"type": str(""), "kind": str("trigger, condition, delay or action"), "title": str(""), "description": str(""),
			"branches": arrayOf(obj{"type": "string"}),
			"fields": arrayOf(object(obj{"name": str(""), "type": str(""), "required": obj{"type": "boolean"}, "default": obj{},
				"enum": arrayOf(obj{"type": "string"}), "picker": str(""), "description": str("")}))}),
		"Settings": object(obj{
			"scores": arrayOf(object(obj{"name": str(""), "min": obj{"type": "integer", "nullable": true}, "max": obj{"type": "integer", "nullable": true},
				"decay": object(obj{"every": str("duration"), "percent": obj{"type": "number"}})}, "name")),
			"grades":   arrayOf(object(obj{"name": str(""), "min": obj{"type": "integer", "nullable": true}}, "name")),
			"pipeline": arrayOf(obj{"type": "string"}),
			"account_scores": obj{"type": "object", "description": "per dimension, how accounts aggregate their contacts' scores (default sum)",
				"additionalProperties": obj{"type": "string", "enum": []any{"sum", "max", "avg"}}},
		}),
		"ScoringRule": object(obj{"flow_id": str(""), "flow_name": str(""), "flow_version": integer(""),
			"node_id":      str("the adjust_score node"),
			"trigger":      object(obj{"node_id": str(""), "type": str(""), "config": obj{"type": "object"}}),
			"trigger_text": str("the trigger in words"),
			"conditions": arrayOf(object(obj{"node_id": str("empty for the flow's audience"),
				"branch": obj{"type": "string", "enum": []any{"yes", "no"}}, "where": filter, "text": str("")})),
			"delays": arrayOf(str("")), "entry": obj{"type": "object"}, "dimension": str(""), "points": integer("")}),
		"Dashboard": object(obj{"contacts": integer(""),
			"grades":                   arrayOf(object(obj{"grade": str(""), "count": integer("")})),
			"score_histogram":          arrayOf(object(obj{"from": integer(""), "to": integer("exclusive"), "count": integer("")})),
			"events_per_minute":        arrayOf(object(obj{"minute": dateTime, "count": integer("")})),
			"busiest_flows":            arrayOf(object(obj{"id": str(""), "name": str(""), "runs": integer(""), "failed": integer("")})),
			"recent_disqualifications": arrayOf(object(obj{"id": str(""), "email": str(""), "reason": str(""), "at": dateTime}))}),
		"Segment": object(obj{"id": str(""), "name": str(""), "description": str(""), "where": filter,
			"created_at": dateTime, "updated_at": dateTime, "members": integer("current member count")}, "name", "where"),
		"Job": object(obj{"name": str(""), "schedule": str("cron syntax, UTC"), "last_start": dateTime, "duration_ms": integer(""),
			"outcome": str("ok, failed, skipped or never run"), "error": str(""), "runs": integer("")}),
		"WebhookDelivery": object(obj{"id": integer(""), "key": str("Idempotency-Key sent with it"), "url": str(""),
			"headers": obj{"type": "object", "additionalProperties": obj{"type": "string"}}, "attempts": integer(""),
			"status": str("pending, delivered or failed"), "last_error": str(""), "next_attempt_at": dateTime, "created_at": dateTime}),
		"DeadEvent": object(obj{"stream_seq": integer(""), "subject": str(""), "event_id": str(""),
			"payload": obj{"type": "string", "format": "byte"}, "error": str(""), "at": dateTime}),
		"SegmentMessage": object(obj{
			"type":              str("track, page, identify (in a batch); screen, group, alias are ignored"),
			"userId":            str("the contact id"),
			"anonymousId":       str("the contact id when userId is absent"),
			"messageId":         str("the event id (deduplication key)"),
			"event":             str("track: the event type"),
			"name":              str("page: its name"),
			"properties":        anyObject,
			"traits":            obj{"type": "object", "additionalProperties": true, "description": "identify: merged into attributes"},
			"context":           object(obj{"traits": anyObject, "page": object(obj{"url": str(""), "title": str(""), "referrer": str("")})}),
			"timestamp":         dateTime,
			"originalTimestamp": dateTime,
			"sentAt":            dateTime,
			"writeKey":          str("the write key, when not sent as basic auth"),
		}),
		"SegmentBatch": object(obj{
			"batch":    arrayOf(schemaRef("SegmentMessage")),
			"context":  obj{"type": "object", "additionalProperties": true, "description": "applies to every message"},
			"sentAt":   dateTime,
			"writeKey": str(""),
		}, "batch"),
		"SendGridEvent": object(obj{
			"event":                   str("open, click, unsubscribe, group_unsubscribe, spamreport, bounce, dropped; others are ignored"),
			"email":                   str(""),
			"timestamp":               integer("Unix seconds (a string is accepted too)"),
			"sg_event_id":             str("the event id"),
			"sg_message_id":           str(""),
			"sg_machine_open":         obj{"type": "boolean", "description": "machine opens are skipped"},
			"url":                     str("click: the link"),
			"category":                obj{"oneOf": []any{obj{"type": "string"}, arrayOf(obj{"type": "string"})}},
			"marketing_campaign_name": str(""),
		}),
	}
}
