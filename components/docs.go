//go:build !wasm

package components

import (
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/policyview"
)

// The documents the wasm fetches are built here, on the server, from the
// policy, its catalogue and the message files, none of which the wasm
// carries. The server answers them and the components' tests load them, so
// both see the same JSON.

// NewPrivacyDoc is the PrivacyDoc of version v in the language of loc and
// in view (Single or Bilingual), without a search.
func NewPrivacyDoc(v *policy.Version, loc *lang.Localizer, view string) PrivacyDoc {
	page := policyview.Build(v, loc.Lang, view, "", OnlyNote(loc))
	return PrivacyDoc{Page: page.Tree(), Strings: loc.Messages(PrivacyMessages...)}
}

// OnlyNote says, in the language of loc, that a clause exists in one
// language only.
func OnlyNote(loc *lang.Localizer) func(string) string {
	return func(only string) string {
		if only == lang.ZhHans {
			return loc.T("privacy_only_in_zh")
		}
		return loc.T("privacy_only_in")
	}
}

// NewListDoc is the ListDoc of list kind of version v, built from its
// catalogue cat, in the language of loc. It fails as lists.BuildData does.
func NewListDoc(kind lists.Kind, cat *consent.Catalogue, v *policy.Version, loc *lang.Localizer) (ListDoc, error) {
	d, err := lists.BuildData(kind, cat, v, loc)
	if err != nil {
		return ListDoc{}, err
	}
	return ListDoc{List: *d, Strings: loc.Messages(ListMessages...)}, nil
}
