package documents

import (
	"net/http"
	"net/url"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/views"
)

// handlePermission serves /permission?p=<id>: what one device permission
// of the policy is for and what happens without it, shown by the app
// before the operating system asks. The person's decision comes from the
// host's ?state= or the kc_app_consent cookie, read as the gate reads
// them; a purpose not granted there gets no Continue.
//
// The page loads no wasm: it is shown between two screens of the app, and
// everything it does (one bridge message per choice) is permission.js.
func (docs *Documents) handlePermission(w http.ResponseWriter, r *http.Request) {
	l := docs.d.PageLang(w, r)
	loc := docs.d.Msgs.Localizer(l)
	// The page depends on the person's decision, in a cookie or the
	// address: no shared cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	v := docs.d.Policies.Latest()
	cat := docs.d.Catalogues[v.ID]
	doc, _ := v.Doc(l)
	id := r.URL.Query().Get("p")
	perm, fn, purpose, ok := cat.Permission(id)
	_, name, listed := doc.Permission(id)
	if !ok || !listed {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		docs.d.Render(w, r, views.Page{Lang: l, Title: loc.T("permission_unknown_title"), Surface: "permission", NoWasm: true, Styles: []string{"lists.css"}},
			loc, views.PermissionUnknown(lists.URL(lists.Collected, l, ""), loc))
		return
	}
	history, hostRaw := docs.d.Decisions(r, docs.d.Now())
	state := views.PermissionAsk
	if !purpose.Required {
		state = docs.permissionState(history, purpose.ID)
	}
	// The app's own functions are named by the catalogue; an SDK's by its
	// purpose, as the person chose it, and the SDK as the policy names it.
	function, sdk := fn.Title.Show(l), ""
	if fn.SDK != "" {
		row, _ := doc.SDK(fn.SDK)
		function, sdk = purpose.Title.Show(l), row.Name
	}
	settings := url.Values{"lang": {l}}
	other := url.Values{"p": {id}, "lang": {lang.Other(l)}}
	if hostRaw != "" {
		settings.Set("state", hostRaw)
		other.Set("state", hostRaw)
	}
	view := views.PermissionView{
		Lang:        l,
		ID:          perm.ID,
		Name:        name,
		Use:         perm.Use.Show(l),
		Without:     perm.Without.Show(l),
		Function:    function,
		SDK:         sdk,
		Purpose:     purpose.Title.Show(l),
		Required:    purpose.Required,
		Optional:    perm.Optional,
		DataItem:    perm.DataItem,
		State:       state,
		SwitchURL:   "/permission?" + other.Encode(),
		SettingsURL: "/settings/privacy?" + settings.Encode(),
		PolicyURL:   "/privacy?lang=" + url.QueryEscape(l) + "#" + perm.ID,
		ListURL:     lists.URL(lists.Collected, l, "") + "#fn-" + fn.ID,
	}
	title := loc.T("permission_heading", map[string]any{"Name": name})
	if perm.DataItem {
		title = loc.T("permission_heading_data", map[string]any{"Name": name})
	}
	docs.d.Render(w, r, views.Page{Lang: l, Title: title, Surface: "permission", NoWasm: true, Styles: []string{"lists.css"}}, loc, views.Permission(view, loc))
}

// permissionState tells whether an optional purpose is granted in the
// person's newest decision (ask), refused there (refused), or not decided
// at all: no decision yet, or one under a policy version that did not have
// the purpose (not-asked). Only a grant leads to the operating system's
// prompt: a person is never assumed to have agreed.
func (docs *Documents) permissionState(history []consent.Decision, id consent.PurposeID) string {
	if len(history) == 0 {
		return views.PermissionNotAsked
	}
	d := history[0]
	if d.Granted(id) {
		return views.PermissionAsk
	}
	if cat, ok := docs.d.Catalogues[d.PolicyVersion]; ok {
		if _, known := cat.Purpose(consent.SurfaceFirstLaunch, id); known {
			return views.PermissionRefused
		}
	}
	return views.PermissionNotAsked
}
