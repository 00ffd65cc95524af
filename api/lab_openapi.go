package api

// labJobsSchema is the lab's apply jobs in GET /api/v1/jobs.
var labJobsSchema = arrayOf(object(obj{"id": str(""), "run": str("the lab run applied"),
	"state": str("applying, rescoring, done or failed"), "progress": obj{"type": "number"},
	"done": integer("contacts rescored"), "total": integer("contacts when the rescore began"),
	"changed": integer("contacts whose scores changed"), "error": str("")}))

// labPaths documents the model lab's routes (CONTRACT §8).
func labPaths(paths obj) {
	run := object(obj{"id": str(""), "state": str("queued, running, done, failed or cancelled"), "progress": obj{"type": "number"},
		"error": obj{"type": "string", "nullable": true}, "result": obj{"type": "object", "nullable": true,
			"description": "contacts, events, live and draft evaluations, movers, changed"}})
	paths["/api/v1/lab/runs"] = obj{
		"get": operation("lab", "Lab runs, newest first (without results)", secAdmin, nil, nil,
			obj{"200": ok("runs", object(obj{"runs": arrayOf(run)}))}, "403"),
		"post": operation("lab", "Replay a window of stored events through a draft model and the live one, in a sandbox", secAdmin, nil,
			body(object(obj{"model": obj{"type": "object", "description": `{"base": "live", "add": [flow…], "remove": [id…], "settings"}`},
				"outcome": obj{"type": "object", "description": `{"event": type} or {"where": filter}, with "horizon"`},
				"from":    obj{"type": "string", "format": "date-time"}, "to": obj{"type": "string", "format": "date-time"}}, "model", "outcome"), "the run"),
			obj{"202": ok("queued", object(obj{"id": str("")}))}, "400", "403", "413"),
	}
	paths["/api/v1/lab/runs/{id}"] = obj{
		"get": operation("lab", "A lab run: state, progress, result", secAdmin, []any{idParam}, nil,
			obj{"200": ok("the run", run)}, "403", "404"),
		"delete": operation("lab", "Cancel a queued or running lab run", secAdmin, []any{idParam}, nil,
			obj{"200": ok("the run", run)}, "403", "404"),
	}
	paths["/api/v1/lab/runs/{id}/apply"] = obj{"post": operation("lab", "Make a done run's draft live and rescore every contact (progress at /api/v1/jobs, lab_jobs)",
		secAdmin, []any{idParam}, nil, obj{"202": ok("the apply job", object(obj{"job": str("")}))}, "400", "403", "404")}
	paths["/api/v1/lab/suggest"] = obj{"post": operation("lab", "Learn points from history (logistic regression) and return them as a draft", secAdmin, nil,
		body(object(obj{"outcome": obj{"type": "object"}, "from": obj{"type": "string", "format": "date-time"},
			"to": obj{"type": "string", "format": "date-time"}, "score": str("the dimension the points go to")}, "outcome"), "the question"),
		obj{"200": ok("the suggestion", object(obj{"auc": obj{"type": "number", "nullable": true}, "holdout_auc": obj{"type": "number", "nullable": true},
			"features": arrayOf(object(obj{"feature": str(""), "weight": obj{"type": "number"}, "points": integer("")})),
			"model":    obj{"type": "object"}}))}, "400", "403", "413")}
}
