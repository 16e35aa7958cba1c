package consent_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/policy"
)

// edit replaces old by new in one file of fsys, failing the test when old
// is not there: an edit that silently did nothing would test nothing.
type edit struct{ file, old, new string }

func apply(t *testing.T, fsys fstest.MapFS, edits ...edit) {
	t.Helper()
	for _, e := range edits {
		f, ok := fsys[e.file]
		require.True(t, ok, "no file %s", e.file)
		require.Contains(t, string(f.Data), e.old, "%s", e.file)
		fsys[e.file] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), e.old, e.new, 1))}
	}
}

// copyFS reads every file of fsys under prefix into a map that the test may
// edit.
func copyFS(t *testing.T, dst fstest.MapFS, fsys fs.FS, prefix string) {
	t.Helper()
	require.NoError(t, fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		dst[prefix+p] = &fstest.MapFile{Data: b}
		return err
	}))
}

// checkEdited loads the policy and catalogue in fsys ("policy/<version>/…",
// "catalogue/<version>.toml") after the edits and holds one to the other.
func checkEdited(t *testing.T, fsys fstest.MapFS, version string, edits ...edit) error {
	t.Helper()
	apply(t, fsys, edits...)
	pol, err := fs.Sub(fsys, "policy")
	require.NoError(t, err)
	lib, err := policy.Load(pol)
	require.NoError(t, err, "the edited policy itself must load")
	v, ok := lib.Version(version)
	require.True(t, ok)
	cats, err := fs.Sub(fsys, "catalogue")
	require.NoError(t, err)
	_, err = consent.LoadCatalogueFor(cats, v)
	return err
}

// small is the small policy and catalogue of testdata/consent.
func small(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	copyFS(t, m, os.DirFS(filepath.Join("..", "testdata", "consent", "policy")), "policy/")
	b, err := os.ReadFile(filepath.Join("..", "testdata", "consent", "policycheck.toml"))
	require.NoError(t, err)
	m["catalogue/2022-10.toml"] = &fstest.MapFile{Data: b}
	return m
}

const (
	zhPolicy = "policy/2022-10/zh-Hans.md"
	enPolicy = "policy/2022-10/en.md"
	smallCat = "catalogue/2022-10.toml"
)

