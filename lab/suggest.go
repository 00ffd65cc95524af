package lab

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gobwas/glob"
	"gonum.org/v1/gonum/optimize"

	// actions also registers the node types suggested flows use, so
	// flows.Validate knows them.
	"github.com/scoreflow/scoreflow/actions"
	"github.com/scoreflow/scoreflow/flows"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// Example is one contact of the history Suggest learns from: the features it
// had (see FeaturesOf) and whether it converted.
type Example struct {
	Contact   string
	Features  []string
	Converted bool
}

// SuggestOptions tune Suggest; zero values take the defaults.
type SuggestOptions struct {
	Score          string  // dimension the points go to (default "engagement")
	Seed           int64   // holdout split seed (deterministic)
	Holdout        float64 // fraction held out (default 0.25)
	Lambda         float64 // L2 strength (default 10, see fit)
	MinConversions int     // default 50 (at least 2), of each class
	MaxFeatures    int     // default 20 kept in the draft
}

// Defaults of SuggestOptions, and the rules of turning weights into points.
const (
	defaultScore          = "engagement"
	defaultHoldout        = 0.25
	defaultLambda         = 10
	defaultMinConversions = 50
	defaultMaxFeatures    = 20
	// minSupport is how many training contacts must have a feature for it
	// to be learned at all: below that a weight is noise.
	minSupport = 5
	// topPoints is what the strongest feature is worth, so a suggested
	// model lands on the same scale as hand-made ones (booking a call is
	// +20 in the reference model, the default hot grade starts at 50).
	topPoints = 25
	// maxIterations bounds the optimiser; convergence takes far fewer.
	maxIterations = 1000
)

// SuggestedFeature is one learned feature: its logistic-regression weight
// (change in log-odds of converting when present) and its integer points.
type SuggestedFeature struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
	Points  int64   `json:"points"`
}

// Suggestion is what Suggest learned.
type Suggestion struct {
	AUC        float64            `json:"auc"` // on the training part
	HoldoutAUC float64            `json:"holdout_auc"`
	Features   []SuggestedFeature `json:"features"` // by |weight| desc
	// Flows has one valid flow document per kept feature, in the order of
	// Features (ids "suggest-…", entry once, positions set).
	Flows []json.RawMessage `json:"-"`
}

// TooLittleHistoryError says the history holds too few conversions (or too
// few contacts that did not convert) to learn from.
type TooLittleHistoryError struct {
	Have, Need int
	// unconverted: the shortfall is of contacts that did not convert.
	unconverted bool
}

func (e *TooLittleHistoryError) Error() string {
	what := "conversions"
	if e.unconverted {
		what = "contacts that did not convert"
	}
	return fmt.Sprintf("too little history to learn from: %d %s, at least %d needed (%d more)",
		e.Have, what, e.Need, e.Need-e.Have)
}

// Suggest learns point weights from history: an L2-regularised logistic
// regression of conversion on feature presence, fitted on a deterministic,
// stratified split of the examples (opt.Holdout of each class held out to
// measure it), its weights scaled to integer points on opt.Score. Features
// fewer than minSupport training contacts share are not learned. Every kept
// feature comes with a flow that gives its points once.
func Suggest(examples []Example, opt SuggestOptions) (*Suggestion, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	var converted int
	for _, ex := range examples {
		if ex.Converted {
			converted++
		}
	}
	if converted < opt.MinConversions {
		return nil, &TooLittleHistoryError{Have: converted, Need: opt.MinConversions}
	}
	if other := len(examples) - converted; other < opt.MinConversions {
		return nil, &TooLittleHistoryError{Have: other, Need: opt.MinConversions, unconverted: true}
	}

	train, holdout := split(examples, opt.Seed, opt.Holdout)
	ds := newDataset(train, nil)
	weights, err := fit(ds, opt.Lambda)
	if err != nil {
		return nil, err
	}
	hold := newDataset(holdout, ds.index)
	s := &Suggestion{
		AUC:        AUC(ds.scores(weights), ds.converted()),
		HoldoutAUC: AUC(hold.scores(weights), hold.converted()),
		Features:   []SuggestedFeature{},
		Flows:      []json.RawMessage{},
	}
	ids := map[string]bool{}
	for _, f := range toPoints(ds.names, weights[1:]) {
		if len(s.Features) == opt.MaxFeatures {
			break
		}
		// Features that differ only in case or punctuation share a slug.
		base := "suggest-" + slug(f.Feature)
		id := base
		for k := 2; ids[id]; k++ {
			id = fmt.Sprintf("%s-%d", base, k)
		}
		doc, err := flowFor(id, f.Feature, f.Points, opt.Score)
		if err != nil {
			continue // a feature no trigger can express (an unknown kind) is not suggested
		}
		ids[id] = true
		s.Features = append(s.Features, f)
		s.Flows = append(s.Flows, doc)
	}
	return s, nil
}

