package settingsview

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang/texts"
)

// The ids of the parts of <main> that no choice changes: the page keeps
// them as they are while the parts of this package are rendered again.
const (
	NavID     = "kc-settings-nav"
	RightsID  = "kc-rights"
	ContactID = "kc-contact"
	SharedID  = "kc-shared"
)

// KeepAttr marks a placeholder (<template data-kc-keep="kc-rights">) that
// stands, in a <main> rendered without the parts no choice changes
// (Keep), for the page's own element of that id.
const KeepAttr = "data-kc-keep"

// Part is one child of the settings' <main>, in the order the page shows
// them: a part of the state (View, which may render nothing), or a part
// no choice changes, named by its id (Keep).
type Part struct {
	Keep string
	View templ.Component
}

// Parts are the children of the settings' <main> for view v: the one
// place that says what the page shows in which order.
func Parts(v consentview.SettingsView, l *texts.Localizer) []Part {
	return []Part{
		{View: head(v, l)},
		{Keep: NavID},
		{View: saved(v, l)},
		{View: failure(v, l)},
		{View: summaryCard(v, l)},
		{View: choices(v, l)},
		{Keep: RightsID},
		{Keep: ContactID},
		{View: history(v, l)},
		{Keep: SharedID},
	}
}

// KeepIDs are the ids of the parts no choice changes, in page order.
func KeepIDs() []string {
	var ids []string
	for _, p := range Parts(consentview.SettingsView{}, texts.New("", nil)) {
		if p.Keep != "" {
			ids = append(ids, p.Keep)
		}
	}
	return ids
}

// MainAttrs are the attributes of the settings' <main> for view v, in the
// order the server writes them: its data-decided and data-rendered-for
// say which state the page shows.
func MainAttrs(v consentview.SettingsView) templ.OrderedAttributes {
	a := templ.OrderedAttributes{
		{Key: "id", Value: "main"},
		{Key: "class", Value: "kc-settings"},
		{Key: "data-decided", Value: Decided(v.HasDecision)},
	}
	if v.RenderedFor != "" {
		a = append(a, templ.KeyValue[string, any]{Key: "data-rendered-for", Value: v.RenderedFor})
	}
	return a
}

// Decided is main's data-decided, which shows the parts that need a
// decision (the rights centre's download) in markup no choice rewrites.
// Not "true": go-app writes that as a bare attribute.
func Decided(has bool) string {
	if has {
		return "yes"
	}
	return "no"
}

// HTML is component c as markup, "" when it renders nothing.
func HTML(c templ.Component) (string, error) {
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// switchURL is the language switch; it keeps the host's state. setlang=1
// tells the server the person chose the language, which it may then
// remember (kc_lang).
func switchURL(v consentview.SettingsView) string {
	q := url.Values{"lang": {texts.Other(v.Lang)}, "setlang": {"1"}}
	if v.HostState != "" {
		q.Set("state", v.HostState)
	}
	return "/settings/privacy?" + q.Encode()
}

func granted(v consentview.SettingsView) []string {
	var out []string
	for _, p := range v.Optional {
		if p.Granted {
			out = append(out, p.Title)
		}
	}
	return out
}

// summary says the current state in one sentence.
func summary(v consentview.SettingsView, l *texts.Localizer) string {
	g := granted(v)
	switch {
	case len(g) == 0:
		return l.T("settings_summary_none")
	case len(g) == len(v.Optional):
		return l.T("settings_summary_all", map[string]string{"Total": strconv.Itoa(len(v.Optional))})
	}
	return l.T("settings_summary_some", map[string]string{"Count": strconv.Itoa(len(g)), "Total": strconv.Itoa(len(v.Optional)), "Titles": strings.Join(g, l.T("settings_list_sep"))})
}

// TimeMark stands for a time inside a translated sentence: a message is
// rendered with TimeMark in place of its date, and SplitAtTime cuts it
// there, so the time can be its own <time> element in either word order
// ("Allowed since …", "自…起允许").
const TimeMark = "\x1f"

// SplitAtTime returns the parts of sentence before and after TimeMark; after
// is "" when the sentence has no mark.
func SplitAtTime(sentence string) (before, after string) {
	before, after, _ = strings.Cut(sentence, TimeMark)
	return before, after
}

// splitSentence is message id with data, cut where its {{.Date}} goes.
func splitSentence(l *texts.Localizer, id string, data map[string]string) [2]string {
	m := map[string]string{"Date": TimeMark}
	for k, x := range data {
		m[k] = x
	}
	before, after := SplitAtTime(l.T(id, m))
	return [2]string{before, after}
}

func historyGranted(h consentview.HistoryView, l *texts.Localizer) string {
	if len(h.Granted) == 0 {
		return l.T("settings_history_none")
	}
	return strings.Join(h.Granted, l.T("settings_list_sep"))
}

// InputID is the id of the switch of purpose id.
func InputID(id string) string { return "kc-p-" + id }

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
