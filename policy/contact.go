package policy

import (
	"strings"

	"github.com/kaiconn/consent/errs"
)

// ContactClause is the stable id of the policy's contact block (十、与我们联系 /
// 10. Contact us), the one place a version says how to reach Kaiconn about
// personal information.
const ContactClause = "s10-contact"

// ContactDetails is how to reach the people in charge of personal
// information, in one language, as the policy's contact block states it:
// what the gate and the settings show one tap away, and where a request
// made by the contact route goes.
type ContactDetails struct {
	Clause  string // ContactClause, for a link to /privacy#s10-contact
	Email   string
	Phone   string
	Address string
	Site    string // the official website, an https URL
	// Reply is the block's closing sentence, which states when requests
	// made this way are answered ("…十五天内予以回复。").
	Reply string
}

// Contact returns the contact details of v in lang. It fails with
// errs.Invalid naming the version, the language and the field when the
// block or any of email, phone and address is missing or blank: a surface
// that promises the contact route must never show half of it. The parser
// already refuses a policy file without them; the check here also holds a
// Version built in code.
func (v *Version) Contact(lang string) (ContactDetails, error) {
	d, ok := v.Doc(lang)
	if !ok {
		return ContactDetails{}, errs.New(errs.Invalid, "policy %s: contact (%s): no %s text", v.ID, lang, lang)
	}
	c := d.Contact()
	if c == nil {
		return ContactDetails{}, errs.New(errs.Invalid, "policy %s: contact (%s): the policy has no contact block %s", v.ID, lang, ContactClause)
	}
	out := ContactDetails{Clause: ContactClause, Email: strings.TrimSpace(c.Email), Phone: strings.TrimSpace(c.Phone),
		Address: strings.TrimSpace(c.Address), Site: strings.TrimSpace(c.Site), Reply: strings.TrimSpace(c.Outro)}
	for _, f := range []struct{ name, value string }{{"email", out.Email}, {"phone", out.Phone}, {"address", out.Address}} {
		if f.value == "" {
			return ContactDetails{}, errs.New(errs.Invalid, "policy %s: contact (%s): %s.%s is missing", v.ID, lang, ContactClause, f.name)
		}
	}
	return out, nil
}
