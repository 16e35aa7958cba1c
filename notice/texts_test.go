package notice_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/notice"
)

func TestRecipient(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	for _, tt := range []struct {
		name    string
		surface consent.Surface
		id      consent.PurposeID
		lang    string
		want    string
	}{
		{"ThirdPartyNamesTheSDK", consent.SurfaceFirstLaunch, "push", consent.LangEn, "Getui (Daily Interactive Co., Ltd.) — Getui (igexin) SDK"},
		{"ThirdPartyNamesTheSDKInChinese", consent.SurfaceFirstLaunch, "analytics", consent.LangZhHans, "友盟同欣(北京)科技有限公司 — 友盟统计SDK(com.umeng)"},
		{"OwnProcessingNamesNoSDK", consent.SurfaceFirstLaunch, "basic", consent.LangEn, "Shenzhen Kaiconn Innovative Technology Co., Ltd. and its affiliates"},
		{"WebCategoryNamesNoSDK", consent.SurfaceWebBanner, "analytics", consent.LangEn, "Shenzhen Kaiconn Innovative Technology Co., Ltd. and the web analytics provider it engages"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := cat.Purpose(tt.surface, tt.id)
			require.True(t, ok)
			assert.Equal(t, tt.want, notice.Recipient(p, tt.lang))
		})
	}
}

// TestDataCategories splits the real "collects" texts of the catalogue: the
// ones with parentheses, a heading before a colon, a semicolon, a closing
// full stop, a duplicate and a final "and".
func TestDataCategories(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	for _, tt := range []struct {
		name    string
		surface consent.Surface
		id      consent.PurposeID
		lang    string
		want    []string
	}{
		{"BasicEn", consent.SurfaceFirstLaunch, "basic", consent.LangEn, []string{
			"A mobile phone number in Chinese Mainland (real-name verification)", "nickname", "Android ID",
			"Mac address", "IP address", "user name and password to be used",
			"the mobile device information necessary for the normal operation of Kaiconn platform",
			"hardware model", "operating system version number",
			"international mobile device identification code (IMEI)", "network device hardware address (MAC)",
			"WLAN access point", "software version number", "operation log", "network access method",
			"IMSI information", "phone status", "other information"}},
		{"BasicZh", consent.SurfaceFirstLaunch, "basic", consent.LangZhHans, []string{
			"中国大陆手机号码(实名制核验)", "昵称", "Android ID", "Mac地址", "IP地址", "拟使用的用户名和密码",
			"每开平台正常运行所必需的移动设备信息", "硬件型号", "操作系统版本号", "国际移动设备识别码(IMEI)",
			"网络设备硬件地址(MAC)", "WLAN接入点", "软件版本号", "操作日志", "网络接入方式", "IMSI信息", "手机状态等"}},
		{"PushEn", consent.SurfaceFirstLaunch, "push", consent.LangEn, []string{
			"Device identifier", "location information", "MAC address", "SD card storage permissions"}},
		{"CrashReportsEn", consent.SurfaceFirstLaunch, "crash-reports", consent.LangEn, []string{
			"Android id", "IMEI", "IMSI", "device identifier", "MAC address", "operator information",
			"audio and video information", "SIM serial number"}},
		{"CrashReportsZh", consent.SurfaceFirstLaunch, "crash-reports", consent.LangZhHans, []string{
			"Android id", "IMEI和IMSI", "设备标识符", "MAC地址", "运营商信息", "音视频信息", "SIM系列号"}},
		{"AnalyticsZh", consent.SurfaceFirstLaunch, "analytics", consent.LangZhHans, []string{
			"设备序列号", "地理位置", "SSID", "BSSID"}},
		{"WebAnalyticsEn", consent.SurfaceWebBanner, "analytics", consent.LangEn, []string{
			"Internet Protocol (IP) addresses", "reference/exit pages", "operating systems", "date/time stamps",
			"click stream data"}},
		{"WebAnalyticsZh", consent.SurfaceWebBanner, "analytics", consent.LangZhHans, []string{
			"互联网协议(IP)地址", "引用/退出页面", "操作系统", "日期/时间戳和点击流数据"}},
		{"CookiesWhenNothingCollected", consent.SurfaceWebBanner, "preferences", consent.LangEn, []string{
			"kc_pref_*"}},
		{"NecessaryCookies", consent.SurfaceWebBanner, "necessary", consent.LangEn, []string{
			"kc_consent", "kc_sub", "kc_lang"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := cat.Purpose(tt.surface, tt.id)
			require.True(t, ok)
			assert.Equal(t, tt.want, notice.DataCategories(p, tt.lang))
		})
	}

	t.Run("TitleAsLastResort", func(t *testing.T) {
		// A category that names neither data nor cookies.
		p, ok := cat.Purpose(consent.SurfaceWebBanner, "necessary")
		require.True(t, ok)
		p.Cookies = nil
		assert.Equal(t, []string{"Strictly necessary cookies"}, notice.DataCategories(p, consent.LangEn))
	})

	// Whatever the catalogue says, an item is a piece of its text, never cut
	// inside parentheses, and named once.
	t.Run("EveryRealText", func(t *testing.T) {
		for _, surface := range []consent.Surface{consent.SurfaceFirstLaunch, consent.SurfaceWebBanner} {
			for _, p := range cat.Purposes(surface) {
				for _, lang := range consent.Languages {
					text := p.Collects.In(lang)
					if text == "" {
						continue
					}
					items := notice.SplitCategories(text)
					require.NotEmpty(t, items, "%s %s %s", surface, p.ID, lang)
					seen := map[string]bool{}
					for _, c := range items {
						assert.Contains(t, text, c, "%s %s %s", surface, p.ID, lang)
						assert.Equal(t, strings.Count(c, "("), strings.Count(c, ")"), "unbalanced parentheses in %q", c)
						assert.False(t, seen[c], "%q named twice", c)
						seen[c] = true
					}
				}
			}
		}
	})
}

