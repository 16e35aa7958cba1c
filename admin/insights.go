package admin

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kaiconn/consent/chart"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/views"
)

// defaultPeriod is how many days the insights show unless asked.
const defaultPeriod = 30

// Decisions and states in the order the charts stack them, each with its
// colour class, so that a series has one colour everywhere.
var (
	decisionSeries = []string{receipt.DecisionAgreed, receipt.DecisionUpdated, receipt.DecisionDeclined, receipt.DecisionWithdrawn}
	stateSeries    = []string{receipt.StateGiven, receipt.StateRefused, receipt.StateWithdrawn}
	seriesClass    = map[string]string{
		receipt.DecisionAgreed: "kc-s1", receipt.DecisionUpdated: "kc-s2", receipt.DecisionDeclined: "kc-s3", receipt.DecisionWithdrawn: "kc-s4",
		// The states share the colours of the decisions that make them.
		receipt.StateGiven: "kc-s1", receipt.StateRefused: "kc-s3",
	}
)

// filterOf reads the insights' filter from the query; a bad value is
// reported and replaced by the default.
func (a *admin) filterOf(r *http.Request) (console.Filter, string) {
	q := r.URL.Query()
	today := console.DayOf(a.now())
	f := console.Filter{From: today - defaultPeriod + 1, To: today, Surface: q.Get("surface"), Language: q.Get("language")}
	var problems []string
	if v := q.Get("from"); v != "" {
		if d, err := console.ParseDay(v); err == nil {
			f.From = d
		} else {
			problems = append(problems, err.Error())
		}
	}
	if v := q.Get("to"); v != "" {
		if d, err := console.ParseDay(v); err == nil {
			f.To = d
		} else {
			problems = append(problems, err.Error())
		}
	}
	if err := f.Check(); err != nil {
		problems = append(problems, err.Error())
		f = console.Filter{From: today - defaultPeriod + 1, To: today}
	}
	return f, strings.Join(problems, "; ")
}

// describe is the filter in the audit log.
func describe(f console.Filter) string {
	s := f.From.String() + ".." + f.To.String()
	if f.Surface != "" {
		s += " " + f.Surface
	}
	if f.Language != "" {
		s += " " + f.Language
	}
	return s
}