func (o SuggestOptions) withDefaults() (SuggestOptions, error) {
	switch {
	case o.Holdout < 0 || o.Holdout >= 1:
		return o, fmt.Errorf("suggest: holdout must be a fraction from 0 to below 1, not %v", o.Holdout)
	case o.Lambda < 0 || math.IsNaN(o.Lambda) || math.IsInf(o.Lambda, 0):
		return o, fmt.Errorf("suggest: lambda must be a finite number not below 0, not %v", o.Lambda)
	case o.MinConversions < 0 || o.MaxFeatures < 0:
		return o, errors.New("suggest: min conversions and max features must not be negative")
	case o.Score != "" && (strings.TrimSpace(o.Score) == "" || len(o.Score) > actions.MaxScoreNameLength):
		return o, fmt.Errorf("suggest: score must name a dimension of at most %d characters", actions.MaxScoreNameLength)
	}
	if o.Score == "" {
		o.Score = defaultScore
	}
	if o.Holdout == 0 {
		o.Holdout = defaultHoldout
	}
	if o.Lambda == 0 {
		o.Lambda = defaultLambda
	}
	if o.MinConversions == 0 {
		o.MinConversions = defaultMinConversions
	}
	// One of each class to train on and one to hold out, whatever is asked.
	o.MinConversions = max(o.MinConversions, 2)
	if o.MaxFeatures == 0 {
		o.MaxFeatures = defaultMaxFeatures
	}
	return o, nil
}

// split holds out a fraction of each class (so both parts always have both
// classes), chosen by a hash of seed and contact id: the same seed holds out
// the same contacts whatever order the examples come in.
func split(examples []Example, seed int64, fraction float64) (train, holdout []Example) {
	type keyed struct {
		key uint64
		i   int
	}
	var classes [2][]keyed
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(seed))
	for i, ex := range examples {
		h := fnv.New64a()
		h.Write(buf[:])
		h.Write([]byte(ex.Contact))
		c := 0
		if ex.Converted {
			c = 1
		}
		classes[c] = append(classes[c], keyed{h.Sum64(), i})
	}
	for _, class := range classes {
		slices.SortFunc(class, func(a, b keyed) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.i, b.i))
		})
		k := int(math.Round(fraction * float64(len(class))))
		k = max(1, min(k, len(class)-1))
		for j, e := range class {
			if j < k {
				holdout = append(holdout, examples[e.i])
			} else {
				train = append(train, examples[e.i])
			}
		}
	}
	return train, holdout
}

// dataset is a sparse binary design matrix in compressed rows: row i's
// present features are cols[start[i]:start[i+1]].
type dataset struct {
	names []string         // feature names, sorted; column j is names[j]
	index map[string]int32 // name → column
	start []int
	cols  []int32
	y     []bool
}

// newDataset builds the matrix of examples. With index nil, the columns are
// the features at least minSupport examples have; otherwise they are the
// given ones and other features are ignored (the holdout is measured on the
// training part's columns).
func newDataset(examples []Example, index map[string]int32) *dataset {
	ds := &dataset{index: index, start: make([]int, 1, len(examples)+1), y: make([]bool, len(examples))}
	if index == nil {
		support := map[string]int{}
		for _, ex := range examples {
			for _, f := range ex.Features {
				support[f]++
			}
		}
		for f, n := range support {
			if n >= minSupport {
				ds.names = append(ds.names, f)
			}
		}
		slices.Sort(ds.names)
		ds.index = make(map[string]int32, len(ds.names))
		for j, f := range ds.names {
			ds.index[f] = int32(j)
		}
	}
	for i, ex := range examples {
		from := len(ds.cols)
		for _, f := range ex.Features {
			if j, ok := ds.index[f]; ok {
				ds.cols = append(ds.cols, j)
			}
		}
		// Presence, not counts: a feature listed twice is present once.
		row := ds.cols[from:]
		slices.Sort(row)
		ds.cols = append(ds.cols[:from], slices.Compact(row)...)
		ds.start = append(ds.start, len(ds.cols))
		ds.y[i] = ex.Converted
	}
	return ds
}

