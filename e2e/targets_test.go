package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// minTarget is the least hit area, in CSS pixels, of anything a person taps
// on a touch layout (issue 9: every button, link and checkbox ≥ 44×44;
// tokens.css names it --kc-target).
const minTarget = 44

// undersizedTargets lists the visible targets of the page, in the document and
// in its open shadow roots, whose hit area is under the minimum:
//
//   - buttons (button, input type button/submit/reset, role=button), links
//     (a[href], role=link) and summaries: their own border box;
//   - checkboxes and radios (also role=checkbox/radio/switch): their own
//     box or, when larger, the box of one of their labels, since tapping
//     the label toggles them. A checkbox drawn by its label (the input
//     itself hidden or transparent) counts when the label is visible.
//
// Only what is on the page counts: a skip link kept above the page until
// it has the keyboard's focus is not a target for a finger.
//
// One exemption, WCAG 2.5.8's "inline" case: a link in running text. A
// link is in running text when its computed display is "inline" and the
// nearest ancestor that is not inline (its line box's block) holds, outside
// every link, button, summary and form control, at least one letter of any
// script (\p{L}): the link is a word or words of a sentence, and its height
// is the line's. A link alone in a list item or a cell, or links separated
// only by punctuation ("A · B"), is not running text and must be 44 px.
//
// Sizes are compared to 44 less half a pixel, since layout rounds
// fractional boxes.
const undersizedTargets = `(function (min) {
  function roots(root, out) {
    out.push(root);
    root.querySelectorAll("*").forEach(function (e) { if (e.shadowRoot) roots(e.shadowRoot, out); });
    return out;
  }
  var interactive = "a, button, summary, input, select, textarea, label, [role=button], [role=link], [role=checkbox], [role=radio], [role=switch]";
  // shown: rendered, and inside the page (a skip link waits above it
  // until it has the focus, for keyboards, not fingers).
  function shown(e) {
    var r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom + scrollY > 0 && r.right + scrollX > 0 &&
      e.checkVisibility({ visibilityProperty: true });
  }
  // clipped is the visually-hidden pattern: a 1-px box or a clip.
  function clipped(e) {
    var r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return (r.width <= 1 && r.height <= 1) || s.clip === "rect(0px, 0px, 0px, 0px)" || s.clipPath === "inset(50%)";
  }
  function blockOf(e) {
    for (var p = e.parentElement || (e.parentNode && e.parentNode.host); p; p = p.parentElement || (p.parentNode && p.parentNode.host)) {
      var d = getComputedStyle(p).display;
      if (d !== "inline" && d !== "contents") return p;
    }
    return null;
  }
  function inRunningText(a) {
    if (getComputedStyle(a).display !== "inline") return false;
    var b = blockOf(a);
    if (!b) return false;
    var walker = document.createTreeWalker(b, NodeFilter.SHOW_TEXT), n, text = "";
    while ((n = walker.nextNode())) {
      var p = n.parentElement;
      if (p && p.closest(interactive) && b.contains(p.closest(interactive))) continue;
      text += n.data;
    }
    return /\p{L}/u.test(text);
  }
  function describe(e) {
    var s = e.tagName.toLowerCase();
    if (e.id) s += "#" + e.id;
    if (e.getAttribute("data-testid")) s += '[data-testid="' + e.getAttribute("data-testid") + '"]';
    if (e.type && e.tagName === "INPUT") s += "[type=" + e.type + "]";
    if (typeof e.className === "string" && e.className.trim()) s += "." + e.className.trim().split(/\s+/).join(".");
    if (e.getRootNode() instanceof ShadowRoot) s = e.getRootNode().host.tagName.toLowerCase() + " >>> " + s;
    var label = (e.getAttribute("aria-label") || e.textContent || e.value || "").replace(/\s+/g, " ").trim().slice(0, 40);
    return s + (label ? ' "' + label + '"' : "");
  }
  function fits(r) { return r.width >= min - 0.5 && r.height >= min - 0.5; }
  var out = [];
  roots(document, []).forEach(function (root) {
    root.querySelectorAll("a[href], button, summary, input, [role=button], [role=link], [role=checkbox], [role=radio], [role=switch]").forEach(function (e) {
      var tag = e.tagName, type = (e.getAttribute("type") || "").toLowerCase(), role = e.getAttribute("role");
      var toggle = (tag === "INPUT" && (type === "checkbox" || type === "radio")) || role === "checkbox" || role === "radio" || role === "switch";
      if (tag === "INPUT" && !toggle && ["button", "submit", "reset", "image"].indexOf(type) < 0) return;
      if (tag === "INPUT" && e.type === "hidden") return;
      if (tag === "SUMMARY" && !(e.parentElement && e.parentElement.tagName === "DETAILS")) return;
      var labels = toggle && e.labels ? Array.from(e.labels).filter(shown) : [];
      var self = shown(e) && !clipped(e);
      if (!self && labels.length === 0) return;
      if (tag === "A" && inRunningText(e)) return;
      var boxes = [];
      if (self) boxes.push(e.getBoundingClientRect());
      labels.forEach(function (l) { boxes.push(l.getBoundingClientRect()); });
      if (boxes.some(fits)) return;
      var best = boxes.reduce(function (a, b) { return a.width * a.height >= b.width * b.height ? a : b; });
      out.push(describe(e) + " is " + Math.round(best.width * 10) / 10 + "×" + Math.round(best.height * 10) / 10 + (labels.length ? " (with its label)" : ""));
    });
  });
  return out;
})`

// checkTargets reports, on the page at the phone layout l, every target
// under 44×44 px and a page wider than the screen (a table may scroll
// inside its own region).
func checkTargets(t *testing.T, w *walker, v view, phone layout) {
	t.Helper()
	for _, small := range eval[[]string](t, w.ctx, undersizedTargets+`(`+fmt.Sprint(minTarget)+`)`) {
		t.Errorf("target: %s %s lang=%s wasm=%t: %s", v.name(), v.Path, w.lang, v.Wasm, small)
	}
	if wide := eval[int64](t, w.ctx, `document.documentElement.scrollWidth`); wide > phone.Width {
		t.Errorf("sideways: %s %s lang=%s wasm=%t: the page is %d px wide", v.name(), v.Path, w.lang, v.Wasm, wide)
	}
}

// The target check can fail: on a page with known faults it reports the
// small button and the link alone in a list item, and lets pass the link
// in a sentence, the checkbox with a large label and the off-page skip
// link.
func TestTargetSizeCheckFinds(t *testing.T) {
	ctx := openFaultyPage(t)
	var found []string
	for _, s := range eval[[]string](t, ctx, undersizedTargets+`(`+fmt.Sprint(minTarget)+`)`) {
		found = append(found, strings.Fields(s)[0])
	}
	assert.ElementsMatch(t, []string{"button#small", "button#nameless", "a#alone"}, found)
}