// The check over a small policy and catalogue: each case makes one of the
// two say something the other does not, and the error must name the
// purpose, the language and the item so that a reviewer can fix it.
func TestCheckPolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string // "" when the check passes
	}{
		{name: "OK"},
		{name: "OKEnglishMayNameMoreWhereTheRowDiffers",
			// The base fixture already names SSID in English, where the
			// policy's English row does not; here one more.
			edits: []edit{{smallCat, `en = "Device serial number, SSID"`, `en = "Device serial number, SSID, BSSID"`}}},
		{name: "OKItemsComparedWithoutCase",
			edits: []edit{{smallCat, `en = "Device identifier, location information"`, `en = "device identifier, Location Information"`}}},

		// Item flags: sensitive where the policy prints the item in bold,
		// location where it names a location, nowhere else.
		{name: "ErrPolicyBoldsAnUnflaggedItem",
			edits: []edit{{zhPolicy, "collected: 设备标识符,**位置信息**", "collected: **设备标识符**,**位置信息**"}},
			want:  []string{`purpose "push"`, `"设备标识符": the policy prints "设备标识符" in bold`, "flag it sensitive"}},
		{name: "ErrPolicyBoldsAQuotedItem",
			edits: []edit{{zhPolicy, "收集您的手机号码", "收集您的**手机号码**"}},
			want:  []string{`purpose "basic"`, `"手机号码": the policy prints "手机号码" in bold`}},
		{name: "ErrSensitiveFlagWithoutBold",
			edits: []edit{{zhPolicy, "collected: 设备标识符,**位置信息**", "collected: 设备标识符,位置信息"}},
			want:  []string{`purpose "push"`, `"位置信息" is flagged sensitive, but its clause does not print it in bold`}},
		{name: "ErrLocationNotFlagged",
			edits: []edit{{smallCat, `sensitive = true, term = "位置信息", location = true }]`, `sensitive = true, term = "位置信息" }]`}},
			want:  []string{`purpose "push"`, `"位置信息": an item is flagged location if and only if it names a location`}},
		{name: "ErrFlagNotAnItem",
			edits: []edit{{smallCat, `item = { zh-Hans = "位置信息", en = "location information" }`, `item = { zh-Hans = "位置信息", en = "location data" }`}},
			want:  []string{`purpose "push"`, `flag[0].item (en): "location data" is not an item of collects`}},
		{name: "ErrSensitiveElsewhereNotBold",
			edits: []edit{{smallCat, `collects = { zh-Hans = "设备序列号,SSID"`, `flag = [{ item = { zh-Hans = "SSID", en = "SSID" }, sensitive = true, term = "SSID", clause = "s1-p1" }]
collects = { zh-Hans = "设备序列号,SSID"`}},
			want: []string{`purpose "stats"`, `s1-p1 prints no "SSID" in bold`}},
		{name: "ErrSensitiveWithoutNecessity",
			edits: []edit{
				{zhPolicy, "收集您的手机号码", "收集您的**手机号码**"},
				{smallCat, `collects = { zh-Hans = "手机号码、昵称、头像"`, `flag = [{ item = { zh-Hans = "手机号码", en = "Mobile phone number" }, sensitive = true, term = "手机号码" }]
collects = { zh-Hans = "手机号码、昵称、头像"`}},
			want: []string{`purpose "basic"`, "necessity: the purpose collects sensitive personal information"}},
		{name: "OKSensitiveWithNecessity",
			edits: []edit{
				{zhPolicy, "收集您的手机号码", "收集您的**手机号码**"},
				{smallCat, `collects = { zh-Hans = "手机号码、昵称、头像"`, `flag = [{ item = { zh-Hans = "手机号码", en = "Mobile phone number" }, sensitive = true, term = "手机号码" }]
necessity = { clause = "s1-p1", quote = { zh-Hans = "用于注册。", en = "for registration." } }
collects = { zh-Hans = "手机号码、昵称、头像"`},
				// The lists' table of sensitive terms covers the new bold too.
				{smallCat, "[[sensitive]]\nclause = \"s2-sdks\"", "[[sensitive]]\nclause = \"s1-p1\"\nterm.zh-Hans = \"手机号码\"\nterm.en = \"mobile phone number\"\n\n[[sensitive]]\nclause = \"s2-sdks\""}}},
		{name: "ErrNecessityNotInClause",
			edits: []edit{
				{zhPolicy, "收集您的手机号码", "收集您的**手机号码**"},
				{smallCat, `collects = { zh-Hans = "手机号码、昵称、头像"`, `flag = [{ item = { zh-Hans = "手机号码", en = "Mobile phone number" }, sensitive = true, term = "手机号码" }]
necessity = { clause = "s1-p1", quote = { zh-Hans = "用于营销。", en = "for registration." } }
collects = { zh-Hans = "手机号码、昵称、头像"`}},
			want: []string{`purpose "basic"`, `necessity.quote (zh-Hans): "用于营销。" is not in s1-p1`}},
		{name: "ErrTermNotInItem",
			edits: []edit{{smallCat, `collects = { zh-Hans = "手机号码、昵称、头像"`, `flag = [{ item = { zh-Hans = "手机号码", en = "Mobile phone number" }, sensitive = true, term = "位置信息", clause = "s2-sdks" }]
collects = { zh-Hans = "手机号码、昵称、头像"`}},
			want: []string{`purpose "basic"`, `flag[0].term: "位置信息" is not part of the item "手机号码"`}},
		{name: "ErrImpactNotInClause",
			edits: []edit{{smallCat, `quote = { zh-Hans = "我们仅在必要期限内保存。"`, `quote = { zh-Hans = "我们永久保存。"`}},
			want:  []string{`sensitive_impact.quote (zh-Hans): "我们永久保存。" is not in s1-1`}},
		{name: "ErrImpactMissing",
			edits: []edit{{smallCat, `[sensitive_impact]
clause = "s1-1"
quote = { zh-Hans = "我们仅在必要期限内保存。", en = "We keep them only as long as necessary." }`, ``}},
			want: []string{`sensitive_impact: purpose "push" collects sensitive personal information`}},

		{name: "ErrPolicyAddsItemToSDKRow",
			edits: []edit{{zhPolicy, "collected: 设备标识符,**位置信息**", "collected: 设备标识符,**位置信息**,IMEI"}},
			want:  []string{`purpose "push"`, "collects (zh-Hans)", `lacks "IMEI" (SDK table row "push")`}},
		{name: "ErrPolicyAddsItemToSDKRowInEnglish",
			edits: []edit{{enPolicy, "collected: device identifier, **location information**", "collected: device identifier, **location information**, IMEI"}},
			want:  []string{`purpose "push"`, "collects (en)", `lacks "IMEI"`}},
		{name: "ErrPolicyAddsItemToDifferingRowInEnglish",
			edits: []edit{{enPolicy, "collected: device serial number", "collected: device serial number, IMEI"}},
			want:  []string{`purpose "stats"`, "collects (en)", `lacks "IMEI"`}},
		{name: "ErrCatalogueNamesMoreThanSDKRow",
			edits: []edit{{smallCat, `zh-Hans = "设备标识符,位置信息"`, `zh-Hans = "设备标识符,位置信息,IMEI"`}},
			want:  []string{`purpose "push"`, "collects (zh-Hans)", `names "IMEI", which none of its clauses lists`}},
		{name: "ErrCatalogueNamesMoreInEnglish",
			edits: []edit{{smallCat, `en = "Device identifier, location information"`, `en = "Device identifier, location information, IMEI"`}},
			want:  []string{`purpose "push"`, "collects (en)", `names "IMEI"`}},
		{name: "ErrGoverningTextHeldExactlyWhereTheRowDiffers",
			edits: []edit{{smallCat, `zh-Hans = "设备序列号,SSID"`, `zh-Hans = "设备序列号,SSID,BSSID"`}},
			want:  []string{`purpose "stats"`, "collects (zh-Hans)", `names "BSSID"`}},
		{name: "ErrCatalogueLacksQuotedItem",
			edits: []edit{{smallCat, `collects = { zh-Hans = "手机号码、昵称、头像"`, `collects = { zh-Hans = "手机号码、昵称"`}},
			want:  []string{`purpose "basic"`, "collects (zh-Hans)", `lacks "头像" (s1-p1)`}},
		{name: "ErrPolicyAddsItemToQuotedList",
			edits: []edit{{zhPolicy, "手机号码、昵称、头像,", "手机号码、昵称、头像、邮箱地址,"}},
			want:  []string{`purpose "basic"`, `business_function "account" (zh-Hans)`, "part of a longer list in s1-p1"}},
		{name: "ErrPolicyAddsItemBeforeQuotedList",
			edits: []edit{{zhPolicy, "收集您的手机号码", "收集您的邮箱地址、手机号码"}},
			want:  []string{`business_function "account" (zh-Hans)`, "part of a longer list"}},
		{name: "ErrPolicyAddsItemToQuotedListInEnglish",
			edits: []edit{{enPolicy, "nickname, and avatar, for", "nickname, and avatar, and email address, for"}},
			want:  []string{`business_function "account" (en)`, "part of a longer list"}},
		{name: "ErrQuoteNotInClause",
			edits: []edit{{zhPolicy, "手机号码、昵称、头像,", "手机号码、头像,"}},
			want:  []string{`business_function "account" (zh-Hans)`, `"手机号码、昵称、头像" is not in s1-p1`}},
		{name: "ErrUnknownClause",
			edits: []edit{{smallCat, `basis = ["s1-p1"], retention = ["s1-1"] }

[[purpose.business_function]]`, `basis = ["s1-p9"], retention = ["s1-1"] }

[[purpose.business_function]]`}},
			want: []string{`purpose "basic"`, `policy.basis: "s1-p9" is not in the zh-Hans policy`}},
		{name: "ErrNoRetention",
			edits: []edit{{smallCat, `policy = { recipients = ["pre-p1"], basis = ["s1-p1"], retention = ["s1-1"] }`, `policy = { recipients = ["pre-p1"], basis = ["s1-p1"] }`}},
			want:  []string{`purpose "basic"`, "policy.retention: none"}},
		{name: "ErrNoRecipientWithoutSDK",
			edits: []edit{{smallCat, `policy = { recipients = ["pre-p1"], basis`, `policy = { basis`}},
			want:  []string{`purpose "basic"`, "policy.recipients: none"}},
		{name: "ErrNoBusinessFunction",
			edits: []edit{{smallCat, `business_function = [{ id = "stats", sdk = "stats" }]`, ``}},
			want:  []string{`purpose "stats"`, "business_function: none"}},
		{name: "ErrPolicyAddsSDKRow",
			edits: []edit{
				{zhPolicy, "differs: collected\n```", "differs: collected\n\nid: maps\nn: 3.\nname: 地图SDK\nfunction: 地图\ncollected: 位置信息\nscope: 地图\npurpose: 地图。\npolicy: https://example.com/maps\n```"},
				{enPolicy, "differs: collected\n```", "differs: collected\n\nid: maps\nn: 3.\nname: Maps SDK\nfunction: maps\ncollected: location information\nscope: maps\npurpose: Maps.\npolicy: https://example.com/maps\n```"},
			},
			want: []string{`SDK table row "maps" (地图SDK): no business function names it`}},
		{name: "ErrUnknownSDKRow",
			edits: []edit{{smallCat, `{ id = "push", sdk = "push" }`, `{ id = "push", sdk = "pushy" }`}},
			want:  []string{`purpose "push"`, `the SDK table has no row "pushy"`}},
		{name: "ErrSDKRowNamedTwice",
			edits: []edit{{smallCat, `{ id = "stats", sdk = "stats" }`, `{ id = "stats", sdk = "push" }`}},
			want:  []string{`SDK table row "push": named by the business functions push, stats`}},
		{name: "ErrUseIsNotTheRows",
			edits: []edit{{zhPolicy, "purpose: 推送消息。", "purpose: 推送营销消息。"}},
			want:  []string{`purpose "push"`, `use (zh-Hans): "推送消息。", but SDK table row "push" says "推送营销消息。"`}},
		{name: "ErrFunctionIsNotTheRows",
			edits: []edit{{enPolicy, "function: information push", "function: marketing push"}},
			want:  []string{`purpose "push"`, "function (en)"}},
		{name: "ErrPrivacyURLIsNotTheRows",
			edits: []edit{{smallCat, `privacy_url = "https://example.com/push"`, `privacy_url = "https://example.com/other"`}},
			want:  []string{`purpose "push"`, `privacy_url: "https://example.com/other", but SDK table row "push" links "https://example.com/push"`}},
		{name: "ErrPolicyAddsPermission",
			edits: []edit{
				{zhPolicy, "{#s2-perms-2 n=2)}\n", "{#s2-perms-2 n=2)}\n- 振动; {#s2-perms-3 n=3)}\n"},
				{enPolicy, "{#s2-perms-2 n=2)}\n", "{#s2-perms-2 n=2)}\n- Vibration; {#s2-perms-3 n=3)}\n"},
			},
			want: []string{`permission "s2-perms-3" (振动): not mapped`}},
		// The lists mark sensitive terms from one table; it must cover
		// every term the policy bolds where the lists quote it.
		{name: "ErrPolicyBoldsATermNoSensitiveEntryCovers",
			// The purpose flags the item too, so that the flags' own
			// check (checkFlags) passes and this table's is the one tested.
			edits: []edit{{zhPolicy, "collected: 设备标识符,**位置信息**", "collected: **设备标识符**,**位置信息**"},
				{smallCat, `flag = [{ item = { zh-Hans = "位置信息"`, `flag = [{ item = { zh-Hans = "设备标识符", en = "Device identifier" }, sensitive = true, term = "设备标识符" }, { item = { zh-Hans = "位置信息"`}},
			want: []string{`sensitive (zh-Hans): the policy marks "设备标识符" as sensitive (business function "push"), but no [[sensitive]] term covers it`}},
		{name: "ErrSensitiveTermCitesAClauseThePolicyLacks",
			edits: []edit{{smallCat, `clause = "s2-sdks"
term.zh-Hans = "位置信息"`, `clause = "s2-9"
term.zh-Hans = "位置信息"`}},
			want: []string{`sensitive[0] (位置信息): clause: "s2-9" is not in the zh-Hans policy`}},
		{name: "ErrCatalogueMapsUnknownPermission",
			edits: []edit{{smallCat, `id = "s2-perms-2"`, `id = "s2-perms-7"`}},
			want:  []string{`permission "s2-perms-7": not in the zh-Hans policy's permission list`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkEdited(t, small(t), "2022-10", tc.edits...)
			if len(tc.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	t.Run("ErrOtherVersion", func(t *testing.T) {
		pol, err := fs.Sub(small(t), "policy")
		require.NoError(t, err)
		lib, err := policy.Load(pol)
		require.NoError(t, err)
		later := later(t)
		assert.ErrorContains(t, later.CheckPolicy(lib.Latest()), "another policy version")
		assert.ErrorContains(t, later.CheckPolicy(nil), "another policy version")
	})
}

// shipped is the base version's policy and catalogue, and the fictitious
// later version of testdata with its own, under policy/ and catalogue/.
func shipped(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	copyFS(t, m, localestest.Policy(t, localestest.Base, localestest.Later), "policy/")
	copyFS(t, m, localestest.Catalogues(t, localestest.Base, localestest.Later), "catalogue/")
	return m
}

// The base version's catalogue, and the fixture of a later version, agree
// with their policies; and the real texts trip the check the same way the
// small fixture does. (Every shipped version is checked by
// cmd/policyversion's TestShippedIsDerived.)
func TestCheckPolicy_Shipped(t *testing.T) {
	for _, version := range []string{localestest.Base, localestest.Later} {
		t.Run("OK"+version, func(t *testing.T) {
			assert.NoError(t, checkEdited(t, shipped(t), version))
		})
	}
	for _, tc := range []struct {
		name    string
		version string
		edits   []edit
		want    []string
	}{
		{"ErrGetuiRowGainsAnItem", localestest.Base,
			[]edit{{shippedZh, "collected: 设备标识符,**位置信息**,MAC地址,SD卡储存权限", "collected: 设备标识符,**位置信息**,MAC地址,SD卡储存权限,IMEI"}},
			[]string{`purpose "push"`, `lacks "IMEI" (SDK table row "getui")`}},
		{"ErrCrashReportsHidesAudioAndVideo", localestest.Base,
			[]edit{{shippedCat, "运营商信息,音视频信息,SIM系列号", "运营商信息,SIM系列号"}},
			[]string{`purpose "crash-reports"`, `lacks "音视频信息" (SDK table row "bugly")`}},
		{"ErrBasicOmitsBluetooth", localestest.Base,
			[]edit{{shippedCat, "WLAN接入点、蓝牙、NFC、基站、软件版本号", "WLAN接入点、软件版本号"}},
			[]string{`purpose "basic"`, `lacks "蓝牙" (s1-4-1-p1), "NFC" (s1-4-1-p1), "基站" (s1-4-1-p1)`}},
		{"ErrSensorsAsTheOldFixtureHadIt", localestest.Later,
			[]edit{{"catalogue/" + localestest.Later + ".toml", `zh-Hans = "设备标识符,设备型号,操作系统版本,IP地址"`, `zh-Hans = "设备标识符,设备型号,操作系统版本,网络类型,应用内操作行为"`}},
			[]string{`purpose "sensors"`, `lacks "IP地址"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkEdited(t, shipped(t), tc.version, tc.edits...)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	t.Run("AllPermissionsMapped", func(t *testing.T) {
		lib := localestest.Library(t, localestest.Base)
		cat := current(t)
		require.NoError(t, cat.CheckPolicy(lib.Latest()))
		zh, _ := lib.Latest().Doc(policy.LangZH)
		require.Len(t, zh.Permissions(), 26)
		for _, b := range zh.Permissions() {
			perm, fn, p, ok := cat.Permission(b.ID)
			require.True(t, ok, b.ID)
			assert.Equal(t, b.ID, perm.ID)
			assert.NotEmpty(t, fn.ID, b.ID)
			assert.Equal(t, "app", p.Audience, b.ID)
		}
		_, _, loc, _ := cat.Permission("s2-3-perms-17")
		assert.Equal(t, consent.PurposeID("location"), loc.ID, "positioning is for location services")
	})
}

// Clause references, quotes, business functions and permissions locate what
// is asked; they are not part of it, so a purpose's hash ignores them and
// nobody is asked again for a change to them alone.
func TestHashIgnoresPolicyReferences(t *testing.T) {
	base := current(t)
	for _, tc := range []struct {
		name     string
		old, new string
		same     bool
	}{
		{"Basis", `basis = ["s1-3-p1", "s1-4-1-p1"]`, `basis = ["s1-3-p1"]`, true},
		{"FunctionTitle", `title.en = "Usage logs"`, `title.en = "Logs of use"`, true},
		{"PermissionText", `use.en = "To vibrate when a push notification arrives."`, `use.en = "To vibrate."`, true},
		{"Collects", `音视频信息,SIM系列号`, `SIM系列号`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fstest.MapFS{}
			copyFS(t, m, localestest.Catalogues(t, localestest.Base), "")
			apply(t, m, edit{localestest.Base + ".toml", tc.old, tc.new})
			cat, err := consent.LoadCatalogue(m, localestest.Base)
			require.NoError(t, err)
			changed := false
			for _, p := range cat.Purposes(consent.SurfaceFirstLaunch) {
				was, _ := base.Purpose(consent.SurfaceFirstLaunch, p.ID)
				changed = changed || was.Hash != p.Hash
			}
			assert.Equal(t, !tc.same, changed)
		})
	}
}

// The form of business functions and permissions is checked on load,
// before any policy is at hand.
func TestLoadCatalogue_BusinessFunctions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []string
	}{
		{"ErrSDKAndData", `{ id = "push", sdk = "push" }`, `{ id = "push", sdk = "push", data = [{ clause = "s1-p1", quote = { zh-Hans = "a", en = "b" } }] }`,
			[]string{`purpose "push"`, `business_function "push"`, "either sdk"}},
		{"ErrDuplicateID", `{ id = "stats", sdk = "stats" }`, `{ id = "push", sdk = "stats" }`,
			[]string{`business_function "push"`, "duplicate"}},
		{"ErrTitleMissingWithoutSDK", `title = { zh-Hans = "注册", en = "Registration" }`, ``,
			[]string{`business_function "account"`, "title: missing"}},
		{"ErrUseMissingWithoutSDK", `use = { zh-Hans = "用于注册。", en = "For registration." }`, ``,
			[]string{`business_function "account"`, "use: missing"}},
		{"ErrQuoteMissingEnglish", `en = "mobile phone number, nickname, and avatar"`, `fr = "x"`,
			[]string{`business_function "account"`, "data[0].quote", "missing en"}},
		{"ErrBadClauseID", `{ clause = "s1-p1",`, `{ clause = "1.3",`,
			[]string{`data[0].clause: "1.3"`}},
		{"ErrPermissionOfUnknownFunction", `business_function = "account"`, `business_function = "acount"`,
			[]string{`permission "s2-perms-1"`, `"acount" is no business function`}},
		{"ErrPermissionWithoutConsequence", `without = { zh-Hans = "消息照常推送。", en = "Messages are pushed as before." }`, ``,
			[]string{`permission "s2-perms-2"`, "without: missing"}},
		{"ErrDuplicatePermission", `id = "s2-perms-2"`, `id = "s2-perms-1"`,
			[]string{`permission "s2-perms-1"`, "duplicate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fixture(t, "policycheck.toml")
			apply(t, m, edit{"2022-10.toml", tc.old, tc.new})
			_, err := consent.LoadCatalogue(m, "2022-10")
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