func (a *admin) insights(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	l := req.loc
	f, problem := a.filterOf(r)
	ctx := r.Context()
	decisions, err := a.store.DecisionsByDay(ctx, f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	purposes, err := a.store.PurposeStates(ctx, f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	times, err := a.store.TimesToDecision(ctx, f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	reasks, err := a.store.Reasks(ctx, f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	reaskPurposes, err := a.store.ReaskPurposes(ctx, f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if !a.logged(w, r, console.ActionViewInsights, describe(f)) {
		return
	}

	v := views.AdminInsights{AdminChrome: a.chrome(r, "insights"), From: f.From.String(), To: f.To.String(), Error: problem}
	v.Surfaces = options(l, "admin_all_surfaces", "admin_surface_", console.Surfaces, f.Surface)
	v.Languages = options(l, "admin_all_languages", "admin_lang_", console.Languages, f.Language)

	var total int64
	for _, d := range decisions {
		total += d.N
	}
	var known int64
	for _, t := range times {
		known += t.N
	}
	v.Summary = []views.Fact{
		{ID: "total-decisions", Label: l.T("admin_total_decisions"), Value: strconv.FormatInt(total, 10)},
		{ID: "median-time", Label: l.T("admin_median_time"), Value: quantileText(l, times, 0.5)},
		{ID: "time-known", Label: l.T("admin_time_known"), Value: fmt.Sprintf("%d / %d", known, total)},
	}
	v.Decisions = decisionsChart(l, f, decisions, total)
	v.Purposes = a.purposesChart(l, purposes)
	v.Latency = latencyChart(l, times)
	v.Reasks, v.ReaskPurp = reasksChart(l, reasks, reaskPurposes)
	a.page(w, r, http.StatusOK, l.T("admin_insights_title"), v.AdminChrome, views.AdminInsightsPage(v, l))
}

// internal answers a store failure without its details.
func (a *admin) internal(w http.ResponseWriter, r *http.Request, err error) {
	a.d.Log.Error("admin: store", "route", routeName(r), "err", err)
	req := requestOf(r)
	a.fail(w, r, http.StatusInternalServerError, req.loc.T("admin_error_title"), req.loc.T("admin_error_store"))
}

func options(l *lang.Localizer, all, prefix string, values []string, chosen string) []views.Option {
	out := []views.Option{{Value: "", Label: l.T(all), Selected: chosen == ""}}
	for _, v := range values {
		out = append(out, views.Option{Value: v, Label: l.T(prefix + v), Selected: v == chosen})
	}
	return out
}

func series(l *lang.Localizer, prefix string, names []string) []chart.Series {
	out := make([]chart.Series, len(names))
	for i, n := range names {
		out[i] = chart.Series{Label: l.T(prefix + n), Class: seriesClass[n]}
	}
	return out
}

func decisionsChart(l *lang.Localizer, f console.Filter, counts []console.DecisionCount, total int64) views.ChartView {
	byDay := map[console.Day]map[string]int64{}
	for _, c := range counts {
		if byDay[c.Day] == nil {
			byDay[c.Day] = map[string]int64{}
		}
		byDay[c.Day][c.Decision] += c.N
	}
	c := chart.Columns{Series: series(l, "admin_decision_", decisionSeries), XTitle: l.T("admin_axis_day"), YTitle: l.T("admin_axis_decisions")}
	t := views.Table{ID: "decisions", Caption: l.T("admin_decisions_title"), Head: []string{l.T("admin_axis_day")}}
	for _, d := range decisionSeries {
		t.Head = append(t.Head, l.T("admin_decision_"+d))
	}
	t.Head = append(t.Head, l.T("admin_total"))
	busiest, most := "", int64(-1)
	for d := f.From; d <= f.To; d++ {
		date := d.String()
		c.Categories = append(c.Categories, date[5:])
		row, cells := []int64{}, []string{date}
		var sum int64
		for _, dec := range decisionSeries {
			n := byDay[d][dec]
			row, cells, sum = append(row, n), append(cells, strconv.FormatInt(n, 10)), sum+n
		}
		c.Values = append(c.Values, row)
		t.Rows = append(t.Rows, append(cells, strconv.FormatInt(sum, 10)))
		if sum > most {
			busiest, most = date, sum
		}
	}
	desc := l.T("admin_decisions_desc", map[string]any{"Total": total, "Days": f.Days(), "Busiest": busiest, "Most": most})
	return views.ChartView{ID: "chart-decisions", Title: l.T("admin_decisions_title"), Desc: desc, Layout: c.Layout(), Table: t, Empty: l.T("admin_no_data")}
}

// purposeKey names a purpose: ids are unique within an audience only.
type purposeKey struct{ audience, id string }

// purposeTitle is a purpose's title in the reader's language, from the
// newest catalogue that knows it, with its id and audience.
func (a *admin) purposeTitle(l *lang.Localizer, k purposeKey) string {
	if p, ok := a.purposeOf(k); ok {
		return p.Title.Show(l.Lang) + " (" + k.id + ", " + l.T("admin_audience_"+k.audience) + ")"
	}
	return k.id + " (" + l.T("admin_audience_"+k.audience) + ")"
}

// purposeOf is the purpose k names in the newest catalogue that has it.
func (a *admin) purposeOf(k purposeKey) (consent.Purpose, bool) {
	surface := consent.SurfaceFirstLaunch
	if k.audience == consent.AudienceWeb {
		surface = consent.SurfaceWebBanner
	}
	versions := a.d.Policies.Versions()
	for i := len(versions) - 1; i >= 0; i-- {
		if p, ok := a.d.Catalogues[versions[i].ID].Purpose(surface, consent.PurposeID(k.id)); ok {
			return p, true
		}
	}
	return consent.Purpose{}, false
}

func (a *admin) purposesChart(l *lang.Localizer, counts []console.PurposeCount) views.ChartView {
	by := map[purposeKey]map[string]int64{}
	var keys []purposeKey
	for _, c := range counts {
		k := purposeKey{c.Audience, c.Purpose}
		if by[k] == nil {
			by[k] = map[string]int64{}
			keys = append(keys, k)
		}
		by[k][c.State] += c.N
	}
	// The chart shows how often each consent is given. Required processing
	// asks none: it rests on necessity (receipt.StateNecessary), so it is
	// left out, with the "given" that receipts before kaiconn-receipt/3
	// wrote for it.
	keys = slices.DeleteFunc(keys, func(k purposeKey) bool {
		p, ok := a.purposeOf(k)
		return ok && p.Required
	})
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].audience < keys[j].audience || (keys[i].audience == keys[j].audience && keys[i].id < keys[j].id)
	})
	c := chart.Shares{Series: series(l, "admin_state_", stateSeries), XTitle: l.T("admin_axis_share")}
	t := views.Table{ID: "purposes", Caption: l.T("admin_purposes_title"), Head: []string{l.T("admin_purpose")}}
	for _, s := range stateSeries {
		t.Head = append(t.Head, l.T("admin_state_"+s))
	}
	t.Head = append(t.Head, l.T("admin_total"))
	var lowest string
	lowestRate := 2.0
	for _, k := range keys {
		title := a.purposeTitle(l, k)
		c.Categories = append(c.Categories, k.id+" · "+l.T("admin_audience_"+k.audience))
		var total int64
		row := []int64{}
		for _, s := range stateSeries {
			row, total = append(row, by[k][s]), total+by[k][s]
		}
		c.Values = append(c.Values, row)
		cells := []string{title}
		for _, n := range row {
			cells = append(cells, fmt.Sprintf("%d (%s)", n, chart.Percent(n, total)))
		}
		t.Rows = append(t.Rows, append(cells, strconv.FormatInt(total, 10)))
		if rate := float64(row[0]) / float64(max(total, 1)); rate < lowestRate {
			lowest, lowestRate = title, rate
		}
	}
	desc := l.T("admin_purposes_desc", map[string]any{"Count": len(keys), "Lowest": lowest})
	return views.ChartView{ID: "chart-purposes", Title: l.T("admin_purposes_title"), Desc: desc, Layout: c.Layout(), Table: t, Empty: l.T("admin_no_data")}
}

// latencyBins group the stores' buckets for the chart: upper bounds in
// seconds, exclusive.
var latencyBins = []struct {
	upTo int64
	id   string
}{{5, "lt5s"}, {10, "lt10s"}, {30, "lt30s"}, {60, "lt1m"}, {120, "lt2m"}, {600, "lt10m"}, {3600, "lt1h"}, {86400, "lt1d"}, {1 << 62, "ge1d"}}

func latencyChart(l *lang.Localizer, counts []console.LatencyCount) views.ChartView {
	bins := make([]int64, len(latencyBins))
	var total int64
	for _, c := range counts {
		for i, b := range latencyBins {
			if c.Seconds < b.upTo {
				bins[i] += c.N
				break
			}
		}
		total += c.N
	}
	c := chart.Columns{Series: []chart.Series{{Label: l.T("admin_axis_decisions"), Class: "kc-s1"}}, XTitle: l.T("admin_axis_time"), YTitle: l.T("admin_axis_decisions")}
	t := views.Table{ID: "latency", Caption: l.T("admin_latency_title"), Head: []string{l.T("admin_axis_time"), l.T("admin_axis_decisions"), l.T("admin_share")}}
	for i, b := range latencyBins {
		label := l.T("admin_bin_" + b.id)
		c.Categories = append(c.Categories, label)
		c.Values = append(c.Values, []int64{bins[i]})
		t.Rows = append(t.Rows, []string{label, strconv.FormatInt(bins[i], 10), chart.Percent(bins[i], total)})
	}
	desc := l.T("admin_latency_desc", map[string]any{"Known": total, "Median": quantileText(l, counts, 0.5),
		"P25": quantileText(l, counts, 0.25), "P75": quantileText(l, counts, 0.75)})
	return views.ChartView{ID: "chart-latency", Title: l.T("admin_latency_title"), Desc: desc, Layout: c.Layout(), Table: t, Empty: l.T("admin_no_latency")}
}

// quantileText is a quantile of the times to decision for people, or
// "unknown" when no time is known.
func quantileText(l *lang.Localizer, counts []console.LatencyCount, q float64) string {
	s, ok := console.Quantile(counts, q)
	if !ok {
		return l.T("admin_unknown")
	}
	d := time.Duration(s) * time.Second
	switch {
	case s >= 86400:
		return l.T("admin_over_a_day")
	case s >= 3600:
		return l.T("admin_hours", map[string]any{"N": int64(d.Hours())})
	case s >= 120:
		return l.T("admin_minutes", map[string]any{"N": int64(d.Minutes())})
	}
	return l.T("admin_seconds", map[string]any{"N": s})
}

func reasksChart(l *lang.Localizer, counts []console.ReaskCount, purposes []console.ReaskPurposeCount) (views.ChartView, views.Table) {
	by := map[string]map[string]int64{}
	var versions []string
	var total int64
	for _, c := range counts {
		if by[c.PolicyVersion] == nil {
			by[c.PolicyVersion] = map[string]int64{}
			versions = append(versions, c.PolicyVersion)
		}
		by[c.PolicyVersion][c.Decision] += c.N
		total += c.N
	}
	sort.Strings(versions)
	c := chart.Columns{Series: series(l, "admin_decision_", decisionSeries), XTitle: l.T("admin_axis_version"), YTitle: l.T("admin_axis_reasks")}
	t := views.Table{ID: "reasks", Caption: l.T("admin_reasks_title"), Head: []string{l.T("admin_axis_version")}}
	for _, d := range decisionSeries {
		t.Head = append(t.Head, l.T("admin_decision_"+d))
	}
	t.Head = append(t.Head, l.T("admin_total"))
	for _, v := range versions {
		c.Categories = append(c.Categories, v)
		var row []int64
		var sum int64
		for _, d := range decisionSeries {
			row, sum = append(row, by[v][d]), sum+by[v][d]
		}
		cells := []string{v}
		for _, n := range row {
			cells = append(cells, fmt.Sprintf("%d (%s)", n, chart.Percent(n, sum)))
		}
		c.Values = append(c.Values, row)
		t.Rows = append(t.Rows, append(cells, strconv.FormatInt(sum, 10)))
	}
	desc := l.T("admin_reasks_desc", map[string]any{"Total": total, "Versions": strings.Join(versions, ", ")})
	cv := views.ChartView{ID: "chart-reasks", Title: l.T("admin_reasks_title"), Desc: desc, Layout: c.Layout(), Table: t, Empty: l.T("admin_no_reasks")}

	pt := views.Table{ID: "reask-purposes", Caption: l.T("admin_reask_purposes"), Head: []string{l.T("admin_axis_version"), l.T("admin_purpose")}}
	for _, s := range stateSeries {
		pt.Head = append(pt.Head, l.T("admin_state_"+s))
	}
	type key struct{ version, audience, purpose string }
	pby := map[key]map[string]int64{}
	var keys []key
	for _, p := range purposes {
		k := key{p.PolicyVersion, p.Audience, p.Purpose}
		if pby[k] == nil {
			pby[k] = map[string]int64{}
			keys = append(keys, k)
		}
		pby[k][p.State] += p.N
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].version != keys[j].version {
			return keys[i].version < keys[j].version
		}
		if keys[i].audience != keys[j].audience {
			return keys[i].audience < keys[j].audience
		}
		return keys[i].purpose < keys[j].purpose
	})
	for _, k := range keys {
		var sum int64
		for _, s := range stateSeries {
			sum += pby[k][s]
		}
		if sum == 0 {
			// Only necessity (receipt.StateNecessary): no consent was
			// asked, so there is no answer to count.
			continue
		}
		row := []string{k.version, k.purpose + " · " + l.T("admin_audience_"+k.audience)}
		for _, s := range stateSeries {
			row = append(row, fmt.Sprintf("%d (%s)", pby[k][s], chart.Percent(pby[k][s], sum)))
		}
		pt.Rows = append(pt.Rows, row)
	}
	return cv, pt
}
