package cjk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// fullWidth maps the ASCII punctuation Chinese text takes in full width.
var fullWidth = map[rune]rune{',': '，', ':': '：', ';': '；', '(': '（', ')': '）', '!': '！', '?': '？'}

// halfWidth is fullWidth's inverse, for Fold.
var halfWidth = map[rune]rune{'，': ',', '：': ':', '；': ';', '（': '(', '）': ')', '！': '!', '？': '?'}

// isCJK reports whether r is a Han character, CJK punctuation or a
// full-width form: what makes a neighbouring mark Chinese punctuation.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// Punctuate returns s with each ASCII , : ; ( ) ! ? that touches Chinese
// text (a Han character, CJK punctuation or a full-width form on either
// side) in its full-width form. A bracket pair changes together, so that
// "识别码(IMEI)" becomes "识别码（IMEI）" and never a pair of two widths.
// A pair that opens right after a Chinese word ending in Latin letters
// ("友盟统计SDK(com.umeng)") changes too.
// Each rune maps to one rune: offsets counted in runes stay valid.
// Punctuation between Latin letters or digits ("10:30", "Bugly, Umeng")
// is left alone.
func Punctuate(s string) string {
	// A mark can touch Chinese text only through a neighbour this makes
	// full-width ("电话(0755);": the bracket pair, then the semicolon), so
	// a second pass settles it.
	return punctuate(punctuate(s))
}

func punctuate(s string) string {
	r := []rune(s)
	touches := func(i int) bool {
		return (i > 0 && isCJK(r[i-1])) || (i+1 < len(r) && isCJK(r[i+1]))
	}
	// A bracket that opens after a Chinese word ending in Latin letters
	// ("友盟统计SDK(com.umeng)") belongs to Chinese text too: the word runs
	// back, without a space, to a Han character.
	afterChineseWord := func(i int) bool {
		for j := i - 1; j >= 0 && !unicode.IsSpace(r[j]); j-- {
			if isCJK(r[j]) {
				return true
			}
			if !unicode.IsLetter(r[j]) && !unicode.IsDigit(r[j]) {
				return false
			}
		}
		return false
	}
	out := make([]rune, len(r))
	copy(out, r)
	var open []int // indexes of unmatched '('
	for i, c := range r {
		switch c {
		case '(':
			open = append(open, i)
		case ')':
			if len(open) == 0 {
				if touches(i) {
					out[i] = '）'
				}
				continue
			}
			o := open[len(open)-1]
			open = open[:len(open)-1]
			if touches(o) || touches(i) || afterChineseWord(o) {
				out[o], out[i] = '（', '）'
			}
		default:
			if w, ok := fullWidth[c]; ok && touches(i) {
				out[i] = w
			}
		}
	}
	for _, o := range open {
		if touches(o) {
			out[o] = '（'
		}
	}
	return string(out)
}

// PunctuatePieces punctuates a text cut into pieces (bold runs, links, search
// hits), judging it whole, so that a comma after a bold phrase sees the
// phrase; it returns the pieces cut at the same places.
func PunctuatePieces(pieces []string) []string {
	var all strings.Builder
	for _, p := range pieces {
		all.WriteString(p)
	}
	text := []rune(Punctuate(all.String()))
	out := make([]string, len(pieces))
	at := 0
	for i, p := range pieces {
		n := utf8.RuneCountInString(p)
		out[i] = string(text[at : at+n])
		at += n
	}
	return out
}

// Fold returns r with full-width punctuation in its ASCII form, so that a
// search for "IMEI(" finds "IMEI（" and the other way round. One rune for
// one, like Punctuate.
func Fold(r rune) rune {
	if h, ok := halfWidth[r]; ok {
		return h
	}
	return r
}
