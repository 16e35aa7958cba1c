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
	Clause string // ContactClause, for a link to /privacy#s10-contact
	// Title is what the policy calls the block: the title of the section
	// that holds it (与我们联系, Contact Us), so that no surface names it
	// otherwise.
	Title string
	Email string
	Phone string
	// Tel is Phone as a URL that dials from any phone: digits only, the
	// trunk 0 replaced by China's country code ("tel:+8675586965862" for
	// "0755 - 86965862").
	Tel     string
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
	out.Tel = telURL(out.Phone)
	for _, s := range d.Sections {
		if s.ID == strings.SplitN(ContactClause, "-", 2)[0] {
			out.Title = strings.TrimRight(strings.TrimSpace(s.Title), ".")
		}
	}
	for _, f := range []struct{ name, value string }{{"email", out.Email}, {"phone", out.Phone}, {"address", out.Address}} {
		if f.value == "" {
			return ContactDetails{}, errs.New(errs.Invalid, "policy %s: contact (%s): %s.%s is missing", v.ID, lang, ContactClause, f.name)
		}
	}
	return out, nil
}

// telURL dials a Chinese number as the policy prints it: digits only, the
// trunk 0 replaced by the country code; a number already international
// keeps its +.
func telURL(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(strings.TrimSpace(phone), "+"):
		return "tel:+" + d
	case strings.HasPrefix(d, "0"):
		return "tel:+86" + d[1:]
	}
	return "tel:" + d
}
