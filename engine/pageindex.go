package engine

import (
	"slices"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// pageScanMax is how many page_visited triggers are simply tried one by one;
// past it the index below pays for itself.
const pageScanMax = 16

// gramLen is the length of the keys the contains literals are filed under.
const gramLen = 3

// pageIndex narrows the page_visited triggers a page view is tried on to the
// ones its URL does not rule out, using each trigger's PagePrefilter: exact
// patterns in a map, prefixes in a map probed once per distinct length, and
// contains literals filed under their first bytes and looked up at every
// position of the URL. It only narrows: Match still decides, so a
// candidate that does not match costs a Match call and nothing else.
type pageIndex struct {
	refs   []triggerRef // every page_visited trigger, in dispatch order
	forms  [3]pageForm  // by flows.PageTarget
	always []int32      // no prefilter: tried on every page view
}

type pageForm struct {
	exact      map[string][]int32
	prefix     map[string][]int32
	prefixLens []int // distinct prefix lengths, ascending
	grams      map[string][]literal
	gramLens   []int // distinct key lengths (a literal shorter than gramLen is its own key)
}

type literal struct {
	text string
	ref  int32
}

func newPageIndex(refs []triggerRef) *pageIndex {
	p := &pageIndex{refs: refs}
	for i, ref := range refs {
		pi, ok := ref.trig.(flows.PageIndexed)
		if !ok {
			p.always = append(p.always, int32(i))
			continue
		}
		pf := pi.PagePrefilter()
		if int(pf.Target) >= len(p.forms) {
			p.always = append(p.always, int32(i))
			continue
		}
		f := &p.forms[pf.Target]
		switch pf.Op {
		case flows.PrefilterExact:
			f.exact = addTo(f.exact, pf.Text, int32(i))
		case flows.PrefilterPrefix:
			f.prefix = addTo(f.prefix, pf.Text, int32(i))
			f.prefixLens = addLen(f.prefixLens, len(pf.Text))
		case flows.PrefilterContains:
			key := pf.Text[:min(gramLen, len(pf.Text))]
			if f.grams == nil {
				f.grams = map[string][]literal{}
			}
			f.grams[key] = append(f.grams[key], literal{text: pf.Text, ref: int32(i)})
			f.gramLens = addLen(f.gramLens, len(key))
		default:
			p.always = append(p.always, int32(i))
		}
	}
	return p
}

func addTo(m map[string][]int32, k string, i int32) map[string][]int32 {
	if m == nil {
		m = map[string][]int32{}
	}
	m[k] = append(m[k], i)
	return m
}

func addLen(lens []int, n int) []int {
	if i, found := slices.BinarySearch(lens, n); !found {
		lens = slices.Insert(lens, i, n)
	}
	return lens
}

// candidates returns the triggers ev may match, in dispatch order.
func (p *pageIndex) candidates(ev *model.Event) []triggerRef {
	hits := append([]int32(nil), p.always...)
	lowerURL, lowerPath, ok := ev.Page()
	if ok {
		hits = p.forms[flows.PageLowerURL].lookup(lowerURL, hits)
		if lowerPath != "" {
			hits = p.forms[flows.PageLowerPath].lookup(lowerPath, hits)
		}
		hits = p.forms[flows.PageRawURL].lookup(ev.PropertyString("url"), hits)
	}
	if len(hits) == 0 {
		return nil
	}
	slices.Sort(hits)
	hits = slices.Compact(hits)
	out := make([]triggerRef, len(hits))
	for i, h := range hits {
		out[i] = p.refs[h]
	}
	return out
}

func (f *pageForm) lookup(target string, hits []int32) []int32 {
	if target == "" {
		return hits
	}
	if f.exact != nil {
		hits = append(hits, f.exact[strings.TrimSuffix(target, "/")]...)
	}
	for _, n := range f.prefixLens {
		if n > len(target) {
			break
		}
		hits = append(hits, f.prefix[target[:n]]...)
	}
	if f.grams == nil {
		return hits
	}
	for at := range len(target) {
		for _, n := range f.gramLens {
			if at+n > len(target) {
				break
			}
			for _, lit := range f.grams[target[at:at+n]] {
				if strings.HasPrefix(target[at:], lit.text) {
					hits = append(hits, lit.ref)
				}
			}
		}
	}
	return hits
}

// triggersFor returns the triggers to try on ev, in dispatch order: those
// under its key, narrowed by the page index for page views.
func (fs *flowSet) triggersFor(ev *model.Event) []triggerRef {
	if fs.pages != nil && !ev.Internal && ev.Type == model.EventPageVisited {
		return fs.pages.candidates(ev)
	}
	return fs.byKey[flows.TriggerKey{Internal: ev.Internal, Type: ev.Type}]
}

// indexPages builds the page index once there are enough page triggers.
func (fs *flowSet) indexPages() {
	if refs := fs.byKey[flows.TriggerKey{Type: model.EventPageVisited}]; len(refs) > pageScanMax {
		fs.pages = newPageIndex(refs)
	}
}
