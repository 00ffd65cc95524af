package model

import "time"

// AuditEntry is one change in the audit log (CONTRACT §10): who (the name
// of the key that made it), what, to which target and, for flows, at which
// version.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Key     string    `json:"key"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Version *int      `json:"version"`
}

// The actions of the audit log. Features that add changes of their own
// (merges, imports, lab applies) name theirs the same way: "<thing>.<verb>".
const (
	AuditFlowCreate     = "flow.create"
	AuditFlowUpdate     = "flow.update"
	AuditFlowDelete     = "flow.delete"
	AuditSegmentCreate  = "segment.create"
	AuditSegmentUpdate  = "segment.update"
	AuditSegmentDelete  = "segment.delete"
	AuditSettingsUpdate = "settings.update"
	AuditKeyCreate      = "key.create"
	AuditKeyRevoke      = "key.revoke"
	// AuditLabApply: a lab run's draft made live (its flow and settings
	// changes are audited on their own, under the same key).
	AuditLabApply = "lab.apply"
)

// Key scopes (CONTRACT §10): admin may do everything, write may only send
// events, read may only read (and not keys or the audit log).
const (
	ScopeAdmin = "admin"
	ScopeWrite = "write"
	ScopeRead  = "read"
)

// ValidScope reports whether s is one of the three scopes.
func ValidScope(s string) bool { return s == ScopeAdmin || s == ScopeWrite || s == ScopeRead }