func (ds *dataset) rows() int { return len(ds.y) }

// scores are the linear predictors of every row under params (intercept
// first): ranking by them is ranking by predicted odds.
func (ds *dataset) scores(params []float64) []float64 {
	out := make([]float64, ds.rows())
	for i := range out {
		z := params[0]
		for _, j := range ds.cols[ds.start[i]:ds.start[i+1]] {
			z += params[1+j]
		}
		out[i] = z
	}
	return out
}

func (ds *dataset) converted() []bool { return ds.y }

// fit minimises the regularised logistic loss with gonum's L-BFGS and
// returns the parameters, intercept first. The objective is
//
//	(Σ_i log(1 + e^z_i) − y_i·z_i  +  λ/2·Σ_j w_j²) / n
//
// with z_i = b + Σ_j w_j·x_ij. λ works like λ contacts of prior evidence
// that a feature means nothing, so a feature shared by a handful of contacts
// stays small while one shared by thousands keeps its weight; the intercept
// is not penalised. Dividing by n only scales the objective, so the
// optimiser's tolerances mean the same for any history size.
func fit(ds *dataset, lambda float64) ([]float64, error) {
	n := float64(ds.rows())
	var pos float64
	for _, y := range ds.y {
		if y {
			pos++
		}
	}
	init := make([]float64, 1+len(ds.names))
	init[0] = math.Log(pos / (n - pos)) // the base rate: the optimum with no features

	// Func and Grad are asked at the same points; one pass computes both.
	var lastX, lastGrad []float64
	var lastF float64
	eval := func(x []float64) {
		if lastX != nil && slices.Equal(x, lastX) {
			return
		}
		lastX = append(lastX[:0], x...)
		if lastGrad == nil {
			lastGrad = make([]float64, len(x))
		}
		g := lastGrad
		clear(g)
		var loss float64
		for i := range ds.y {
			row := ds.cols[ds.start[i]:ds.start[i+1]]
			z := x[0]
			for _, j := range row {
				z += x[1+j]
			}
			loss += softplus(z)
			r := sigmoid(z)
			if ds.y[i] {
				loss -= z
				r--
			}
			g[0] += r
			for _, j := range row {
				g[1+j] += r
			}
		}
		for j := 1; j < len(x); j++ {
			loss += lambda / 2 * x[j] * x[j]
			g[j] += lambda * x[j]
		}
		for j := range g {
			g[j] /= n
		}
		lastF = loss / n
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(grad, x []float64) { eval(x); copy(grad, lastGrad) },
	}
	settings := &optimize.Settings{GradientThreshold: 1e-8, MajorIterations: maxIterations}
	res, err := optimize.Minimize(problem, init, settings, &optimize.LBFGS{})
	if res == nil {
		return nil, fmt.Errorf("suggest: fit the logistic regression: %w", err)
	}
	// A line search that can no longer improve in floating point ends with
	// an error at the optimum; res.X is the best point found either way, so
	// it is accepted when its gradient says it is one.
	if err != nil {
		eval(res.X)
		if norm := maxAbs(lastGrad); norm > 1e-5 {
			return nil, fmt.Errorf("suggest: fit the logistic regression (gradient %.2g): %w", norm, err)
		}
	}
	return res.X, nil
}

// softplus is log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// toPoints turns weights into integer points, strongest first (then by
// name): the largest |weight| is worth topPoints and the rest in proportion,
// rounded; a feature that rounds to 0 points is dropped.
func toPoints(names []string, weights []float64) []SuggestedFeature {
	out := make([]SuggestedFeature, 0, len(names))
	top := maxAbs(weights)
	if top == 0 {
		return out // nothing was learned: every feature is worth nothing
	}
	scale := topPoints / top
	for j, w := range weights {
		if p := int64(math.Round(w * scale)); p != 0 {
			out = append(out, SuggestedFeature{Feature: names[j], Weight: w, Points: p})
		}
	}
	slices.SortFunc(out, func(a, b SuggestedFeature) int {
		return cmp.Or(cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)), cmp.Compare(a.Feature, b.Feature))
	})
	return out
}

// Layout of a suggested flow on the canvas: trigger, then action, side by
// side as in the reference model's flows.
const (
	triggerX = 0
	actionX  = 300
)

