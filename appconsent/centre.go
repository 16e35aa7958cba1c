package appconsent

import (
	"net/url"
	"strings"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/policyview"
	"github.com/kaiconn/consent/views"
)

// settingsCentre is what /settings/privacy shows beside the person's
// choices: the rights of the policy's section 5 (docs/privacy-centre.md,
// "The rights centre"), the contact block and the two lists. All of it comes
// from the latest policy and its catalogue, so a later policy can change a
// deadline, a path or a target without a line of code here.
func (g *App) settingsCentre(l string) views.SettingsCentre {
	v := g.policy.Latest()
	c := views.SettingsCentre{
		ContactURL:   privacyURL(l) + "#s10-contact",
		CollectedURL: lists.URL(lists.Collected, l, ""),
		SharedURL:    lists.URL(lists.Shared, l, ""),
	}
	for _, r := range g.latest.Rights(l) {
		sr := views.SettingsRight{Right: r, PolicyURL: privacyURL(l), Quote: policyQuote(v, l, r)}
		if len(r.Sections) > 0 {
			sr.PolicyURL += "#" + url.PathEscape(r.Sections[0])
		}
		// The Chinese text governs; where the English says less (the account
		// deletion's effect), an English page shows the Chinese beside it.
		if l != lang.ZhHans && r.Effect != "" {
			if zh, ok := g.latest.Right(r.ID, lang.ZhHans); ok {
				sr.GoverningEffect = zh.Effect
			}
		}
		c.Rights = append(c.Rights, sr)
	}
	// CheckPolicy refuses, at start, a catalogue whose contact route lacks
	// the contact block; should it be missing all the same, the page links
	// to the policy's section instead of showing half a block.
	if contact, err := v.Contact(l); err == nil {
		contact = shownContact(contact, l)
		c.Contact = &contact
	} else {
		g.log.Error("settings: contact block", "version", v.ID, "err", err)
	}
	return c
}

// policyQuote is what the policy says of a right: every section the entry
// cites, rendered from the policy as its own page renders it, so that "What
// the policy says" never holds words the policy does not. The catalogue's
// description is our explanation and is shown apart, labelled so. The
// sections' headings become paragraphs: the quote sits under the entry's
// own heading, and a heading inside it would break the page's outline.
func policyQuote(v *policy.Version, l string, r consent.Right) []*policyview.Node {
	doc, ok := v.Doc(l)
	if !ok {
		return nil
	}
	var out []*policyview.Node
	for _, id := range r.Sections {
		ref, ok := doc.Find(id)
		if !ok {
			continue
		}
		sec, ok := ref.(*policy.Section)
		if !ok {
			continue
		}
		n := policyview.Section(sec, policyview.Options{IDPrefix: "kc-right-" + r.ID + "-q-", Lang: l}, 0).Root
		n.Lang = ""
		demoteHeadings(n)
		out = append(out, n)
	}
	return out
}

func demoteHeadings(n *policyview.Node) {
	if len(n.Tag) == 2 && n.Tag[0] == 'h' && strings.ContainsRune("123456", rune(n.Tag[1])) {
		n.Tag = "p"
	}
	for _, c := range n.Children {
		demoteHeadings(c)
	}
}
