package server

import (
	"strings"
	"testing"

	"github.com/kaiconn/consent/lang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The permission page names a permission once (not 「读取设备信息权限」权限),
// says of IMSI, IMEI and MAC that they are data the app reads, not a
// permission the system asks for, and does not call a permission required
// when the function works without it (reading the text message code).
func TestPermissionPageSaysWhatItIs(t *testing.T) {
	s := newTestServer(t)
	h := s.Handler()
	msgs := lang.DefaultBundle()
	for _, tc := range []struct {
		name, lang, id       string
		dataItem, optional   bool
		notInHeading, notAny string
	}{
		{"PermissionNamedOnceZh", lang.ZhHans, "s2-3-perms-1", false, false, "权限」权限", "权限」权限"},
		{"PermissionNamedOnceEn", lang.En, "s2-3-perms-1", false, false, "permission “Permission", ""},
		{"IMSIIsDataZh", lang.ZhHans, "s2-3-perms-9", true, false, "申请", ""},
		{"IMEIIsDataEn", lang.En, "s2-3-perms-10", true, false, "permission", ""},
		{"MACIsDataZh", lang.ZhHans, "s2-3-perms-11", true, false, "申请", ""},
		{"TextMessageCodeOptionalZh", lang.ZhHans, "s2-3-perms-5", false, true, "", ""},
		{"TextMessageCodeOptionalEn", lang.En, "s2-3-perms-5", false, true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := msgs.Localizer(tc.lang)
			w := getPage(t, h, "/permission?p="+tc.id+"&lang="+tc.lang)
			require.Equal(t, 200, w.Code)
			page := w.Body.String()
			heading := text(node(t, page, "kc-permission-title"))
			if tc.notInHeading != "" {
				assert.NotContains(t, heading, tc.notInHeading)
			}
			if tc.notAny != "" {
				assert.False(t, strings.Contains(page, tc.notAny), "%q on the page", tc.notAny)
			}
			note := strings.Contains(page, `id="kc-permission-data-item"`)
			assert.Equal(t, tc.dataItem, note, "a data item says what it is")
			facts := text(node(t, page, "kc-permission-purpose"))
			if tc.optional {
				assert.NotContains(t, facts, l.T("permission_required"), "required and optional at once")
				assert.Contains(t, facts, l.T("permission_optional_permission"))
			}
		})
	}
}
