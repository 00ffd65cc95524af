package store

// Exclusive is implemented by backends whose engine is the only writer of
// the batch's state (SQLite: a second engine on the same file refuses to
// start), so the engine may keep rows that span contacts, such as
// accounts, cached across batches; where replicas share the store, any of
// them may change such a row between two batches.
type Exclusive interface {
	Exclusive() bool
}

// IsExclusive reports whether st's engine is the only writer.
func IsExclusive(st Store) bool {
	x, ok := st.(Exclusive)
	return ok && x.Exclusive()
}
