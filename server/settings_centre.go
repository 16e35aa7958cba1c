package server

import (
	"net/url"

	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/views"
)

// settingsCentre is what /settings/privacy shows beside the person's
// choices: the rights of the policy's section 5 (docs/privacy-centre.md,
// "The rights centre"), the contact block and the two lists. All of it comes
// from the latest policy and its catalogue, so a later policy can change a
// deadline, a path or a target without a line of code here.
func (g *appConsent) settingsCentre(l string) views.SettingsCentre {
	v := g.policy.Latest()
	c := views.SettingsCentre{
		ContactURL:   privacyURL(l) + "#s10-contact",
		CollectedURL: lists.URL(lists.Collected, l, ""),
		SharedURL:    lists.URL(lists.Shared, l, ""),
	}
	for _, r := range g.latest.Rights(l) {
		sr := views.SettingsRight{Right: r, PolicyURL: privacyURL(l)}
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
