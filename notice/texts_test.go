package notice_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
)

func TestRecipient(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
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
// ones with parentheses, a closing full stop and a final "and".
// The basic purpose names the policy's own items (consent.CheckPolicy holds
// it to the policy).
func TestDataCategories(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	require.NoError(t, err)
	for _, tt := range []struct {
		name    string
		surface consent.Surface
		id      consent.PurposeID
		lang    string
		want    []string
	}{
		{"BasicEn", consent.SurfaceFirstLaunch, "basic", consent.LangEn, []string{
			"Mobile phone number in Chinese Mainland", "nickname", "Android ID", "Mac address", "IP address",
			"user name and password to be used", "text message verification code or voice verification code", "hardware model", "operating system version number",
			"international mobile device identification code (IMEI)", "network device hardware address (MAC)",
			"WLAN access point", "Bluetooth", "NFC Base station", "software version number", "operation log",
			"network access method", "network access type", "status", "network quality data", "operation", "usage",
			"service log", "device accelerator (such as gravity sensing device)", "IMSI information", "phone status",
			"necessary application/software list information installed or running (including application/software source, overall operation of application/software program)",
			"information about installed applications or running processes", "the overall operation", "frequency of applications",
			"application crashes", "overall installation usage", "performance data", "application sources", "device model",
			"operating system version", "device settings", "device identifier", "MAC (Media Access Control) address",
			"IMEI (International Identity Code for Mobile Devices)", `advertising identifiers "IDFA" and "IDFV"`,
			`integrated circuit card identification code ("ICCD")`, "application list",
			"details about your usage time and frequency", "device statistics", "critical operation paths", "error logs",
			"crash records", "language", "time zones", "Internet Protocol (IP) addresses", "Internet Service Providers (ISPs)",
			"reference/exit pages", "operating systems", "date/time stamps", "click stream data", "network log information",
			"application information", "information about running processes",
			"frequency of applications Information such as application crashes", "overall installation and usage"}},
		{"BasicZh", consent.SurfaceFirstLaunch, "basic", consent.LangZhHans, []string{
			"中国大陆手机号码", "昵称", "Android ID", "Mac地址", "IP地址", "拟使用的用户名和密码", "短信验证码或语音验证码", "硬件型号",
			"操作系统版本号", "国际移动设备识别码(IMEI)", "网络设备硬件地址(MAC)", "WLAN接入点", "蓝牙", "NFC", "基站",
			"软件版本号", "操作日志", "网络接入方式", "网络接入类型", "状态", "网络质量数据", "操作", "使用", "服务日志",
			"设备加速器(如重力感应设备)", "IMSI信息", "手机状态",
			"已安装或正在运行的必要的应用/软件列表信息(包括应用/软件来源、应用/软件程序的总体运行情况)",
			"安装的应用信息或正在运行的进程信息", "应用程序的总体运行", "使用情况与频率", "应用崩溃情况", "总体安装使用情况",
			"性能数据", "应用来源", "设备型号", "操作系统版本", "设备设置", "设备标识符", "MAC(媒体访问控制)地址",
			"IMEI(移动设备国际身份码)", "广告标识符“IDFA” 与 “IDFV”", "集成电路卡识别码(“ICCD”)", "应用列表",
			"关于您的使用时间与使用频率的细节", "设备统计信息", "关键操作路径", "错误日志", "崩溃记录", "语言和时区",
			"互联网协议(IP)地址", "互联网服务供应商(ISP)", "引用/退出页面", "操作系统", "日期/时间戳和点击流数据",
			"网络日志信息", "应用信息", "正在运行的进程信息", "性能数据及应用来源"}},
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
			"kc_pref_*", "kc_lang"}},
		{"NecessaryCookies", consent.SurfaceWebBanner, "necessary", consent.LangEn, []string{
			"kc_consent", "kc_sub"}},
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
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
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
