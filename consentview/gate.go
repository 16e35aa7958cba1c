package consentview

import (
	"slices"
	"time"

	"github.com/kaiconn/consent/consent"
)

// PurposeOf puts a purpose in the reader's language.
func PurposeOf(p consent.Purpose, l string) PurposeView {
	sensitive, location := p.FlaggedItems(l)
	necessity := ""
	switch {
	case !p.HasSensitive():
	case p.Necessity != nil:
		necessity = p.Necessity.Quote.Show(l)
	default:
		// An SDK purpose: its row's purpose of use says why (CheckPolicy).
		necessity = p.Use.Show(l)
	}
	return PurposeView{
		Sensitive:   sensitive,
		Location:    location,
		Necessity:   necessity,
		ID:          string(p.ID),
		Title:       p.Title.Show(l),
		Description: p.Description.Show(l),
		SDK:         p.SDK.Show(l),
		Collects:    p.Collects.Show(l),
		Use:         p.Use.Show(l),
		Recipient:   p.Recipient.Show(l),
		PrivacyURL:  p.PrivacyURL,
		Clause:      p.Clause,
		Separate:    p.ConsentType == consent.SeparateConsent,
		Required:    p.Required,
	}
}

// ChangedFacts returns the facts of p that differ from those of was, the
// same purpose in the version the person decided under, as was stated
// them; nil when none of them differ.
func ChangedFacts(p, was consent.Purpose, l string) *PurposeFacts {
	var f PurposeFacts
	if a := was.Collects.In(l); a != p.Collects.In(l) {
		f.Collects = a
		c := consent.CollectsChange(was, p, l)
		f.Added, f.Removed = c.Added, c.Removed
	}
	if a := was.Use.In(l); a != p.Use.In(l) {
		f.Use = a
	}
	if a := was.Recipient.In(l); a != p.Recipient.In(l) {
		f.Recipient = a
	}
	if f.Collects == "" && f.Use == "" && f.Recipient == "" {
		return nil
	}
	return &f
}

// GatePage is what the gate shows that neither the catalogues nor the
// person's decisions decide: where its links go (the server's routes, or
// the bundle's files) and the policy's contact block.
type GatePage struct {
	PrivacyURL   string
	AgreementURL string
	SettingsURL  string
	Contact      *ContactView
}

