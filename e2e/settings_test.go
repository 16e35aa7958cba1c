package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/lang"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agreeTo makes a first-launch decision granting ids, through the plain
// form.
func agreeTo(t *testing.T, ctx context.Context, srv *server.Server, ids ...string) {
	t.Helper()
	openGate(t, ctx, srv, "&wasm=false", false)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")))
	for _, id := range ids {
		do(t, ctx, chromedp.Click(chromedp.ID("kc-p-"+id)))
	}
	do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")),
		chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)))
	waitRecorded(t, ctx) // gate.js records it in the background
}

func openSettings(t *testing.T, ctx context.Context, srv *server.Server, query string, wasm bool) {
	t.Helper()
	openSettingsIn(t, ctx, srv, lang.En, query, wasm)
}

func openSettingsIn(t *testing.T, ctx context.Context, srv *server.Server, l, query string, wasm bool) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang="+l+query), chromedp.WaitVisible(chromedp.ID("kc-save")))
	if wasm {
		do(t, ctx, waitWasm())
	}
}

// setZone makes the tab's browser report zone as its own.
func setZone(t *testing.T, ctx context.Context, zone string) {
	t.Helper()
	do(t, ctx, call(emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}))
}

// storedStates reads, from the receipts the server stores for this browser
// (/settings/privacy/receipts.json), the state of every purpose in receipt
// id. A device-signed receipt reaches the server through the outbox, so it
// may take a moment to arrive.
func storedStates(t *testing.T, ctx context.Context, srv *server.Server, id string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, s := range chain(t, ctx, srv.URL()) {
			if s.Receipt.ID == id {
				out := map[string]string{}
				for _, p := range s.Receipt.Purposes {
					out[p.ID] = p.State
				}
				return out
			}
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "receipt "+id+" is not stored")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shownStates is what the page shows per optional purpose: the tick box
// and the state line.
type shownState struct {
	Checked bool   `json:"checked"`
	State   string `json:"state"`
	Text    string `json:"text"`
}

func shownStates(t *testing.T, ctx context.Context) map[string]shownState {
	t.Helper()
	return eval[map[string]shownState](t, ctx, `(function () {
		var out = {};
		document.querySelectorAll('input[name=purpose]').forEach(function (e) {
			var s = document.getElementById(e.id + '-since');
			out[e.value] = {checked: e.checked, state: s.getAttribute('data-state'), text: s.textContent};
		});
		return out;
	})()`)
}

func textByID(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return eval[string](t, ctx, `document.getElementById(`+jsString(id)+`).textContent`)
}

func TestSettings(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			srv := startServer(t)

			t.Run("WithdrawOne", func(t *testing.T) {
				ctx := hostTab(t, "ios")
				agreeTo(t, ctx, srv, "location", "push")
				openSettings(t, ctx, srv, m.query, m.wasm)
				assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-location').checked`), "shows the real choice")
				assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-push').checked`))
				assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-p-analytics').checked`))
				assert.Equal(t, "/privacy?lang=en", eval[string](t, ctx, `document.getElementById('kc-policy-link').getAttribute('href')`), "the policy one tap away")
				assert.Equal(t, 5, eval[int](t, ctx, `document.querySelectorAll('#kc-sharing > li').length`), "the five SDKs")
				assert.Empty(t, messages(t, ctx))

				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-p-location")),
					chromedp.Click(chromedp.ID("kc-save")),
					chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="withdrawn"]`)),
				)
				got := messages(t, ctx)
				require.Len(t, got, 1)
				assert.Equal(t, "withdrawn", got[0].Decision)
				assert.Equal(t, appPurposes("push"), got[0].Purposes)
				assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll('#kc-history li').length`), "the history shows both decisions")
				assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-p-location').checked`))
			})

			t.Run("UpdateByKeyboard", func(t *testing.T) {
				ctx := hostTab(t, "android")
				agreeTo(t, ctx, srv, "push")
				openSettings(t, ctx, srv, m.query, m.wasm)
				do(t, ctx, chromedp.Focus(chromedp.ID("kc-policy-link")))
				tabTo(t, ctx, "kc-p-analytics")
				do(t, ctx, chromedp.KeyEvent(" "))
				tabTo(t, ctx, "kc-save")
				do(t, ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="updated"]`)))
				got := messages(t, ctx)
				require.Len(t, got, 1)
				assert.Equal(t, "updated", got[0].Decision)
				assert.True(t, got[0].Purposes["push"])
				assert.True(t, got[0].Purposes["analytics"])
			})
		})
	}
}

// After "withdraw all", with and without the wasm and in both languages,
// every box is unticked, every state line and the summary say so, the
// receipts the server stores say the same, and a Save that follows records
// exactly what the boxes then show. Each mode runs in one language and the
// other mode in the other: the languages differ in words, which both
// modes take from the same messages, not in steps.
func TestSettingsWithdrawAllShowsStoredState(t *testing.T) {
	srv := startServer(t)
	for i, m := range modes {
		l := lang.All[i%len(lang.All)]
		t.Run(m.name+"/"+l, func(t *testing.T) {
			msgs := lang.DefaultBundle().Localizer(l)
			offSince, _ := components.SplitAtTime(msgs.T("settings_refused_since", map[string]string{"Date": components.TimeMark}))
			onSince, _ := components.SplitAtTime(msgs.T("settings_granted_since", map[string]string{"Date": components.TimeMark}))
			ctx := hostTab(t, "android")
			agreeTo(t, ctx, srv, "push", "crash-reports")
			openSettingsIn(t, ctx, srv, l, m.query, m.wasm)
			require.True(t, shownStates(t, ctx)["push"].Checked)

			// act does steps, waits until the page shows their outcome and
			// returns the last message the host received. Without the
			// wasm the outcome is a new page, which loads the wasm: the
			// test opens the plain page again before the next step, so
			// each step is taken on the page it names.
			act := func(wait string, steps ...chromedp.Action[chromedp.Void]) bridgeMessage {
				t.Helper()
				do(t, ctx, steps...)
				// Without the wasm a new page comes; the one acted on
				// (opened afresh) had no notice.
				do(t, ctx, chromedp.WaitVisible(chromedp.ID("kc-saved")))
				waitFor(t, ctx, wait)
				got := messages(t, ctx)
				require.NotEmpty(t, got)
				if !m.wasm {
					openSettingsIn(t, ctx, srv, l, m.query, false)
				}
				return got[len(got)-1]
			}

			// A first change: the page now shows a notice, and the
			// switches are updated in place from here on.
			first := act(`document.querySelectorAll('#kc-history li').length === 2`,
				chromedp.Click(chromedp.ID("kc-p-crash-reports")), chromedp.Click(chromedp.ID("kc-save")))
			shown := shownStates(t, ctx)
			assert.True(t, shown["push"].Checked)
			assert.False(t, shown["crash-reports"].Checked)
			assert.Equal(t, "off", shown["crash-reports"].State)
			assert.Equal(t, "given", storedStates(t, ctx, srv, first.ReceiptID)["push"])

			withdrawn := act(`document.querySelectorAll('#kc-history li').length === 3`, chromedp.Click(chromedp.ID("kc-withdraw-all")))
			assert.Equal(t, "withdrawn", withdrawn.Decision)
			for id, on := range withdrawn.Purposes {
				assert.Equal(t, id == "basic", on, id)
			}
			check := func(when string) {
				for id, s := range shownStates(t, ctx) {
					assert.False(t, s.Checked, "%s: %s is unticked", when, id)
					assert.Equal(t, "off", s.State, "%s: %s", when, id)
					if id == "push" || id == "crash-reports" {
						assert.True(t, strings.HasPrefix(s.Text, offSince), "%s: %s says %q", when, id, s.Text)
					}
				}
				assert.Equal(t, msgs.T("settings_summary_none"), textByID(t, ctx, "kc-summary-state"), when)
				assert.Equal(t, "withdrawn", eval[string](t, ctx, `document.getElementById('kc-summary').dataset.decision`), when)
			}
			check("after withdraw-all")
			stored := storedStates(t, ctx, srv, withdrawn.ReceiptID)
			for id, state := range stored {
				assert.Equal(t, id == "basic", state == "necessary", "stored receipt: %s is %s", id, state)
				assert.NotEqual(t, "given", state, "stored receipt: %s", id)
			}
			assert.Equal(t, "withdrawn", stored["push"])
			// Save starts from what the boxes show.
			last := act(`document.querySelectorAll('#kc-history li').length === 4`,
				chromedp.Click(chromedp.ID("kc-p-push")), chromedp.Click(chromedp.ID("kc-save")))
			assert.Equal(t, "updated", last.Decision)
			assert.True(t, last.Purposes["push"])
			assert.False(t, last.Purposes["crash-reports"])
			assert.Equal(t, "given", storedStates(t, ctx, srv, last.ReceiptID)["push"])
			after := func(when string) {
				for id, s := range shownStates(t, ctx) {
					assert.Equal(t, id == "push", s.Checked, "%s: %s", when, id)
				}
				s := shownStates(t, ctx)["push"]
				assert.Equal(t, "on", s.State, when)
				assert.True(t, strings.HasPrefix(s.Text, onSince), "%s: %q", when, s.Text)
			}
			after("after save")
			// The page the server renders next shows the same.
			openSettingsIn(t, ctx, srv, l, m.query, m.wasm)
			after("after reload")
		})
	}
}

// After Disagree on the gate, settings says the optional purposes are
// refused; it never calls the required processing something allowed.
func TestSettingsAfterDisagree(t *testing.T) {
	srv := startServer(t)
	for _, m := range modes {
		for _, l := range lang.All {
			t.Run(m.name+"/"+l, func(t *testing.T) {
				msgs := lang.DefaultBundle().Localizer(l)
				ctx := hostTab(t, "ios")
				do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?wasm=false&lang="+l), chromedp.WaitVisible(chromedp.ID("kc-disagree")),
					chromedp.Click(chromedp.ID("kc-disagree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="declined"]`)))
				receipt := messages(t, ctx)[0].ReceiptID
				openSettingsIn(t, ctx, srv, l, m.query, m.wasm)
				assert.Equal(t, msgs.T("settings_summary_none"), textByID(t, ctx, "kc-summary-state"))
				assert.Equal(t, "declined", eval[string](t, ctx, `document.getElementById('kc-summary').dataset.decision`))
				assert.Equal(t, "0", eval[string](t, ctx, `document.getElementById('kc-summary').dataset.granted`))
				assert.Equal(t, catalogues.Latest, eval[string](t, ctx, `document.getElementById('kc-summary').dataset.version`))
				assert.Contains(t, textByID(t, ctx, "kc-summary-decided"), catalogues.Latest)
				assert.Contains(t, textByID(t, ctx, "kc-history"), msgs.T("settings_history_granted")+msgs.T("settings_history_none"))
				basic := eval[string](t, ctx, `document.getElementById('kc-p-required-title').textContent`)
				assert.NotContains(t, textByID(t, ctx, "kc-summary-state"), basic)
				assert.NotContains(t, textByID(t, ctx, "kc-history"), basic)
				for id, s := range shownStates(t, ctx) {
					assert.False(t, s.Checked, id)
				}
				for id, state := range storedStates(t, ctx, srv, receipt) {
					assert.Equal(t, id == "basic", state == "necessary", "stored receipt: %s is %s", id, state)
					assert.NotEqual(t, "given", state, "stored receipt: %s", id)
				}
			})
		}
	}
}

