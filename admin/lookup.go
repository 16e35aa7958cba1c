package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/proof"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/views"
)

var receiptIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// lookup finds a subject by one of its receipt ids or by its id, and
// sends the officer to the subject's page.
func (a *admin) lookup(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := views.AdminLookup{AdminChrome: a.chrome(r, "lookup"), Query: q}
	if q == "" {
		if !a.logged(w, r, console.ActionLookUp, "") {
			return
		}
		a.page(w, r, http.StatusOK, req.loc.T("admin_lookup_title"), v.AdminChrome, views.AdminLookupPage(v, req.loc))
		return
	}
	subject, anchor := "", ""
	if id := strings.ToLower(q); receiptIDPattern.MatchString(id) {
		if rec, err := a.d.Store.Get(r.Context(), id); err == nil {
			subject, anchor = rec.Subject, id
		} else if errs.Code(err) != errs.NotFound {
			a.internal(w, r, err)
			return
		}
	}
	if subject == "" && receipt.CheckSubject(q) == nil {
		if _, err := a.d.Store.Head(r.Context(), q); err == nil {
			subject = q
		} else if errs.Code(err) != errs.NotFound {
			a.internal(w, r, err)
			return
		}
	}
	outcome := console.OutcomeOK
	if subject == "" {
		outcome = "not-found"
	}
	if !a.audit(r.Context(), a.entry(req, console.ActionLookUp, q, outcome)) {
		a.fail(w, r, http.StatusInternalServerError, req.loc.T("admin_error_title"), req.loc.T("admin_error_audit"))
		return
	}
	if subject == "" {
		v.Error = req.loc.T("admin_lookup_none")
		a.page(w, r, http.StatusNotFound, req.loc.T("admin_lookup_title"), v.AdminChrome, views.AdminLookupPage(v, req.loc))
		return
	}
	dest := "/admin/subjects/" + url.PathEscape(subject) + "?lang=" + req.lang
	if anchor != "" {
		dest += "&receipt=" + anchor + "#r-" + anchor
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// chain reads a subject's receipts and verifies them in place.
func (a *admin) chain(r *http.Request, subject string) (receipt.History, proof.Report, error) {
	records, err := a.d.Store.Subject(r.Context(), subject)
	if err != nil {
		return receipt.History{}, proof.Report{}, err
	}
	if len(records) == 0 {
		return receipt.History{}, proof.Report{}, errs.New(errs.NotFound, "subject: no receipt")
	}
	h := receipt.History{Subject: subject}
	for _, rec := range records {
		h.Receipts = append(h.Receipts, receipt.FromRecord(rec))
	}
	return h, proof.Inspect(h, a.d.Keys.JWKS(), a.d.Sources), nil
}

func (a *admin) subject(w http.ResponseWriter, r *http.Request) {
	a.subjectPage(w, r, chi.URLParam(r, "subject"), http.StatusOK, "")
}

// subjectPage shows a subject's chain and state with status; holdErr says
// why a hold was refused.
func (a *admin) subjectPage(w http.ResponseWriter, r *http.Request, subject string, status int, holdErr string) {
	req := requestOf(r)
	h, rep, err := a.chain(r, subject)
	if errs.Code(err) == errs.NotFound {
		a.audit(r.Context(), a.entry(req, console.ActionViewSubject, subject, "not-found"))
		v := views.AdminLookup{AdminChrome: a.chrome(r, "lookup"), Query: subject, Error: req.loc.T("admin_lookup_none")}
		a.page(w, r, http.StatusNotFound, req.loc.T("admin_lookup_title"), v.AdminChrome, views.AdminLookupPage(v, req.loc))
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if !a.logged(w, r, console.ActionViewSubject, subject) {
		return
	}
	sv := subjectView(req.loc, rep, r.URL.Query().Get("receipt"))
	base := "/admin/subjects/" + url.PathEscape(subject)
	sv.HTMLURL, sv.JSONURL = base+"/proof.html?lang="+req.lang, base+"/proof.json"
	if err := a.retentionView(r, h, &sv, holdErr); err != nil {
		a.internal(w, r, err)
		return
	}
	v := views.AdminLookup{AdminChrome: a.chrome(r, "lookup"), Query: subject, Subject: &sv}
	a.page(w, r, status, req.loc.T("admin_lookup_title"), v.AdminChrome, views.AdminLookupPage(v, req.loc))
}

// subjectView turns a verified chain into what the page shows.
func subjectView(l *lang.Localizer, rep proof.Report, highlight string) views.SubjectView {
	sv := views.SubjectView{Subject: rep.Subject, Verified: rep.Err() == nil}
	failed := 0
	for _, it := range rep.Items {
		rv := receiptView(l, it)
		rv.Highlight = rv.ID == highlight
		if !rv.OK {
			failed++
		}
		sv.Receipts = append(sv.Receipts, rv)
	}
	if sv.Verified {
		sv.Summary = l.T("admin_verified_all", map[string]int{"N": len(rep.Items)})
	} else {
		sv.Summary = l.T("admin_verified_not", map[string]int{"N": len(rep.Items), "Failed": failed})
	}
	return sv
}

// adminTime is t for an operator, to the second: in the product's one
// format (texts.FormatTimeIn), in China Standard Time, the zone the
// insights count days in, which it names.
func adminTime(l *lang.Localizer, t time.Time) string {
	if t.IsZero() {
		return l.T("admin_unknown")
	}
	return texts.FormatTimeIn(t, l.Lang, console.Zone, true)
}

var checkNames = []string{"device", "countersignature", "link", "policy", "notices"}

func receiptView(l *lang.Localizer, it proof.Item) views.ReceiptView {
	rv := views.ReceiptView{ID: it.ID, Anchor: "r-" + it.ID, Hash: it.Hash, ReceivedAt: adminTime(l, it.ReceivedAt), OK: it.OK(), KeyID: it.KeyID}
	results := []proof.Result{it.Device, it.Countersignature, it.Link, it.Policy, it.Notices}
	if it.Signed == nil {
		rv.Checks = append(rv.Checks, check(l, "decode", it.Decode))
		return rv
	}
	r := &it.Signed.Receipt
	// What passed is said in the reader's language; a failure keeps the
	// verifier's own message, which names the member at fault exactly as
	// kaiconn-verify does.
	passed := map[string]string{
		"device":           it.Signed.Device.Alg,
		"countersignature": l.T("admin_detail_key", map[string]string{"Kid": it.KeyID}),
		"link":             l.T("admin_detail_prev", map[string]string{"Hash": r.PrevHash}),
		"policy":           it.Texts.PolicyFile,
		"notices":          l.T("admin_detail_notices", map[string]int{"N": len(it.Texts.NoticeRefs(r))}),
	}
	if r.PrevHash == "" {
		passed["link"] = l.T("admin_detail_first")
	}
	skipped := map[string]string{
		"device":  l.T("admin_detail_attested"),
		"policy":  l.T("admin_detail_no_policy"),
		"notices": l.T("admin_detail_inline"),
	}
	for i, name := range checkNames {
		c := check(l, name, results[i])
		switch results[i].Status {
		case proof.OK:
			c.Message = passed[name]
		case proof.NotApplicable:
			c.Message = skipped[name]
		}
		rv.Checks = append(rv.Checks, c)
	}
	rv.ID, rv.PrevHash, rv.IssuedAt = r.ID, r.PrevHash, adminTime(l, r.IssuedTime())
	rv.Anchor = "r-" + r.ID
	rv.Decision = l.T("admin_decision_" + r.Decision)
	rv.Surface = l.T("admin_surface_" + r.Surface)
	rv.Language = r.Language
	rv.Policy, rv.PolicySHA, rv.Schema, rv.Notice = r.Policy.Version, r.Policy.SHA256, r.Schema, r.Notice
	rv.Attestation = l.T("admin_attestation_" + it.Signed.Attestation)
	t := it.Texts
	if c := t.Controller; c.Name != "" {
		rv.Controller = strings.Join([]string{c.Name, c.Address, c.Email}, "; ")
	}
	if t.Withdrawal.Text != "" {
		rv.Withdrawal = strings.TrimSpace(t.Withdrawal.Text + " " + t.Withdrawal.URL + " " + t.Withdrawal.RequiredText)
	}
	for _, p := range t.Purposes {
		n := p.Notice
		pv := views.PurposeView{ID: p.ID, State: p.State, StateLabel: l.T("admin_state_" + p.State), Ref: p.Ref,
			Title: n.Title, Recipient: n.Recipient, SDK: n.SDK, Data: strings.Join(n.DataCategories, "; "), Use: n.Use,
			ConsentType: n.ConsentType, Withdraw: strings.TrimSpace(n.Withdraw.Text + " " + n.Withdraw.URL),
			Cookies: strings.Join(n.Cookies, ", "), PrivacyURL: n.PrivacyURL}
		if p.ExpiresAt != "" {
			if e, err := time.Parse(time.RFC3339Nano, p.ExpiresAt); err == nil {
				pv.Expires = l.T("admin_until", map[string]string{"Time": adminTime(l, e)})
			}
		}
		if pv.Title == "" {
			pv.Title = p.ID
		}
		rv.Purposes = append(rv.Purposes, pv)
	}
	return rv
}

func check(l *lang.Localizer, name string, r proof.Result) views.CheckView {
	status := map[proof.Status]string{proof.OK: "ok", proof.Failed: "failed", proof.NotApplicable: "na"}[r.Status]
	return views.CheckView{Name: name, Status: status, Label: l.T("admin_status_" + status), Message: r.Message}
}

// proofJSON downloads the machine-readable proof bundle.
func (a *admin) proofJSON(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	data, name, ok := a.bundle(w, r, subject, console.ActionDownloadJSON)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
	_, _ = w.Write(data)
}

// bundle makes a subject's sealed bundle after logging its download.
func (a *admin) bundle(w http.ResponseWriter, r *http.Request, subject, action string) ([]byte, string, bool) {
	req := requestOf(r)
	h, _, err := a.chain(r, subject)
	if errs.Code(err) == errs.NotFound {
		a.audit(r.Context(), a.entry(req, action, subject, "not-found"))
		a.fail(w, r, http.StatusNotFound, req.loc.T("admin_lookup_title"), req.loc.T("admin_lookup_none"))
		return nil, "", false
	}
	if err != nil {
		a.internal(w, r, err)
		return nil, "", false
	}
	if h.Receipts[0].Tombstone != nil {
		// The retention deleted the bodies: nothing is left to seal.
		a.audit(r.Context(), a.entry(req, action, subject, "deleted"))
		a.fail(w, r, http.StatusGone, req.loc.T("admin_lookup_title"), req.loc.T("admin_tombstones", map[string]int{"N": len(h.Receipts)}))
		return nil, "", false
	}
	if !a.logged(w, r, action, subject) {
		return nil, "", false
	}
	now := a.now()
	data, err := proof.Build(h, a.d.Keys.JWKS(), a.d.Sources, a.d.Keys, now)
	if err != nil {
		a.internal(w, r, err)
		return nil, "", false
	}
	return data, proof.Name(subject, now), true
}

// proofHTML downloads the self-contained, printable proof bundle: the
// verified chain, the texts, the keys and how to check it offline.
func (a *admin) proofHTML(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	subject := chi.URLParam(r, "subject")
	data, name, ok := a.bundle(w, r, subject, console.ActionDownloadHTML)
	if !ok {
		return
	}
	var b proof.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		a.internal(w, r, err)
		return
	}
	// The page shows what the bundle holds, verified as its reader will
	// verify it; a chain that fails is shown failing, check by check.
	v, err := proof.Verify(data, a.d.Keys.JWKS())
	rep := proof.Inspect(receipt.History{Subject: subject, Receipts: b.Receipts}, b.JWKS, a.d.Sources)
	if err == nil {
		rep = v.Report
	}
	sv := subjectView(req.loc, rep, "")
	doc := views.ProofHTML{Lang: req.lang, Subject: subject, CreatedAt: adminTime(req.loc, a.now()), Verified: sv.Verified,
		Summary: sv.Summary, Receipts: sv.Receipts, BundleName: name + ".json", JWKS: indentJSON(b.JWKS),
		JWKSURL: a.d.Origin(r) + "/.well-known/jwks.json"}
	if v != nil {
		doc.KeyIDs = v.KeyIDs
	}
	for _, file := range slices.Sorted(maps.Keys(b.Policies)) {
		text := b.Policies[file]
		sum := sha256.Sum256([]byte(text))
		doc.Policies = append(doc.Policies, views.PolicyText{File: "policy/" + file, SHA256: hex.EncodeToString(sum[:]), Text: text,
			Lang: strings.TrimSuffix(path.Base(file), ".md")})
	}
	var buf bytes.Buffer
	if err := views.ProofDocument(doc, req.loc).Render(r.Context(), &buf); err != nil {
		a.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.html"`)
	_, _ = w.Write(buf.Bytes())
}

func indentJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