// Gate is the view of the first-launch gate for the person's history,
// newest first, in language l: the question on a first launch, the re-ask
// with what changed under a later policy version, or the current choice.
// open is the review link (?open=1): the person opened the choices.
func (c *Catalogues) Gate(l string, page GatePage, history []Decision, open bool, now time.Time) GateView {
	latest := c.Latest
	v := GateView{
		Lang:          l,
		Mode:          GateAsk,
		PolicyVersion: latest.Version(),
		PrivacyURL:    page.PrivacyURL,
		AgreementURL:  page.AgreementURL,
		SettingsURL:   page.SettingsURL,
		Contact:       page.Contact,
	}
	if m, ok := latest.Minors(l); ok {
		v.Minors = m.Text
	}
	if q, ok := latest.SensitiveImpact(); ok {
		v.SensitiveImpact = q.Quote.Show(l)
		v.SensitiveURL = page.PrivacyURL + "#" + q.Clause
	}
	req, _ := latest.Required(consent.SurfaceFirstLaunch)
	v.Required = PurposeOf(req, l)
	var asked []consent.PurposeID
	var cur *Decision
	if len(history) > 0 {
		cur = &history[0]
		if acceptedCat, ok := c.ByVersion[cur.PolicyVersion]; ok && cur.PolicyVersion < latest.Version() {
			asked = consent.Reask(&cur.Decision, acceptedCat, latest)
		}
	}
	prompt := latest.ShouldPrompt(Decisions(history), now, open)
	switch {
	case cur == nil:
	case prompt && len(asked) > 0:
		v.Mode = GateReask
		v.AcceptedVersion = cur.PolicyVersion
		v.Current = map[string]bool{}
	case prompt && open:
		// The review link: the same question, starting from the answers
		// that stand, so that Agree alone changes nothing.
		v.Review = true
	default:
		v.Mode = GateCurrent
	}
	if v.Mode == GateAsk || v.Mode == GateReask {
		v.Decisions = c.gateDecisions(history, v.Mode == GateReask, l, now)
	}
	var acceptedCat *consent.Catalogue
	if cur != nil {
		acceptedCat = c.ByVersion[cur.PolicyVersion]
		v.Decision = string(cur.Kind)
		v.DecidedAt = decidedAt(cur.At, l)
	}
	for _, p := range latest.Purposes(consent.SurfaceFirstLaunch) {
		v.Purposes = append(v.Purposes, string(p.ID))
		pv := PurposeOf(p, l)
		if !p.Required {
			v.AllOptional = append(v.AllOptional, pv)
		}
		if v.Mode == GateReask {
			if !slices.Contains(asked, p.ID) {
				if !p.Required {
					v.Current[string(p.ID)] = cur.Granted(p.ID)
					if cur.Granted(p.ID) {
						v.Kept = append(v.Kept, pv.Title)
					}
				}
				continue
			}
			pv.Changed = true
			was, existed := acceptedCat.Purpose(cur.Surface, p.ID)
			pv.New = !existed
			if existed {
				pv.Was = ChangedFacts(p, was, l)
				// consent.Reask asks a changed purpose again only when it
				// was granted: its switch starts from that answer.
				pv.WasGranted = !p.Required && cur.Granted(p.ID)
				pv.Granted = pv.WasGranted
			}
			if p.Required {
				v.Required = pv
				continue
			}
		}
		if p.Required {
			continue
		}
		if v.Mode == GateCurrent || v.Review {
			pv.Granted = cur.Granted(p.ID)
		}
		v.Optional = append(v.Optional, pv)
	}
	return v
}

// Done is the result of decision d: what is on, what stays off, and the
// message for the host app.
func (c *Catalogues) Done(l string, page GatePage, d Decision) GateView {
	v := c.Gate(l, page, []Decision{d}, false, d.At)
	v.Mode = GateDone
	v.Decisions = nil
	v.Bridge = Bridge(d)
	v.Optional, v.Off = nil, nil
	for _, p := range c.Latest.Purposes(consent.SurfaceFirstLaunch) {
		if p.Required {
			continue
		}
		pv := PurposeOf(p, l)
		if pv.Granted = d.Granted(p.ID); pv.Granted {
			v.Optional = append(v.Optional, pv)
		} else {
			v.Off = append(v.Off, pv)
		}
	}
	return v
}

// TitleID is the message id of the gate's title in v's mode.
func (v GateView) TitleID() string {
	switch v.Mode {
	case GateReask:
		return "gate_reask_title"
	case GateDone:
		return "gate_done_" + v.Decision
	}
	return "gate_title"
}

// PageData is what a gate page rendered without state hands the wasm
// (#kc-state): what Gate needs beyond the catalogues (the links, the
// contact block, the strings), and the page's ticket. Every text of a
// purpose is in the wasm's catalogues already, so the page does not repeat
// it.
func (v GateView) PageData() GateView {
	return GateView{
		Lang: v.Lang, Mode: v.Mode, PolicyVersion: v.PolicyVersion, RenderedFor: v.RenderedFor,
		PrivacyURL: v.PrivacyURL, AgreementURL: v.AgreementURL, SettingsURL: v.SettingsURL, Contact: v.Contact,
		Ticket: v.Ticket, ReceiptID: v.ReceiptID, Strings: v.Strings, Catalogues: v.Catalogues,
	}
}

// Page is the GatePage v was rendered with.
func (v GateView) Page() GatePage {
	return GatePage{PrivacyURL: v.PrivacyURL, AgreementURL: v.AgreementURL, SettingsURL: v.SettingsURL, Contact: v.Contact}
}
