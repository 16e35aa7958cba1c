package server

import (
	"strings"
	"testing"

	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The contact block is named as the policy names it (十、与我们联系 / 10.
// Contact Us), never with a title the policy does not use (the policy names
// no 个人信息保护负责人), and its phone number dials from a tel: URL made in
// one place, on the gate as on the settings page.
func TestContactBlockIsThePolicys(t *testing.T) {
	s := testServer(t)
	v := s.policies.Latest()
	for _, l := range lang.All {
		doc, ok := v.Doc(l)
		require.True(t, ok)
		ref, ok := doc.Find("s10")
		require.True(t, ok)
		title := strings.TrimRight(ref.(*policy.Section).Title, ".")
		t.Run("Gate/"+l, func(t *testing.T) {
			page := settingsPage(t, s, "/consent?lang="+l, "")
			assert.Equal(t, title, text(node(t, page, "kc-gate-contact-summary")))
			assert.False(t, strings.Contains(page, "负责人"), "a title the policy does not use")
			assert.True(t, strings.Contains(page, `href="tel:+8675586965862"`), "a dialable number")
			assert.False(t, strings.Contains(page, `href="tel:0755`), "a number with spaces and the trunk 0 does not dial")
		})
		t.Run("Settings/"+l, func(t *testing.T) {
			page := settingsPage(t, s, "/settings/privacy?lang="+l, "")
			assert.Equal(t, title, text(node(t, page, "kc-contact-title")))
			assert.Equal(t, "tel:+8675586965862", attr(node(t, page, "kc-contact-phone"), "href"))
		})
	}
}