// navigateMessage is a rights entry's message as a fake host records it,
// with the names of its fields, which must be exactly the documented ones.
type navigateMessage struct {
	Type   string   `json:"type"`
	Target string   `json:"target"`
	At     string   `json:"at"`
	Keys   []string `json:"keys"`
}

// Tapping a rights entry delivers exactly the documented navigate message,
// {type: "navigate", target, at}, once; every entry offers its screen, its
// deadline or the page's own withdrawal.
func TestSettingsRightsCentre(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		host, lang string
		mode       int
	}{
		{"android", lang.ZhHans, 0}, {"ios", lang.En, 1}, {"ios", lang.ZhHans, 1}, {"android", lang.En, 0},
	} {
		m := modes[tc.mode]
		t.Run(tc.host+"/"+tc.lang+"/"+m.name, func(t *testing.T) {
			msgs := lang.DefaultBundle().Localizer(tc.lang)
			ctx := hostTab(t, tc.host)
			openSettingsIn(t, ctx, srv, tc.lang, m.query+"&state="+appState(t, "push"), m.wasm)

			type entry struct {
				ID, Target string
				Days       string
				Withdraw   bool
			}
			entries := eval[[]entry](t, ctx, `Array.from(document.querySelectorAll('#kc-rights [data-right]')).map(function (li) {
				var b = li.querySelector('[data-navigate]'), d = li.querySelector('[data-days]');
				return {ID: li.dataset.right, Target: b ? b.dataset.navigate : "", Days: d ? d.dataset.days : "",
					Withdraw: !!li.querySelector('a[href="#kc-choices-title"]')};
			})`)
			var ids, targets []string
			for _, e := range entries {
				ids = append(ids, e.ID)
				assert.True(t, e.Target != "" || e.Days != "" || e.Withdraw, "%s offers a way", e.ID)
				if e.Days != "" {
					assert.Equal(t, "15", e.Days, "%s promises the shortest deadline", e.ID)
				}
				if e.Target != "" {
					targets = append(targets, e.Target)
				}
			}
			assert.Equal(t, []string{"access", "correction", "deletion", "account-deletion", "withdraw-consent", "deceased-relatives", "automated-decisions", "complaint"}, ids)
			// What the policy says is the policy's text, apart from our
			// explanation (server TestSettingsRightsQuoteThePolicy holds
			// the words).
			for _, id := range ids {
				assert.NotEmpty(t, textByID(t, ctx, "kc-right-"+id+"-quote"), id)
				assert.True(t, strings.HasPrefix(textByID(t, ctx, "kc-right-"+id+"-explain"), msgs.T("settings_right_explain")), id)
			}
			assert.Equal(t, []string{"profile", "profile", "account-deletion", "feedback"}, targets)
			assert.Contains(t, textByID(t, ctx, "kc-right-account-deletion-effect"), "申请注销后7天生效")

			// The rights are one tap away, behind their disclosure.
			do(t, ctx, chromedp.Click(chromedp.ID("kc-rights-link"), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.ID("kc-right-access")))
			for _, e := range entries {
				if e.Target == "" {
					continue
				}
				eval[bool](t, ctx, `window.__kcMessages = []; true`)
				before := time.Now()
				do(t, ctx, chromedp.Click(chromedp.ID("kc-right-"+e.ID+"-open"), chromedp.NodeVisible))
				got := eval[[]navigateMessage](t, ctx, `(window.__kcMessages || []).map(function (m) { var o = JSON.parse(JSON.stringify(m)); o.keys = Object.keys(m).sort(); return o; })`)
				require.Len(t, got, 1, "%s: one press, one message", e.ID)
				assert.Equal(t, []string{"at", "target", "type"}, got[0].Keys, "exactly the documented fields")
				assert.Equal(t, "navigate", got[0].Type)
				assert.Equal(t, e.Target, got[0].Target)
				at, err := time.Parse("2006-01-02T15:04:05.000Z07:00", got[0].At)
				require.NoError(t, err, "at is RFC 3339 in UTC with milliseconds: %q", got[0].At)
				assert.True(t, strings.HasSuffix(got[0].At, "Z"))
				assertSince(t, before, at)
				assert.Equal(t, "delivered", eval[string](t, ctx, `document.documentElement.getAttribute("data-bridge")`))
				assert.Equal(t, msgs.T("settings_navigate_sent"), textByID(t, ctx, "kc-right-"+e.ID+"-status"))
			}
			// The contact block is one tap away.
			do(t, ctx, chromedp.Click(chromedp.ID("kc-contact-link"), chromedp.NodeVisible))
			waitFor(t, ctx, `(function () { var r = document.getElementById('kc-contact-title').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; })()`)
			assert.Equal(t, "mailto:privacy@kaiconn.com", eval[string](t, ctx, `document.getElementById('kc-contact-email').getAttribute('href')`))
		})
	}
	// The download of one's receipts is offered once there are any, and
	// not in the markup before (the link would answer 404): after the
	// first decision, whether the wasm saved it in place or the form's
	// answer is a new page.
	for _, m := range modes {
		t.Run("DownloadOnceDecided/"+m.name, func(t *testing.T) {
			ctx := hostTab(t, "android")
			openSettingsIn(t, ctx, srv, lang.En, m.query, m.wasm)
			assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll('a[href*="receipts.json"]').length`), "nothing to download before a decision")
			do(t, ctx, chromedp.Click(chromedp.ID("kc-p-push"), chromedp.NodeVisible),
				chromedp.Click(chromedp.ID("kc-save"), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="updated"]`)))
			shown := `(function () { var a = document.getElementById("kc-download"); return !!a && a.getClientRects().length > 0; })()`
			assert.True(t, eval[bool](t, ctx, shown), "the decision's receipts, at once")
			assert.Equal(t, "/settings/privacy/receipts.json", eval[string](t, ctx, `document.getElementById("kc-download").getAttribute("href")`))
			// Without the wasm, the form's answer is a new page, on which
			// the wasm starts when idle and takes the page over: the taps
			// below wait until it has, so that they do not land on nodes
			// it is replacing.
			waitFor(t, ctx, `["ready", "off", "failed"].includes(document.documentElement.getAttribute("data-wasm"))`)
			// The right of access leads there.
			do(t, ctx, chromedp.Click(chromedp.ID("kc-rights-link"), chromedp.NodeVisible), chromedp.Click(chromedp.ID("kc-right-access-history"), chromedp.NodeVisible))
			waitFor(t, ctx, `document.getElementById('kc-history-more').open`)
		})
	}
	t.Run("WithoutHost", func(t *testing.T) {
		ctx := newTab(t)
		openSettingsIn(t, ctx, srv, lang.ZhHans, "&wasm=false", false)
		do(t, ctx, chromedp.Click(chromedp.ID("kc-rights-link"), chromedp.NodeVisible), chromedp.Click(chromedp.ID("kc-right-complaint-open"), chromedp.NodeVisible))
		assert.Equal(t, "no-host", eval[string](t, ctx, `document.documentElement.getAttribute("data-bridge")`))
		assert.Equal(t, lang.DefaultBundle().Localizer(lang.ZhHans).T("settings_navigate_no_host"), textByID(t, ctx, "kc-right-complaint-status"))
	})
}

