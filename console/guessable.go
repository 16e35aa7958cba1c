package console

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// commonPasswordsFile is the 10,000 most common passwords of public leaks,
// one a line, most common first (its header says where it comes from).
//
//go:embed common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the list as a set, built the first time a password is
// set. Only the admin command sets passwords, so the server process, which
// shares the binary with the consent service, never builds it: a password
// strength estimator with its dictionaries (zxcvbn) costs every process
// about 10 MiB and a fifth of a second at start, whichever command it runs.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set
})

// productWords are words anyone guessing at this console tries first.
var productWords = []string{"kaiconn", "每开", "consent", "console", "admin", "privacy", "password", "passwd"}

// walks are the runs a password walks along when it is typed without
// thought: the alphabet, the digits and the keyboard's rows and columns.
var walks = []string{
	"abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
	"1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik,", "9ol.", "0p;/",
}

// minDistinct is the fewest different characters a password must have:
// "aaaaaaaaaaaa" and "abababababab" are twelve characters and no secret.
const minDistinct = 5

// minOwn is the fewest letters and digits a password must keep once the
// operator's name and the product's words are taken out of it.
const minOwn = 8

// guessable names why password is among the first a cracker tries, or
// returns "". context is what the password must not be built from (the
// operator's name). A passphrase of common words passes: it is the
// password as a whole that must not be common.
func guessable(password string, context ...string) string {
	lower := strings.ToLower(password)
	distinct := map[rune]bool{}
	for _, r := range lower {
		distinct[r] = true
	}
	if len(distinct) < minDistinct {
		return "too few different characters"
	}
	if walked(lower) {
		return "a sequence or a keyboard pattern"
	}
	// "Password2026!" is "password" with a year and a symbol.
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if commonPasswords()[lower] || commonPasswords()[core] {
		return "a common password"
	}
	rest := lower
	for _, c := range append(append([]string(nil), context...), productWords...) {
		c = strings.ToLower(c)
		parts := append([]string{c}, strings.FieldsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
		for _, w := range parts {
			if len([]rune(w)) >= 3 {
				rest = strings.ReplaceAll(rest, w, " ")
			}
		}
	}
	own := 0
	for _, r := range rest {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			own++
		}
	}
	if own < minOwn {
		return "made of the product's or the operator's name"
	}
	return ""
}

// walked tells whether most of a password's steps, from one character to
// the next, repeat it or move along a walk, in either direction.
func walked(lower string) bool {
	rs := []rune(lower)
	if len(rs) < 2 {
		return false
	}
	steps := 0
	for i := 1; i < len(rs); i++ {
		if rs[i] == rs[i-1] || adjacent(rs[i-1], rs[i]) {
			steps++
		}
	}
	return steps*4 >= (len(rs)-1)*3
}

func adjacent(a, b rune) bool {
	for _, w := range walks {
		i := strings.IndexRune(w, a)
		if i < 0 {
			continue
		}
		if j := strings.IndexRune(w, b); j >= 0 && (j == i+1 || j == i-1) {
			return true
		}
	}
	return false
}
