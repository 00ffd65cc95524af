package segments

// MaxInternedEventChanges and InternedEventChanges let the external tests
// see the intern table's bound.
const MaxInternedEventChanges = maxInternedEventChanges

func InternedEventChanges() int {
	n := 0
	eventChanges.Range(func(any, any) bool { n++; return true })
	return n
}
