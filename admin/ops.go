package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/kaiconn/consent/chart"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/notices"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/views"
)

// opsDays is how many days of receipts the operations page shows.
const opsDays = 14

func (a *admin) operations(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	l := req.loc
	ctx := r.Context()
	started := time.Now()
	today := console.DayOf(a.now())
	h, err := a.store.Health(ctx, today-opsDays+1)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	took := time.Since(started)
	if !a.logged(w, r, console.ActionViewOperations, "") {
		return
	}
	v := views.AdminOperations{AdminChrome: a.chrome(r, "operations")}
	if v.Purges, err = a.purgesTable(r, l); err != nil {
		a.internal(w, r, err)
		return
	}

	v.Keys = views.Table{ID: "keys", Caption: l.T("admin_keys_caption"), Head: []string{l.T("admin_key_id"), l.T("admin_key_created"), l.T("admin_key_use")}}
	for _, k := range a.d.Keys.Keys() {
		use := l.T("admin_key_verifies")
		if k.Signing {
			use = l.T("admin_key_signs")
		}
		v.Keys.Rows = append(v.Keys.Rows, []string{k.KeyID, adminTime(l, k.Created), use})
	}

	v.Store = []views.Fact{
		{ID: "store-engine", Label: l.T("admin_store_engine"), Value: h.Engine},
		{ID: "store-schema", Label: l.T("admin_store_schema"), Value: strconv.Itoa(h.SchemaVersion)},
		{ID: "store-size", Label: l.T("admin_store_size"), Value: megabytes(h.SizeBytes)},
		{ID: "store-receipts", Label: l.T("admin_store_receipts"), Value: strconv.FormatInt(h.Receipts, 10)},
		{ID: "store-latency", Label: l.T("admin_store_latency"), Value: fmt.Sprintf("%.1f ms", float64(took.Microseconds())/1000)},
	}

	by := map[console.Day]int64{}
	for _, d := range h.PerDay {
		by[d.Day] = d.N
	}
	c := chart.Columns{Series: []chart.Series{{Label: l.T("admin_store_receipts"), Class: "kc-s2"}}, XTitle: l.T("admin_axis_day"), YTitle: l.T("admin_store_receipts")}
	t := views.Table{ID: "per-day", Caption: l.T("admin_per_day"), Head: []string{l.T("admin_axis_day"), l.T("admin_store_receipts")}}
	var sum int64
	for d := today - opsDays + 1; d <= today; d++ {
		c.Categories = append(c.Categories, d.String()[5:])
		c.Values = append(c.Values, []int64{by[d]})
		t.Rows = append(t.Rows, []string{d.String(), strconv.FormatInt(by[d], 10)})
		sum += by[d]
	}
	v.PerDay = views.ChartView{ID: "chart-per-day", Title: l.T("admin_per_day"), Layout: c.Layout(), Table: t, Empty: l.T("admin_no_data"),
		Desc: l.T("admin_per_day_desc", map[string]any{"Total": sum, "Days": opsDays})}

	set := a.d.Settings
	rate := l.T("admin_rate", map[string]any{"N": effectiveRate(set.RateLimit), "Window": effectiveWindow(set.RateWindow)})
	if set.RateLimit < 0 {
		rate = l.T("admin_unlimited")
	}
	lock := console.Lockout{MaxFailures: a.cfg.LockoutAttempts, Duration: a.cfg.LockoutDuration}
	attempts, lockFor := lockoutValues(lock)
	v.Limits = []views.Fact{
		{ID: "limit-api", Label: l.T("admin_limit_api"), Value: rate},
		{ID: "limit-proxies", Label: l.T("admin_limit_proxies"), Value: listOrNone(l, set.TrustedProxies)},
		{ID: "limit-origins", Label: l.T("admin_limit_origins"), Value: listOrNone(l, set.AllowedOrigins)},
		{ID: "limit-lockout", Label: l.T("admin_limit_lockout"), Value: l.T("admin_lockout", map[string]any{"N": attempts, "For": lockFor})},
		{ID: "limit-session", Label: l.T("admin_limit_session"), Value: a.cfg.sessionLifetime().String()},
		{ID: "limit-export", Label: l.T("admin_limit_export"), Value: onOff(l, set.ExportToken != "")},
		{ID: "limit-oidc", Label: l.T("admin_limit_oidc"), Value: l.T("admin_oidc_none")},
	}
	v.Build = buildFacts(l)
	var versions []string
	for _, pv := range a.d.Policies.Versions() {
		versions = append(versions, pv.ID)
	}
	refs, _ := notice.NewRegistry(notices.FS).Refs()
	v.Sources = []views.Fact{
		{ID: "policy-versions", Label: l.T("admin_policy_versions"), Value: listOrNone(l, versions)},
		{ID: "notices", Label: l.T("admin_notices"), Value: strconv.Itoa(len(refs))},
	}
	a.page(w, r, http.StatusOK, l.T("admin_operations_title"), v.AdminChrome, views.AdminOperationsPage(v, l))
}