// undersized lists every visible button, link, tick box and summary in
// #main whose hit area (a tick box's is its label) is under 44×44 px.
const undersized = `(function () {
	document.querySelectorAll('#main details').forEach(function (d) { d.open = true; });
	var out = [];
	document.querySelectorAll('#main a, #main button, #main input:not([type=hidden]), #main summary').forEach(function (el) {
		var box = el.type === 'checkbox' && el.closest('label') ? el.closest('label') : el;
		var r = box.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) { return; }
		if (r.width < 44 || r.height < 44) {
			out.push((el.id || el.tagName) + ' "' + el.textContent.trim().slice(0, 20) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height));
		}
	});
	return out;
})()`

// At 360 px, in both languages and both colour schemes, with and without
// the wasm: every target is at least 44 px, the third parties are cards
// wide enough to read, nothing scrolls sideways, and on English pages every
// Chinese fragment says it is Chinese.
func TestSettingsAtPhoneWidth(t *testing.T) {
	srv := startServer(t)
	for _, m := range modes {
		for _, l := range lang.All {
			for _, scheme := range []string{"light", "dark"} {
				t.Run(m.name+"/"+l+"/"+scheme, func(t *testing.T) {
					ctx := hostTab(t, "android")
					do(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
						call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}))
					// The host app hands over a decision, as in the app.
					openSettingsIn(t, ctx, srv, l, m.query+"&state="+appState(t, "push", "location"), m.wasm)
					assert.Empty(t, eval[[]string](t, ctx, undersized), "targets under 44 px")
					assert.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 360, "no sideways scrolling")
					assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll('#main table').length`))
					widths := eval[[]float64](t, ctx, `Array.from(document.querySelectorAll('#kc-sharing > li dd')).map(function (e) { return e.getBoundingClientRect().width; })`)
					require.NotEmpty(t, widths)
					assert.GreaterOrEqual(t, slices.Min(widths), 280.0, "each fact has the card's width")
					bg := eval[string](t, ctx, `getComputedStyle(document.querySelector('.kc-settings')).backgroundColor`)
					assert.Equal(t, map[string]string{"light": "rgb(255, 255, 255)", "dark": "rgb(14, 17, 22)"}[scheme], bg)
					save := eval[[]float64](t, ctx, `(function () { var a = document.getElementById('kc-save').getBoundingClientRect(), b = document.getElementById('kc-withdraw-all').getBoundingClientRect(); return [a.width, a.height, b.width, b.height]; })()`)
					assert.Equal(t, save[:2], save[2:], "Save and Withdraw all carry equal weight")
					if l == lang.En {
						untagged := eval[[]string](t, ctx, `(function () {
							var out = [], w = document.createTreeWalker(document.getElementById('main'), NodeFilter.SHOW_TEXT);
							while (w.nextNode()) {
								var n = w.currentNode;
								if (/[\u3400-\u9fff]/.test(n.nodeValue) && n.parentElement.closest('[lang]').getAttribute('lang') !== 'zh-Hans') { out.push(n.nodeValue.trim()); }
							}
							return out;
						})()`)
						assert.Empty(t, untagged, "Chinese without lang=zh-Hans")
					}
				})
			}
		}
	}
}

// TestSettingsScreenshots writes the settings' screenshots (go test ./e2e
// -run SettingsScreenshots -screenshots): 360×740, both languages, light
// and dark, the times in Beijing time.
func TestSettingsScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write the settings' screenshots")
	}
	srv := startServer(t)
	for _, l := range lang.All {
		for _, scheme := range []string{"light", "dark"} {
			ctx := hostTab(t, "android")
			setZone(t, ctx, "Asia/Shanghai")
			agreeTo(t, ctx, srv, "push", "location")
			do(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
				call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}))
			openSettingsIn(t, ctx, srv, l, "", true)
			shots := []struct{ name, scrollTo string }{{"", ""}, {"-choices", "kc-choices-title"}, {"-rights", "kc-rights-title"}, {"-shared", "kc-sharing-title"}}
			for _, s := range shots {
				if s.scrollTo != "" {
					eval[bool](t, ctx, `document.getElementById(`+jsString(s.scrollTo)+`).scrollIntoView(); true`)
				}
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				require.NoError(t, err)
				name := "settings-" + l + "-" + scheme + s.name + ".png"
				writeShot(t, name, png)
			}
		}
	}
}
