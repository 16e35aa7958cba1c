package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/policy"
)

// The contact block of the base version as the gate and settings will show it.
func TestVersionContact(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		v := loadReal(t).Latest()
		zh, err := v.Contact(policy.LangZH)
		require.NoError(t, err)
		assert.Equal(t, policy.ContactDetails{
			Clause:  "s10-contact",
			Title:   "与我们联系",
			Email:   "privacy@kaiconn.com",
			Phone:   "0755 - 86965862",
			Tel:     "tel:+8675586965862",
			Address: "深圳市南山区粤海街道高新南环路42号北邮科技大厦10楼1002",
			Site:    "https://www.kaiconn.com",
			Reply:   "我们将尽快审核所涉问题,并在验证您的用户身份后的十五天内予以回复。",
		}, zh)
		en, err := v.Contact(policy.LangEN)
		require.NoError(t, err)
		assert.Equal(t, zh.Email, en.Email)
		assert.Equal(t, zh.Phone, en.Phone)
		assert.Equal(t, "R.1002, Beiyou Tech Building, Yuehai St, Nanshan District, Shenzhen", en.Address, "the address differs by language (differs: address)")
		assert.Contains(t, en.Reply, "within 15 days")
		assert.Equal(t, "Contact Us", en.Title, "the section's title, without its closing full stop")
		assert.Equal(t, zh.Tel, en.Tel)
	})
	for _, tc := range []struct {
		name, lang string
		blank      func(*policy.ContactInfo)
		want       string
	}{
		{"ErrNoEmail", policy.LangZH, func(c *policy.ContactInfo) { c.Email = "" }, "policy " + localestest.Base + ": contact (zh-Hans): s10-contact.email is missing"},
		{"ErrBlankPhone", policy.LangEN, func(c *policy.ContactInfo) { c.Phone = "  " }, "policy " + localestest.Base + ": contact (en): s10-contact.phone is missing"},
		{"ErrNoAddress", policy.LangEN, func(c *policy.ContactInfo) { c.Address = "" }, "policy " + localestest.Base + ": contact (en): s10-contact.address is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := loadReal(t).Latest()
			tc.blank(v.Docs[tc.lang].Contact())
			_, err := v.Contact(tc.lang)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Equal(t, tc.want, errs.Message(err))
		})
	}
	t.Run("ErrUnknownLanguage", func(t *testing.T) {
		_, err := loadReal(t).Latest().Contact("fr")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "contact (fr): no fr text")
	})
	t.Run("ErrNoBlock", func(t *testing.T) {
		v := &policy.Version{ID: localestest.Base, Docs: map[string]*policy.Document{policy.LangZH: {}}}
		_, err := v.Contact(policy.LangZH)
		assert.Contains(t, errs.Message(err), "no contact block s10-contact")
	})
}
