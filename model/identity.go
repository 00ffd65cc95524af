package model

// Audit actions of identity changes (CONTRACT §10): a merge names its
// survivor, an import the rows it put on the stream.
const (
	AuditContactMerge  = "contact.merge"
	AuditContactImport = "contact.import"
)