// flowFor is flow id, which gives points on score once per contact, when the
// contact first shows feature; an error for a feature no trigger expresses.
//
// Every flow is entry "once" because features are presence: the model
// learned what having done something once is worth. An attribute feature
// ("attributes.k=v") triggers on field_changed of attributes.k with an
// audience of attributes.k = v, not a condition.if after the trigger: the
// audience is checked before a "once" entry is counted, so a contact whose
// attribute first takes another value still gets the points when it later
// becomes v (behind a condition, its one entry would be spent on the first
// change). A contact who had the value before the replayed window is scored
// only if the replay includes the event that set it: a rescore from full
// history (apply) does, a lab run's window decides for itself.
func flowFor(id, feature string, points int64, score string) (json.RawMessage, error) {
	trigger, title, audience, err := triggerFor(feature)
	if err != nil {
		return nil, err
	}
	f := flows.Flow{
		ID:   id,
		Name: "Suggested: " + title,
		Description: fmt.Sprintf("%+d %s once per contact (%s), learned from history by the model lab.",
			points, score, feature),
		Enabled:  true,
		Entry:    flows.Entry{Mode: flows.EntryOnce},
		Audience: audience,
		Nodes: []flows.Node{
			trigger,
			{ID: "a1", Type: "action.adjust_score", Config: map[string]any{"score": score, "points": points},
				Position: &flows.Position{X: actionX, Y: 0}},
		},
		Edges: []flows.Edge{{From: trigger.ID, To: "a1"}},
	}
	if errs := flows.Validate(&f, flows.Env{}); len(errs) > 0 {
		return nil, fmt.Errorf("suggest: flow for %q: %s %s", feature, errs[0].Path, errs[0].Message)
	}
	return json.Marshal(f)
}

// featureKinds are the feature prefixes of FeaturesOf, each the kind of
// trigger that fires when a contact shows the feature.
var featureKinds = []string{featEvent, featPage, featEmailOpened, featEmailClicked, featForm, featAttribute}

// triggerFor is the trigger node of a feature, a short title of it for the
// flow's name, and for attributes the audience that picks the value.
func triggerFor(feature string) (node flows.Node, title string, audience json.RawMessage, err error) {
	node = flows.Node{ID: "t1", Position: &flows.Position{X: triggerX, Y: 0}}
	kind, v := "", ""
	for _, k := range featureKinds {
		if rest, ok := strings.CutPrefix(feature, k); ok {
			kind, v = k, rest
			break
		}
	}
	set := func(typ string, cfg map[string]any, t string) {
		node.Type, node.Config, title = typ, cfg, t
	}
	switch kind {
	case featEvent:
		set("trigger.event", map[string]any{"name": v}, v)
	case featPage:
		// exact compares the URL's path, without query or trailing slash,
		// so "https://acme.test/pricing/?utm=x" is the page "/pricing".
		set("trigger.page_visited", map[string]any{"url": v, "match": "exact"}, "visited "+v)
	case featEmailOpened:
		// The email field is a glob: the name is quoted to mean itself.
		set("trigger.email_opened", map[string]any{"email": glob.QuoteMeta(v)}, "opened email "+v)
	case featEmailClicked:
		set("trigger.email_clicked", map[string]any{"email": glob.QuoteMeta(v)}, "clicked email "+v)
	case featForm:
		set("trigger.form_submitted", map[string]any{"form": v}, "submitted form "+v)
	case featAttribute:
		attr, value, found := strings.Cut(v, "=")
		if !found || attr == "" || value == "" {
			return node, "", nil, fmt.Errorf("suggest: %q is not attributes.<name>=<value>", feature)
		}
		field := featAttribute + attr
		audience, err = json.Marshal(map[string]any{"field": field, "op": "in", "value": attributeValues(value)})
		if err != nil {
			return node, "", nil, fmt.Errorf("suggest: audience of %q: %w", feature, err)
		}
		set("trigger.field_changed", map[string]any{"field": field}, attr+" is "+value)
	default:
		return node, "", nil, fmt.Errorf("suggest: unknown kind of feature %q", feature)
	}
	if v == "" {
		return node, "", nil, fmt.Errorf("suggest: feature %q names nothing", feature)
	}
	return node, title, audience, nil
}

// attributeValues are the values an attribute feature's text stands for:
// FeaturesOf writes numbers and booleans as text, and a filter's eq tells 50
// from "50", so both are accepted.
func attributeValues(text string) []any {
	values := []any{text}
	if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
		values = append(values, b)
	} else if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		values = append(values, f)
	}
	return values
}

// slug makes a flow id part of a feature: lower-case letters and digits,
// every other run of characters one "-", at most 100 characters.
func slug(feature string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(feature) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "-")
	}
	return s
}
