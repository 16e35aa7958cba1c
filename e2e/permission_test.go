package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/server"
)

// permissionMessage is the bridge message of /permission as a fake host
// receives it.
type permissionMessage struct {
	Type       string `json:"type"`
	Permission string `json:"permission"`
	Choice     string `json:"choice"`
	At         string `json:"at"`
}

func permissionMessages(t *testing.T, ctx context.Context) []permissionMessage {
	t.Helper()
	return eval[[]permissionMessage](t, ctx, `window.__kcMessages || []`)
}

// appState is the ?state= a host app hands the page: its last consent
// message, granting the optional purposes given.
func appState(t *testing.T, granted ...string) string {
	t.Helper()
	purposes := map[string]bool{"basic": true}
	for _, id := range optionalPurposes {
		purposes[id] = false
	}
	for _, id := range granted {
		purposes[id] = true
	}
	b, err := json.Marshal(map[string]any{"type": "consent", "decision": "agreed", "policyVersion": catalogues.Latest,
		"purposes": purposes, "receiptId": uuid.NewString()})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

func openPermission(t *testing.T, ctx context.Context, srv *server.Server, id, lang, state string) {
	t.Helper()
	target := srv.URL() + "/permission?p=" + id + "&lang=" + lang
	if state != "" {
		target += "&state=" + state
	}
	do(t, ctx, chromedp.Navigate(target), chromedp.WaitVisible(chromedp.ID("kc-permission-later")))
	require.Empty(t, permissionMessages(t, ctx), "nothing is sent before a choice")
}

// pressAll presses every choice on the page, twice, as an impatient person
// would; only the first press may count.
func pressAll(t *testing.T, ctx context.Context, first string) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.ID(first), chromedp.NodeVisible))
	waitFor(t, ctx, `document.querySelector("[data-permission]").hasAttribute("data-chosen")`)
	eval[bool](t, ctx, `(function () {
		document.querySelectorAll("[data-permission-choice]").forEach(function (b) { b.disabled = false; b.click(); b.click(); });
		return true;
	})()`)
}

// checkOne checks the one message a choice sent, made after before.
func checkOne(t *testing.T, ctx context.Context, before time.Time, id, choice string) {
	t.Helper()
	got := permissionMessages(t, ctx)
	require.Len(t, got, 1, "exactly one message per choice")
	assert.Equal(t, "permission", got[0].Type)
	assert.Equal(t, id, got[0].Permission)
	assert.Equal(t, choice, got[0].Choice)
	at, err := time.Parse(time.RFC3339, got[0].At)
	require.NoError(t, err, "at is RFC 3339: %q", got[0].At)
	assertSince(t, before, at)
	assert.Equal(t, "delivered", eval[string](t, ctx, `document.documentElement.getAttribute("data-bridge")`))
	assert.NotEmpty(t, eval[string](t, ctx, `document.getElementById("kc-permission-status").textContent`), "the page says the choice was passed on")
}

// Every permission page sends exactly one message per choice, on Android
// (a JSON string) and iOS (an object), in both languages. The pages share
// one template, so each permission is opened once, in one of the four
// combinations of host, language and choice, taken in turn: every
// permission and every combination is checked, not their product.
func TestPermissionSendsOneMessagePerChoice(t *testing.T) {
	srv := startServer(t)
	v := latestPolicy(t)
	granted := appState(t, optionalPurposes...)
	combinations := []struct{ host, lang, choice string }{
		{"android", "zh-Hans", "continue"},
		{"ios", "en", "later"},
		{"ios", "zh-Hans", "continue"},
		{"android", "en", "later"},
	}
	for i, tc := range combinations {
		t.Run(tc.host+"/"+tc.lang+"/"+tc.choice, func(t *testing.T) {
			doc, _ := v.Doc(tc.lang)
			ctx := hostTab(t, tc.host)
			checked := 0
			for j, b := range doc.Permissions() {
				if j%len(combinations) != i {
					continue
				}
				openPermission(t, ctx, srv, b.ID, tc.lang, granted)
				_, name, _ := doc.Permission(b.ID)
				assert.Contains(t, eval[string](t, ctx, `document.getElementById("kc-permission-title").textContent`), name)
				before := time.Now()
				pressAll(t, ctx, "kc-permission-"+tc.choice)
				checkOne(t, ctx, before, b.ID, tc.choice)
				checked++
			}
			require.NotZero(t, checked, "this combination opened a permission")
		})
	}
}

