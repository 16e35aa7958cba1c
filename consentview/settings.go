package consentview

import (
	"slices"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
)

// SettingsPage is where the settings' links go: the server's routes, or
// the bundle's files.
type SettingsPage struct {
	PrivacyURL string
	GateURL    string
}

// Since returns when the current answer for id was first given: the oldest
// of the newest decisions that all gave the same answer.
func Since(history []Decision, id consent.PurposeID) time.Time {
	if len(history) == 0 {
		return time.Time{}
	}
	want := history[0].Granted(id)
	at := history[0].At
	for _, d := range history[1:] {
		if !Mentions(d.Decision, id) || d.Granted(id) != want {
			break
		}
		at = d.At
	}
	return at
}

// Mentions reports whether d answered purpose id at all.
func Mentions(d consent.Decision, id consent.PurposeID) bool {
	return slices.ContainsFunc(d.Choices, func(c consent.Choice) bool { return c.Purpose == id })
}

// Settings is the view of the privacy settings for the person's history,
// newest first. Everything it shows about the current choice comes from
// history[0], the decision stored (the cookie's or the host's): its
// answers, its kind, its time and the policy version it was made under,
// which is not the latest when the person has not decided since a new
// version came into force. Times are RFC 3339; the page shows them in the
// reader's zone.
func (c *Catalogues) Settings(l string, page SettingsPage, history []Decision) SettingsView {
	v := SettingsView{
		Lang:          l,
		LatestVersion: c.Latest.Version(),
		HasDecision:   len(history) > 0,
		PrivacyURL:    page.PrivacyURL,
		GateURL:       page.GateURL,
		History:       []HistoryView{},
	}
	if len(history) > 0 {
		cur := history[0]
		v.PolicyVersion = cur.PolicyVersion
		v.Decision = string(cur.Kind)
		v.DecidedAt = Instant(cur.At)
	}
	for _, p := range c.Latest.Purposes(consent.SurfaceSettings) {
		pv := PurposeOf(p, l)
		if len(history) > 0 {
			pv.Granted = p.Required || history[0].Granted(p.ID)
			// A purpose the decision does not mention (new in a later
			// version) was never asked: it is off, but not "since" anything.
			if Mentions(history[0].Decision, p.ID) {
				pv.Since = Instant(Since(history, p.ID))
			}
		}
		if p.Required {
			v.Required = pv
			continue
		}
		v.Optional = append(v.Optional, pv)
	}
	for _, d := range history {
		hv := HistoryView{Kind: string(d.Kind), At: Instant(d.At), PolicyVersion: d.PolicyVersion, ReceiptID: d.ReceiptID, Granted: []string{}}
		for _, ch := range d.Choices {
			if !ch.Granted || ch.Required {
				continue
			}
			title := string(ch.Purpose)
			if p, ok := c.Latest.Purpose(consent.SurfaceSettings, ch.Purpose); ok {
				title = p.Title.Show(l)
			} else if cat, ok := c.ByVersion[d.PolicyVersion]; ok {
				if p, ok := cat.Purpose(d.Surface, ch.Purpose); ok {
					title = p.Title.Show(l)
				}
			}
			hv.Granted = append(hv.Granted, title)
		}
		v.History = append(v.History, hv)
	}
	return v
}

// ChangeSettings turns the switches submitted on the privacy settings into
// a decision under the latest catalogue, from the person's history (newest
// first; without any decision every optional purpose counts as refused).
// action is "save" (on are the switches on) or "withdraw-all". Turning
// purposes off and nothing on is a withdrawal (the bridge says
// "withdrawn"), any other change an update. ok is false when nothing
// changed, which records nothing. The server's settings post, its order
// endpoint for the app bundle and the wasm on a bundle page all decide
// with this one rule.
func (c *Catalogues) ChangeSettings(history []Decision, action string, on []consent.PurposeID, l string, now time.Time) (d consent.Decision, ok bool, err error) {
	var current consent.Decision
	if len(history) > 0 {
		current = history[0].Decision
	} else if current, err = consent.Decline(c.Latest, consent.SurfaceSettings, l, now); err != nil {
		return consent.Decision{}, false, err
	}
	if action != "withdraw-all" {
		action = "save"
	}
	var revoked, granted []consent.PurposeID
	changes := map[consent.PurposeID]bool{}
	for _, p := range c.Latest.Purposes(consent.SurfaceSettings) {
		if p.Required {
			continue
		}
		was := current.Granted(p.ID)
		now := action != "withdraw-all" && slices.Contains(on, p.ID)
		changes[p.ID] = now
		switch {
		case was && !now:
			revoked = append(revoked, p.ID)
		case !was && now:
			granted = append(granted, p.ID)
		}
	}
	for _, id := range on {
		if _, known := changes[id]; !known {
			return consent.Decision{}, false, errs.New(errs.Unprocessable, "purpose: unknown purpose %q", string(id))
		}
	}
	switch {
	case len(revoked) == 0 && len(granted) == 0:
		return consent.Decision{}, false, nil
	case len(granted) == 0:
		d, err = consent.Withdraw(c.Latest, current, consent.SurfaceSettings, l, now, revoked...)
	default:
		d, err = consent.Update(c.Latest, current, consent.SurfaceSettings, changes, l, now)
	}
	return d, err == nil, err
}

// SavedUnchanged is SettingsView.Saved for a change that changed nothing,
// so recorded nothing (message settings_saved_unchanged).
const SavedUnchanged = "unchanged"
