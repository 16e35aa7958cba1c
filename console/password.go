package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"

	"github.com/kaiconn/consent/errs"
)

// Argon2id parameters: OWASP's first recommended setting (19 MiB, two
// passes, one lane), about 30 ms on the 2-core server. Stored with each
// hash, so raising them later keeps old hashes readable.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLength is the shortest password accepted, in characters: the
// console opens every person's consent record, and a long passphrase is
// the one rule that matters (NIST SP 800-63B).
const MinPasswordLength = 12

// maxPasswordBytes bounds the work a sign-in asks of the KDF.
const maxPasswordBytes = 1024

var b64 = base64.RawStdEncoding

// MinPasswordScore is the least zxcvbn score a new password must reach:
// 3 is "safely unguessable", about 10^8 guesses and more. Long is not
// enough: "aaaaaaaaaaaa", "password1234" and "qwertyuiopas" are twelve
// characters each and among the first guesses of any cracker.
const MinPasswordScore = 3

// estimatedRunes is how much of a password the estimator reads: its cost
// grows faster than the length, and a password whose first 64 characters
// are strong is strong.
const estimatedRunes = 64

// productWords are words anyone guessing at this console would try first.
var productWords = []string{"kaiconn", "每开", "consent", "console", "admin", "privacy"}

// CheckPassword refuses a password too short or too long to be set, or
// too easy to guess: a common password, a repeat, a keyboard walk, a
// sequence, a dictionary word with digits, or one built from the product's
// name or from context (the operator's name, say). The estimate is
// zxcvbn's (github.com/trustelem/zxcvbn, a port of Dropbox's), which
// carries a list of 30,000 common passwords and the patterns crackers
// try.
func CheckPassword(password string, context ...string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return errs.New(errs.Invalid, "password: must be at least %d characters", MinPasswordLength)
	case len(password) > maxPasswordBytes:
		return errs.New(errs.Invalid, "password: must be at most %d bytes", maxPasswordBytes)
	}
	head := password
	if utf8.RuneCountInString(head) > estimatedRunes {
		head = string([]rune(head)[:estimatedRunes])
	}
	if zxcvbn.PasswordStrength(head, append(slices.Clone(productWords), context...)).Score < MinPasswordScore {
		return errs.New(errs.Invalid, "password: too easy to guess (a common password, a repeat, a sequence, a keyboard pattern or a word with digits); a few unrelated words make a good one")
	}
	return nil
}

// HashPassword returns the argon2id hash of password with a fresh salt, in
// the PHC string format: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>. It
// refuses a password CheckPassword refuses, given context.
func HashPassword(password string, context ...string) (string, error) {
	if err := CheckPassword(password, context...); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails since Go 1.24.
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// PasswordMatches reports whether password is the one hash was made from,
// comparing in constant time. A malformed hash matches nothing.
func PasswordMatches(hash, password string) bool {
	if len(password) > maxPasswordBytes {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || passes == 0 || passes > 16 || threads == 0 {
		return false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is compared against when no operator has the name given, so
// that a wrong name takes as long as a wrong password and does not tell
// which names exist.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("no operator has this password")
	if err != nil {
		panic(err) // the password above is long enough
	}
	return h
})
