package flows

// PageTarget names the form of a page_visited event's properties.url that a
// trigger compares with (see model.Event.Page).
type PageTarget uint8

const (
	PageLowerURL  PageTarget = iota // the whole URL, lower-cased
	PageLowerPath                   // its path, lower-cased ("" when the URL does not parse)
	PageRawURL                      // the URL as sent
)

// PrefilterOp is the cheap test a PagePrefilter states.
type PrefilterOp uint8

const (
	PrefilterNone     PrefilterOp = iota // no cheap test: the trigger is tried on every page view
	PrefilterExact                       // the target, less one trailing slash, equals Text
	PrefilterPrefix                      // the target starts with Text
	PrefilterContains                    // the target contains Text
)

// PagePrefilter is a necessary condition for a page trigger to match: when
// it does not hold the trigger cannot match, so the engine can index page
// triggers by it and skip the ones an event's URL rules out. Holding it does
// not mean a match: Match still decides.
type PagePrefilter struct {
	Target PageTarget
	Op     PrefilterOp
	Text   string
}

// PageIndexed is implemented by triggers that can state a PagePrefilter.
type PageIndexed interface {
	PagePrefilter() PagePrefilter
}