// A permission whose purpose the person refused offers Privacy settings,
// not the operating system's prompt, and never sends continue: not from
// its own controls, and not from a Continue button someone adds to it.
func TestPermissionOfARefusedPurpose(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct{ name, host, lang, state string }{
		{"HostStateAndroid", "android", "zh-Hans", "host"},
		{"HostStateIOS", "ios", "en", "host"},
		{"CookieAndroid", "android", "en", "cookie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := hostTab(t, tc.host)
			state := ""
			if tc.state == "host" {
				state = appState(t, "push") // location refused
			} else {
				// A decision on the gate, remembered in kc_app_consent.
				do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=en&wasm=false"), chromedp.WaitVisible(chromedp.ID("kc-disagree")),
					chromedp.Click(chromedp.ID("kc-disagree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="declined"]`)))
				waitRecorded(t, ctx) // gate.js records it in the background
				eval[bool](t, ctx, `window.__kcMessages = []; true`)
			}
			openPermission(t, ctx, srv, "s2-3-perms-17", tc.lang, state)
			assert.Equal(t, "refused", eval[string](t, ctx, `document.querySelector("[data-permission]").getAttribute("data-state")`))
			assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll("[data-permission-choice=continue]").length`))
			href := eval[string](t, ctx, `document.getElementById("kc-permission-settings").getAttribute("href")`)
			assert.True(t, strings.HasPrefix(href, "/settings/privacy?"), href)

			// A Continue button injected into the page sends nothing.
			eval[bool](t, ctx, `(function () {
				var b = document.createElement("button");
				b.type = "button"; b.id = "forged"; b.setAttribute("data-permission-choice", "continue"); b.textContent = "Continue";
				document.querySelector(".kc-permission__actions").appendChild(b);
				b.click();
				return true;
			})()`)
			assert.Empty(t, permissionMessages(t, ctx), "continue is never sent for a refused purpose")

			before := time.Now()
			pressAll(t, ctx, "kc-permission-later")
			checkOne(t, ctx, before, "s2-3-perms-17", "later")

			do(t, ctx, chromedp.Click(chromedp.ID("kc-permission-settings"), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.ID("kc-settings-form")))
			assert.Equal(t, "/settings/privacy", eval[string](t, ctx, `location.pathname`))
		})
	}
}

// Without a host app (a plain browser) nothing is sent and the page says
// where it belongs.
func TestPermissionWithoutHost(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	openPermission(t, ctx, srv, "s2-3-perms-1", "en", "")
	do(t, ctx, chromedp.Click(chromedp.ID("kc-permission-continue"), chromedp.NodeVisible))
	waitFor(t, ctx, `document.documentElement.getAttribute("data-bridge") === "no-host"`)
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("kc-permission-status").textContent`), "Kaiconn app")
}

// optionalPurposes are the optional app purposes of the policy in force.
var optionalPurposes = appOptional()

// Continue and Not now carry equal weight: the same element, size and
// style; on a refused purpose's page, Privacy settings and Not now do.
func TestPermissionChoicesOfEqualWeight(t *testing.T) {
	srv := startServer(t)
	const look = `(function (id) {
		var e = document.getElementById(id), s = getComputedStyle(e), r = e.getBoundingClientRect();
		return [e.className, Math.round(r.width) + "x" + Math.round(r.height), s.fontSize, s.fontWeight, s.color, s.backgroundColor, s.borderTopWidth + " " + s.borderTopColor].join("|");
	})`
	for _, tc := range []struct{ name, state, other string }{
		{"Ask", appState(t, optionalPurposes...), "kc-permission-continue"},
		{"Refused", appState(t), "kc-permission-settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := hostTab(t, "ios")
			do(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
			openPermission(t, ctx, srv, "s2-3-perms-17", "zh-Hans", tc.state)
			later := eval[string](t, ctx, look+`("kc-permission-later")`)
			assert.Equal(t, later, eval[string](t, ctx, look+`("`+tc.other+`")`))
			if tc.name == "Ask" {
				assert.Equal(t, "BUTTON", eval[string](t, ctx, `document.getElementById("kc-permission-continue").tagName`))
			}
		})
	}
}