func lockoutValues(l console.Lockout) (int, string) {
	n, d := l.MaxFailures, l.Duration
	if n <= 0 {
		n = 5
	}
	if d <= 0 {
		d = 15 * time.Minute
	}
	return n, d.String()
}

func effectiveRate(n int) int {
	if n == 0 {
		return 120
	}
	return n
}

func effectiveWindow(d time.Duration) string {
	if d <= 0 {
		d = time.Minute
	}
	return d.String()
}

func megabytes(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func listOrNone(l *lang.Localizer, xs []string) string {
	if len(xs) == 0 {
		return l.T("admin_none")
	}
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func onOff(l *lang.Localizer, on bool) string {
	if on {
		return l.T("admin_on")
	}
	return l.T("admin_off")
}

// buildFacts describes the running binary from its build information.
func buildFacts(l *lang.Localizer) []views.Fact {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return []views.Fact{{ID: "build-version", Label: l.T("admin_build_version"), Value: l.T("admin_unknown")}}
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	or := func(v string) string {
		if v == "" {
			return l.T("admin_unknown")
		}
		return v
	}
	modified := or(settings["vcs.modified"])
	return []views.Fact{
		{ID: "build-version", Label: l.T("admin_build_version"), Value: or(info.Main.Version)},
		{ID: "build-revision", Label: l.T("admin_build_revision"), Value: or(settings["vcs.revision"])},
		{ID: "build-time", Label: l.T("admin_build_time"), Value: or(settings["vcs.time"])},
		{ID: "build-modified", Label: l.T("admin_build_modified"), Value: modified},
		{ID: "build-go", Label: l.T("admin_build_go"), Value: info.GoVersion},
	}
}

// auditPageSize is how many entries the audit page lists at once.
const auditPageSize = 50

func (a *admin) auditPage(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	l := req.loc
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	a.refusals.flush(r.Context())
	entries, err := a.store.AuditPage(r.Context(), before, auditPageSize)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if !a.logged(w, r, console.ActionViewAudit, "") {
		return
	}
	v := views.AdminAudit{AdminChrome: a.chrome(r, "audit")}
	v.Entries = views.Table{ID: "audit", Caption: l.T("admin_audit_caption"), Head: []string{"#", l.T("admin_audit_at"),
		l.T("admin_audit_operator"), l.T("admin_audit_action"), l.T("admin_audit_target"), l.T("admin_audit_outcome")}}
	for _, e := range entries {
		op := e.Operator
		if op == "" {
			op = l.T("admin_audit_nobody")
		}
		v.Entries.Rows = append(v.Entries.Rows, []string{strconv.FormatInt(e.Seq, 10), adminTime(l, e.At), op, e.Action, e.Target, e.Outcome})
	}
	if len(entries) == auditPageSize && entries[len(entries)-1].Seq > 1 {
		v.Older = "/admin/audit?lang=" + req.lang + "&before=" + strconv.FormatInt(entries[len(entries)-1].Seq, 10)
	}
	a.page(w, r, http.StatusOK, l.T("admin_audit_title"), v.AdminChrome, views.AdminAuditPage(v, l))
}

// auditExport streams the whole audit log as NDJSON, oldest first, each
// entry with the hash that chains it (console.VerifyAudit checks them).
func (a *admin) auditExport(w http.ResponseWriter, r *http.Request) {
	a.refusals.flush(r.Context())
	if !a.logged(w, r, console.ActionExportAudit, "") {
		return
	}
	// The export ends anchored: a checkpoint signs its newest entry, so
	// that whoever keeps this file can later tell a re-hashed log.
	if err := a.checkpointNewest(r.Context()); err != nil {
		a.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="kaiconn-audit-`+a.now().UTC().Format("20060102T150405Z")+`.ndjson"`)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := a.store.ExportAudit(r.Context(), func(e console.Entry) error { return enc.Encode(e) }); err != nil {
		// The status is sent: cutting the connection tells the client
		// the export is incomplete.
		a.d.Log.Error("admin: audit export interrupted", "err", err)
		panic(http.ErrAbortHandler)
	}
}
