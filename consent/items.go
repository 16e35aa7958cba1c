package consent

import (
	"slices"
	"strings"
)

// SplitItems splits a text that lists personal information into its items,
// so that each kind of data can be named, compared and shown on its own. The
// policy separates items with Latin and Chinese commas, enumeration commas
// (、), semicolons and colons (a colon ends a heading such as "the mobile
// device information necessary for ...", which is itself an item). A
// separator inside parentheses, Latin or Chinese, belongs to the item:
// "product usage (crashes, flashbacks)" is one item. The final "and" of an
// English list and a closing full stop are not part of an item; an item
// named twice is listed once.
//
// The catalogue check (CheckPolicy) splits both the policy's lists and the
// catalogue's "collects" texts this way, and receipts name their data
// categories by it, so that the three always count the same items.
func SplitItems(text string) []string {
	var (
		items []string
		item  strings.Builder
		depth int
	)
	flush := func() {
		c := strings.TrimSpace(item.String())
		item.Reset()
		c = strings.TrimSpace(strings.TrimRight(c, ".\u3002"))
		c = strings.TrimPrefix(c, "and ")
		if c != "" && !slices.Contains(items, c) {
			items = append(items, c)
		}
	}
	for _, r := range text {
		switch r {
		case '(', '\uff08': // Latin and fullwidth
			depth++
		case ')', '\uff09':
			depth = max(depth-1, 0)
		case ',', '\uff0c', '\u3001', ';', '\uff1b', ':', '\uff1a':
			if depth == 0 {
				flush()
				continue
			}
		}
		item.WriteRune(r)
	}
	flush()
	return items
}

// BalanceBrackets returns s without the brackets, Latin or full-width,
// that it opens or closes without their pair: the policy's typing left one
// in "广告标识符“IDFA” 与 “IDFV”)", which is a slip, not part of the item.
// The catalogue quotes the policy as it is; what a list shows is balanced.
func BalanceBrackets(s string) string {
	r := []rune(s)
	var open []int
	drop := map[int]bool{}
	for i, c := range r {
		switch c {
		case '(', '\uff08':
			open = append(open, i)
		case ')', '\uff09':
			if len(open) == 0 {
				drop[i] = true
			} else {
				open = open[:len(open)-1]
			}
		}
	}
	for _, i := range open {
		drop[i] = true
	}
	if len(drop) == 0 {
		return s
	}
	var b strings.Builder
	for i, c := range r {
		if !drop[i] {
			b.WriteRune(c)
		}
	}
	return strings.TrimSpace(b.String())
}
