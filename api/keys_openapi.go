package api

// keysOpenAPI documents the keys and audit routes (CONTRACT §10).
func keysOpenAPI() obj {
	dateTime := obj{"type": "string", "format": "date-time"}
	scope := obj{"type": "string", "enum": []any{"admin", "write", "read"},
		"description": "admin: everything; write: ingest only; read: GET of any /api/v1/* but keys and audit"}
	key := object(obj{"id": str(""), "name": str(""), "scope": scope, "created_at": dateTime,
		"last_used_at": obj{"type": "string", "format": "date-time", "nullable": true},
		"builtin":      obj{"type": "boolean", "description": "the --admin-key or --write-key flag; cannot be revoked"}})
	created := object(obj{"id": str(""), "name": str(""), "scope": scope, "created_at": dateTime,
		"key": str("the secret: shown this once, stored only as a hash")})
	entry := object(obj{"id": integer(""), "at": dateTime, "key": str("the name of the key that made the change"),
		"action":  str("flow.create, flow.update, flow.delete, segment.create|update|delete, settings.update, key.create, key.revoke, …"),
		"target":  str("the flow, segment or key changed"),
		"version": obj{"type": "integer", "nullable": true, "description": "the flow's version; null where none applies"}})
	return obj{
		"/api/v1/me": obj{"get": operation("keys", "The key the caller holds: its name and scope (any valid key)", secAdmin, nil, nil,
			obj{"200": ok("the caller's key", object(obj{"name": str("empty on an open server"), "scope": scope,
				"open": obj{"type": "boolean", "description": "the server runs without keys"}}))})},
		"/api/v1/keys": obj{
			"get": operation("keys", "List keys (never their secrets), the built-in ones first", secAdmin, nil, nil,
				obj{"200": ok("keys", object(obj{"keys": arrayOf(key)}))}, "403"),
			"post": operation("keys", "Create a named key; the answer holds its secret, shown only this once", secAdmin, nil,
				body(object(obj{"name": str("who or what uses it, unique"), "scope": scope}, "name", "scope"), "the key"),
				obj{"201": ok("created", created)}, "400", "403", "409", "413"),
		},
		"/api/v1/keys/{id}": obj{"delete": operation("keys", "Revoke a key at once (built-in keys cannot be)", secAdmin, []any{idParam}, nil,
			obj{"204": ok("revoked", nil)}, "403", "404", "409")},
		"/api/v1/audit": obj{"get": operation("keys", "Every change of flows, segments, settings and keys, newest first", secAdmin,
			[]any{queryParam("limit", "page size, 1..1000, default 50", obj{"type": "integer", "minimum": 1, "maximum": 1000}),
				queryParam("cursor", "next_cursor of the previous page", obj{"type": "string"})}, nil,
			obj{"200": ok("a page", object(obj{"entries": arrayOf(entry), "next_cursor": str("empty on the last page")}))}, "400", "403")},
	}
}
