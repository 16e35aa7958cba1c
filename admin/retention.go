package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/views"
)

// purgeRunsShown is how many purge runs the operations page lists.
const purgeRunsShown = 10

// retentionView adds to a subject's page what the retention says of it:
// its state, the officer's hold form, and, for a chain whose bodies were
// deleted, its tombstones in place of receipts that can no longer be
// verified.
func (a *admin) retentionView(r *http.Request, h receipt.History, sv *views.SubjectView, holdErr string) error {
	ret := a.d.Retention
	if ret == nil {
		return nil
	}
	req := requestOf(r)
	l := req.loc
	st, err := ret.State(r.Context(), h.Subject)
	if err != nil {
		return err
	}
	state := views.Fact{ID: "subject-state", Label: l.T("admin_ret_state"), Value: l.T("admin_ret_active")}
	if e := st.Ending; e != nil {
		if e.Kind == receipt.EndErased {
			by := receipt.ErasedByService
			if strings.Contains(string(e.Record), `"requestedBy":"`+receipt.ErasedByDevice+`"`) {
				by = receipt.ErasedByDevice
			}
			state.Value = l.T("admin_ret_erased", map[string]string{"Time": adminTime(l, e.EndedAt), "By": l.T("admin_ret_by_" + by)})
		} else {
			state.Value = l.T("admin_ret_withdrawn", map[string]string{"Time": adminTime(l, e.EndedAt)})
		}
		if e.PurgedAt.IsZero() {
			state.Value += l.T("admin_ret_join") + l.T("admin_ret_due", map[string]string{"Time": adminTime(l, e.EndedAt.Add(a.d.Keep))})
		} else {
			state.Value += l.T("admin_ret_join") + l.T("admin_ret_deleted", map[string]string{"Time": adminTime(l, e.PurgedAt)})
		}
	}
	hold := views.Fact{ID: "subject-hold", Label: l.T("admin_hold"), Value: l.T("admin_hold_none")}
	if st.Hold != nil {
		hold.Value = l.T("admin_hold_since", map[string]string{"Time": adminTime(l, st.Hold.At), "By": st.Hold.By, "Reason": st.Hold.Reason})
	}
	sv.State = []views.Fact{state, hold}
	purged := st.Ending != nil && !st.Ending.PurgedAt.IsZero()
	if !purged || st.Hold != nil {
		sv.Hold = &views.HoldForm{Action: "/admin/subjects/" + url.PathEscape(h.Subject) + "/hold?lang=" + req.lang,
			CSRF: req.session.CSRF, Held: st.Hold != nil, Error: holdErr}
	}
	if purged {
		// Nothing left to prove: the bodies are gone.
		sv.HTMLURL, sv.JSONURL = "", ""
		sv.Verified = receipt.VerifyChain(h, a.d.Keys.JWKS()) == nil
		sv.Summary = l.T("admin_tombstones", map[string]int{"N": len(h.Receipts)})
		sv.Receipts = sv.Receipts[:0]
		for _, c := range h.Receipts {
			if c.Tombstone == nil {
				continue
			}
			link := views.CheckView{Name: "link", Status: "ok", Label: l.T("admin_status_ok"), Message: l.T("admin_detail_prev", map[string]string{"Hash": c.PrevHash})}
			if c.PrevHash == "" {
				link.Message = l.T("admin_detail_first")
			}
			sv.Receipts = append(sv.Receipts, views.ReceiptView{ID: c.ID, Anchor: "r-" + c.ID, Hash: c.Hash, PrevHash: c.PrevHash,
				ReceivedAt: adminTime(l, c.ReceivedAt), OK: true, KeyID: c.KeyID,
				Checks: []views.CheckView{link, {Name: "deleted", Status: "na", Label: l.T("admin_status_na"),
					Message: l.T("admin_tombstone", map[string]string{"Time": adminTime(l, c.Tombstone.PurgedAt)})}}})
		}
	}
	return nil
}

// holdPost holds or releases a subject (officers only, a reason required),
// audited, and shows the subject again.
func (a *admin) holdPost(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	subject := chi.URLParam(r, "subject")
	ret := a.d.Retention
	if ret == nil {
		a.fail(w, r, http.StatusNotFound, req.loc.T("admin_lookup_title"), req.loc.T("admin_lookup_none"))
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	release := r.PostFormValue("do") == "release"
	action := console.ActionHold
	if release {
		action = console.ActionRelease
	}
	var err error
	switch {
	case reason == "":
		err = errs.New(errs.Invalid, "reason: required")
	case release:
		err = ret.Release(r.Context(), subject)
	default:
		err = ret.Hold(r.Context(), receipt.Hold{Subject: subject, Reason: reason, By: req.op.Name, At: a.now()})
	}
	outcome := console.OutcomeOK
	if err != nil {
		outcome = errs.Code(err)
	}
	// The reason is the officer's own words, kept with the entry: the
	// audit log is where a hold must be explained.
	if !a.audit(r.Context(), a.entry(req, action, subject+" — "+reason, outcome)) {
		a.fail(w, r, http.StatusInternalServerError, req.loc.T("admin_error_title"), req.loc.T("admin_error_audit"))
		return
	}
	switch errs.Code(err) {
	case "":
		http.Redirect(w, r, "/admin/subjects/"+url.PathEscape(subject)+"?lang="+req.lang, http.StatusSeeOther)
		return
	case errs.Invalid:
		a.subjectPage(w, r, subject, http.StatusUnprocessableEntity, req.loc.T("admin_hold_error"))
		return
	case errs.NotFound:
		a.fail(w, r, http.StatusNotFound, req.loc.T("admin_lookup_title"), req.loc.T("admin_lookup_none"))
		return
	}
	a.internal(w, r, err)
}

// purgesTable lists the latest purge runs for the operations page.
func (a *admin) purgesTable(r *http.Request, l *lang.Localizer) (views.Table, error) {
	ret := a.d.Retention
	if ret == nil {
		return views.Table{}, nil
	}
	runs, err := ret.PurgeRuns(r.Context(), purgeRunsShown)
	if err != nil {
		return views.Table{}, err
	}
	t := views.Table{ID: "purges", Caption: l.T("admin_purges_caption"), Head: []string{l.T("admin_purge_started"), l.T("admin_purge_node"),
		l.T("admin_purge_subjects"), l.T("admin_purge_receipts"), l.T("admin_purge_held"), l.T("admin_purge_outcome")}}
	for _, run := range runs {
		outcome := l.T("admin_purge_ok")
		if run.Err != "" {
			outcome = run.Err
		}
		t.Rows = append(t.Rows, []string{adminTime(l, run.StartedAt), run.Node, strconv.Itoa(run.Result.Subjects),
			strconv.Itoa(run.Result.Receipts), strconv.Itoa(run.Result.Held), outcome})
	}
	return t, nil
}
