package policy_test

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/policy"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/policy")

// loadReal loads the base policy version (localestest.Base): the tests
// below are about its published wording, which never changes, whatever
// versions locales/ ships after it.
func loadReal(t *testing.T) *policy.Library {
	t.Helper()
	return localestest.Library(t, localestest.Base)
}

// merge copies the files of several file systems into one, so a test can
// load the published versions together with test-only ones.
func merge(t *testing.T, systems ...fs.FS) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for _, fsys := range systems {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			m[p] = &fstest.MapFile{Data: b}
			return err
		})
		require.NoError(t, err)
	}
	return m
}

// loadBoth loads the base version and the fixture's later one.
func loadBoth(t *testing.T) *policy.Library {
	t.Helper()
	return localestest.Library(t, localestest.Base, localestest.Later)
}

func TestLoad(t *testing.T) {
	l := loadReal(t)
	v := l.Latest()
	require.Equal(t, localestest.Base, v.ID)
	assert.Equal(t, localestest.Base, v.Updated)
	assert.Equal(t, "2021-01", v.Effective)

	addresses := map[string]string{
		policy.LangZH: "深圳市南山区粤海街道高新南环路42号北邮科技大厦10楼1002",
		policy.LangEN: "R.1002, Beiyou Tech Building, Yuehai St, Nanshan District, Shenzhen",
	}
	for _, lang := range policy.Languages() {
		t.Run(lang, func(t *testing.T) {
			d, ok := v.Doc(lang)
			require.True(t, ok)
			assert.Equal(t, lang, d.Lang)
			assert.Equal(t, localestest.Base, d.Version)

			var ids []string
			for _, s := range d.Sections {
				ids = append(ids, s.ID)
			}
			assert.Equal(t, []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10"}, ids)

			var rows []string
			for _, s := range d.SDKs() {
				rows = append(rows, s.ID)
				assert.NotEmpty(t, s.Name, s.ID)
				assert.NotEmpty(t, s.Function, s.ID)
				assert.NotEmpty(t, s.Collected, s.ID)
				assert.NotEmpty(t, s.Scope, s.ID)
				assert.NotEmpty(t, s.Purpose, s.ID)
				assert.True(t, strings.HasPrefix(s.PolicyURL, "https://"), s.ID)
			}
			assert.Equal(t, []string{"getui", "wechat", "amap", "bugly", "umeng"}, rows)

			perms := d.Permissions()
			require.Len(t, perms, 26)
			assert.Equal(t, "1)", perms[0].Number)
			assert.Equal(t, "26)", perms[25].Number)

			c := d.Contact()
			require.NotNil(t, c)
			assert.Equal(t, "https://www.kaiconn.com", c.Site)
			assert.Equal(t, "0755 - 86965862", c.Phone)
			assert.Equal(t, "privacy@kaiconn.com", c.Email)
			assert.Equal(t, addresses[lang], c.Address)
			assert.NotEmpty(t, c.Intro)
			assert.NotEmpty(t, c.Outro)
		})
	}
}

// onlyIn returns the ids of d that are marked present in d's language only.
func onlyIn(d *policy.Document) []string {
	var out []string
	for _, id := range d.IDs() {
		var only string
		switch r, _ := d.Find(id); r := r.(type) {
		case *policy.Section:
			only = r.OnlyIn
		case *policy.Block:
			only = r.OnlyIn
		}
		if only != "" {
			out = append(out, id)
		}
	}
	return out
}

func TestAlignment(t *testing.T) {
	v := loadReal(t).Latest()
	zh, en := v.Docs[policy.LangZH], v.Docs[policy.LangEN]

	t.Run("OnlyIn", func(t *testing.T) {
		assert.Empty(t, onlyIn(zh))
		assert.Equal(t, []string{"s3-1-5"}, onlyIn(en))
		_, ok := zh.Find("s3-1-5")
		assert.False(t, ok)
	})
	t.Run("SameIDs", func(t *testing.T) {
		strip := func(d *policy.Document) []string {
			return slices.DeleteFunc(d.IDs(), func(id string) bool { return slices.Contains(onlyIn(d), id) })
		}
		assert.Equal(t, strip(zh), strip(en))
	})
	t.Run("NumbersKeepSlips", func(t *testing.T) {
		for _, tc := range []struct{ id, zh, en string }{
			{"s1-5", "(一)", "1.4.3.1."},
			{"s1-6-3", "(3)", "1.4.1.2.3."},
			{"s3-1-6", "5.", "3.1.6."},
			{"s3-1-4-1", "(1)", "3.1.4.1."},
		} {
			assert.Equal(t, tc.zh, number(t, zh, tc.id), tc.id)
			assert.Equal(t, tc.en, number(t, en, tc.id), tc.id)
		}
	})
	t.Run("FieldDifferences", func(t *testing.T) {
		sdk := func(d *policy.Document, id string) policy.SDK {
			i := slices.IndexFunc(d.SDKs(), func(s policy.SDK) bool { return s.ID == id })
			require.GreaterOrEqual(t, i, 0, id)
			return d.SDKs()[i]
		}
		assert.Len(t, sdk(zh, "getui").Notes, 2)
		assert.Empty(t, sdk(en, "getui").Notes)
		assert.Equal(t, []string{"notes"}, sdk(en, "getui").Differs)
		assert.Contains(t, sdk(zh, "umeng").Collected, "SSID、BSSID")
		assert.NotContains(t, sdk(en, "umeng").Collected, "SSID")
		assert.Equal(t, []string{"collected", "purpose"}, sdk(zh, "umeng").Differs)
		assert.Equal(t, []string{"address"}, zh.Contact().Differs)
		for _, id := range []string{"wechat", "amap", "bugly"} {
			assert.Empty(t, sdk(zh, id).Differs, id)
		}
	})
}

func number(t *testing.T, d *policy.Document, id string) string {
	t.Helper()
	r, ok := d.Find(id)
	require.True(t, ok, "%s: %s", d.Lang, id)
	switch r := r.(type) {
	case *policy.Section:
		return r.Number
	case *policy.Block:
		return r.Number
	}
	return ""
}

// glossary lists the sensitive personal information terms (1.1.3, plus the
// phone number of 1.3 and location information) in each language.
var glossary = []struct{ zh, en string }{
	{"身份证件号码", "ID number"},
	{"邮箱地址", "email address"},
	{"各类密码(口令、保护答案、数字证书)", "various passwords (passwords, protection answers, digital certificates)"},
	{"个人生物识别信息", "personal biometric information"},
	{"通记记录和内容", "communication records and content"},
	{"个人健康生理信息", "personal health and physiological information"},
	{"个人财产信息", "personal property information"},
	{"银行账号", "bank account number"},
	{"征信信息", "credit information"},
	{"行踪轨迹", "whereabouts"},
	{"住宿信息", "accommodation information"},
	{"交易信息", "transaction information"},
	{"14岁周岁以下(含)儿童的个人信息", "personal information of children under the age of 14 (including)"},
}

// runs collects every inline run of d, including the SDK table's.
func runs(d *policy.Document) [][]policy.Inline {
	var out [][]policy.Inline
	var walk func(b *policy.Block)
	walk = func(b *policy.Block) {
		out = append(out, b.Text)
		for _, s := range b.SDKs {
			out = append(out, s.CollectedText)
		}
		for _, c := range b.Items {
			walk(c)
		}
	}
	var sec func(s *policy.Section)
	sec = func(s *policy.Section) {
		out = append(out, []policy.Inline{{Text: s.Title}})
		for _, b := range s.Blocks {
			walk(b)
		}
		for _, c := range s.Children {
			sec(c)
		}
	}
	for _, b := range d.Preamble {
		walk(b)
	}
	for _, s := range d.Sections {
		sec(s)
	}
	return out
}

func strong(text []policy.Inline) []string {
	var out []string
	for _, r := range text {
		if r.Strong {
			out = append(out, r.Text)
		}
	}
	return out
}

func TestBold(t *testing.T) {
	v := loadReal(t).Latest()
	zh, en := v.Docs[policy.LangZH], v.Docs[policy.LangEN]
	text := func(d *policy.Document, id string) []policy.Inline {
		r, ok := d.Find(id)
		require.True(t, ok, id)
		return r.(*policy.Block).Text
	}

	t.Run("Definition", func(t *testing.T) {
		for _, g := range glossary {
			assert.Contains(t, strong(text(zh, "s1-1-3")), g.zh)
			assert.Contains(t, strong(text(en, "s1-1-3")), g.en)
		}
	})
	t.Run("Recurring", func(t *testing.T) {
		assert.Contains(t, strong(text(zh, "s1-3-p1")), "手机号码")
		assert.Contains(t, strong(text(en, "s1-3-p1")), "mobile phone number")
		assert.Contains(t, strong(text(zh, "s1-1-2")), "行踪轨迹")
		assert.Contains(t, strong(text(en, "s1-1-2")), "whereabouts")
		assert.Contains(t, strong(zh.SDKs()[0].CollectedText), "位置信息")
		assert.Contains(t, strong(en.SDKs()[0].CollectedText), "location information")
	})
	// Every occurrence of a sensitive term is bold, so a reader skimming
	// the bold text sees all of them.
	t.Run("NeverPlain", func(t *testing.T) {
		terms := map[string][]string{policy.LangZH: {"手机号", "位置信息", "行踪轨迹"}, policy.LangEN: {"mobile phone number", "location information", "whereabouts"}}
		for _, g := range glossary {
			terms[policy.LangZH] = append(terms[policy.LangZH], g.zh)
			terms[policy.LangEN] = append(terms[policy.LangEN], g.en)
		}
		for _, d := range []*policy.Document{zh, en} {
			for _, rs := range runs(d) {
				for _, r := range rs {
					for _, term := range terms[d.Lang] {
						if !r.Strong {
							assert.NotContains(t, r.Text, term, "%s: plain %q", d.Lang, term)
						}
					}
				}
			}
		}
	})
}

func TestFind(t *testing.T) {
	d := loadReal(t).Latest().Docs[policy.LangEN]
	t.Run("Section", func(t *testing.T) {
		r, ok := d.Find("s1-4-2")
		require.True(t, ok)
		s := r.(*policy.Section)
		assert.Equal(t, "Register Kaiconn platform account.", s.Title)
		assert.Equal(t, "1.4.2.", s.Number)
	})
	t.Run("NestedClause", func(t *testing.T) {
		r, ok := d.Find("s1-4-2-4-3")
		require.True(t, ok)
		assert.Equal(t, policy.Item, r.(*policy.Block).Kind)
	})
	t.Run("ClauseParagraph", func(t *testing.T) {
		r, ok := d.Find("s4-1-p1")
		require.True(t, ok)
		assert.Equal(t, policy.Paragraph, r.(*policy.Block).Kind)
	})
	t.Run("ContentsLinks", func(t *testing.T) {
		r, ok := d.Find("pre-toc-10")
		require.True(t, ok)
		assert.Equal(t, "#s10", r.(*policy.Block).Text[0].Href)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, ok := d.Find("s11")
		assert.False(t, ok)
	})
}

// SDK and Permission look rows and permissions up by their stable ids, as
// the purpose catalogue cites them.
func TestSDKAndPermission(t *testing.T) {
	v := loadReal(t).Latest()
	for _, tc := range []struct {
		lang, sdk, function, perm, name string
	}{
		{policy.LangZH, "bugly", "Bugly crash上报功能,实人认证", "s2-3-perms-17", "读取手机定位信息"},
		{policy.LangEN, "bugly", "Bugly crash reporting function, real person authentication", "s2-3-perms-17", "Reading mobile phone positioning information"},
		{policy.LangZH, "getui", "信息推送", "s2-3-perms-9", "IMSI"},
		{policy.LangEN, "umeng", "Statistics", "s2-3-perms-26", "End the background process"},
	} {
		t.Run(tc.lang+"/"+tc.sdk+"/"+tc.perm, func(t *testing.T) {
			d := v.Docs[tc.lang]
			row, ok := d.SDK(tc.sdk)
			require.True(t, ok)
			assert.Equal(t, tc.function, row.Function)
			b, name, ok := d.Permission(tc.perm)
			require.True(t, ok)
			assert.Equal(t, tc.perm, b.ID)
			assert.Equal(t, tc.name, name, "printed name without the list's punctuation")
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		d := v.Docs[policy.LangZH]
		_, ok := d.SDK("sensors")
		assert.False(t, ok)
		_, _, ok = d.Permission("s2-3-perms-27")
		assert.False(t, ok)
		_, _, ok = d.Permission("s2-3-p1")
		assert.False(t, ok, "a clause is not a permission")
	})
}

func TestPlainText(t *testing.T) {
	v := loadReal(t).Latest()
	zh, en := v.Docs[policy.LangZH], v.Docs[policy.LangEN]
	t.Run("Clause", func(t *testing.T) {
		assert.Equal(t, "Handle disputes or disputes between you and others based on your needs.", en.PlainText("s3-1-8"))
		assert.Equal(t, "应您需求为您处理您与他人的纠纷或争议。", zh.PlainText("s3-1-8"))
	})
	t.Run("SectionHoldsItsClauses", func(t *testing.T) {
		s := zh.PlainText("s1-4-2")
		assert.True(t, strings.HasPrefix(s, "注册每开平台账号\n"), s)
		assert.Contains(t, s, "关于您的使用时间与使用频率的细节;")
		assert.NotContains(t, s, "**")
	})
	t.Run("Tables", func(t *testing.T) {
		assert.Contains(t, en.PlainText("s2-3-sdks"), "SDK name: igexin SDK")
		assert.Contains(t, zh.PlainText("s10-contact"), "电子邮箱:privacy@kaiconn.com")
	})
	t.Run("Document", func(t *testing.T) {
		all := en.PlainText("")
		assert.Contains(t, all, en.PlainText("s5-9"))
		assert.Contains(t, all, en.PlainText("pre-p1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		assert.Empty(t, en.PlainText("s99"))
	})
}

func TestVersions(t *testing.T) {
	l := loadBoth(t)
	var ids []string
	for _, v := range l.Versions() {
		ids = append(ids, v.ID)
	}
	require.Equal(t, []string{localestest.Base, localestest.Later}, ids)
	assert.Equal(t, localestest.Later, l.Latest().ID)
	_, ok := l.Version("1999-01")
	assert.False(t, ok)

	old, ok := l.Version(localestest.Base)
	require.True(t, ok)
	published := loadReal(t).Latest()
	for _, lang := range policy.Languages() {
		t.Run(lang, func(t *testing.T) {
			assert.Equal(t, published.Docs[lang].SHA256, old.Docs[lang].SHA256)
			d := l.Latest().Docs[lang]
			assert.Equal(t, localestest.Later, d.Updated)
			assert.Equal(t, localestest.Later, d.Effective)
			assert.NotEqual(t, old.Docs[lang].SHA256, d.SHA256)
			sdks := d.SDKs()
			require.Len(t, sdks, 6)
			assert.Equal(t, "sensors", sdks[5].ID)
			assert.Contains(t, sdks[2].Collected, map[string]string{policy.LangZH: "WLAN扫描结果", policy.LangEN: "WLAN scan results"}[lang])
			assert.NotContains(t, old.Docs[lang].SDKs()[2].Collected, "WLAN")
		})
	}
}

// TestHashes pins the SHA-256 of every policy file shipped, and of the
// fixture's: a receipt names the hash of the text a person saw, so the
// published bytes must never change by accident. make policy-version adds
// a new version's line (-update); any other change to the golden file is a
// published text edited, which must not be.
func TestHashes(t *testing.T) {
	var b strings.Builder
	versions := localestest.Shipped(t)
	if !slices.Contains(versions, localestest.Later) {
		versions = append(versions, localestest.Later)
	}
	for _, v := range localestest.Library(t, versions...).Versions() {
		for _, lang := range policy.Languages() {
			fmt.Fprintf(&b, "%s/%s.md %s\n", v.ID, lang, v.Docs[lang].SHA256)
		}
	}
	golden := "../testdata/policy/hashes.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
}

func TestLoadInvalid(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		l, err := policy.Load(os.DirFS("../testdata/policy/minimal"))
		require.NoError(t, err)
		assert.Len(t, l.Latest().Docs[policy.LangZH].SDKs(), 1)
	})
	for _, tc := range []struct {
		name string
		want []string // substrings of the error message
	}{
		{"duplicate-id", []string{"2022-10/en.md:", `duplicate id "s1-1"`}},
		{"missing-section", []string{"2022-10/zh-Hans.md", `missing section "s4"`}},
		{"misaligned-id", []string{"2022-10/zh-Hans.md:", `id "s1-1-1" has no counterpart in 2022-10/en.md`}},
		{"misnested-id", []string{"2022-10/zh-Hans.md:", `id "s1-1-1" sits under`}},
		{"bad-front-matter", []string{"2022-10/zh-Hans.md:", `missing field "effective"`}},
		{"version-mismatch", []string{"2022-10/en.md", `version "2022-11"`}},
		{"only-mismatch", []string{"2022-10/en.md:", `id "s1-3": only=zh-Hans in the en file`}},
		{"only-in-both", []string{"2022-10/en.md:", `id "s1-1-1" is marked only=en`}},
		{"sdk-missing-field", []string{"2022-10/zh-Hans.md:", `SDK row "demo": missing field "purpose"`}},
		{"two-sdk-tables", []string{"2022-10/en.md:", `id "s2-more": a second sdk_table block`}},
		{"undeclared-notes", []string{"2022-10/zh-Hans.md:", `SDK row "demo": notes in one language only`}},
		{"unclosed-bold", []string{"2022-10/en.md:", `id "s1-1": unclosed **`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Load(os.DirFS(path.Join("../testdata/policy/invalid", tc.name)))
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	t.Run("ErrUnexpectedDirectory", func(t *testing.T) {
		m := merge(t, os.DirFS("../testdata/policy/minimal"))
		m["drafts/en.md"] = &fstest.MapFile{Data: []byte("x")}
		_, err := policy.Load(m)
		assert.ErrorContains(t, err, "drafts: unexpected directory")
	})
	t.Run("ErrMissingLanguage", func(t *testing.T) {
		m := merge(t, os.DirFS("../testdata/policy/minimal"))
		delete(m, "2022-10/en.md")
		_, err := policy.Load(m)
		assert.ErrorContains(t, err, "2022-10/en.md: missing")
	})
	t.Run("ErrNoVersion", func(t *testing.T) {
		_, err := policy.Load(fstest.MapFS{"README.md": &fstest.MapFile{Data: []byte("x")}})
		assert.ErrorContains(t, err, "no policy version")
	})
}