func TestSplitCategories(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	// No "collects" text of the catalogue has a separator inside parentheses,
	// but its analytics "use" text has, in both languages.
	analytics, ok := cat.Purpose(consent.SurfaceFirstLaunch, "analytics")
	require.True(t, ok)
	for _, tt := range []struct {
		name   string
		text   string
		intact string // an item that must come out whole
		want   []string
	}{
		{name: "CommaInsideParentheses", text: analytics.Use.In(consent.LangEn), intact: "(crashes, flashbacks)"},
		{name: "EnumerationCommaInsideParentheses", text: analytics.Use.In(consent.LangZhHans), intact: "(崩溃、闪退)"},
		{name: "FullwidthParentheses", text: "设备信息\uff08型号\uff0c版本\uff09\uff0cMAC地址\u3002",
			want: []string{"设备信息\uff08型号\uff0c版本\uff09", "MAC地址"}},
		{name: "NestedParentheses", text: "logs (crash (native, Java), ANR), IP address",
			want: []string{"logs (crash (native, Java), ANR)", "IP address"}},
		{name: "StrayClosingParenthesis", text: "a), b, c",
			want: []string{"a)", "b", "c"}},
		{name: "Empty", text: " ", want: nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := notice.SplitCategories(tt.text)
			if tt.want != nil || tt.intact == "" {
				assert.Equal(t, tt.want, got)
			}
			if tt.intact != "" {
				require.Greater(t, len(got), 1, "the text is a list")
				i := slices.IndexFunc(got, func(c string) bool { return strings.Contains(c, tt.intact) })
				assert.GreaterOrEqual(t, i, 0, "%q cut apart: %q", tt.intact, got)
			}
		})
	}
}

func TestWithdrawText(t *testing.T) {
	for _, lang := range consent.Languages {
		t.Run(lang, func(t *testing.T) {
			assert.NotEmpty(t, notice.WithdrawText(lang))
			assert.NotEmpty(t, notice.RequiredText(lang))
			assert.NotEqual(t, notice.WithdrawText(lang), notice.RequiredText(lang))
		})
	}
	t.Run("UnknownLanguage", func(t *testing.T) {
		assert.Empty(t, notice.WithdrawText("fr"))
	})
}
