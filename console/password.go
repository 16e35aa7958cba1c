package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

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

// CheckPassword refuses a password too short or too long to be set, or
// among the first a cracker tries (guessable): one of the 10,000 most
// common passwords, with or without digits and symbols around it, too few
// different characters, a sequence or a keyboard walk, or little but the
// product's name or context (the operator's name). Twelve characters
// alone admitted "aaaaaaaaaaaa" and "password1234".
func CheckPassword(password string, context ...string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return errs.New(errs.Invalid, "password: must be at least %d characters", MinPasswordLength)
	case len(password) > maxPasswordBytes:
		return errs.New(errs.Invalid, "password: must be at most %d bytes", maxPasswordBytes)
	}
	if why := guessable(password, context...); why != "" {
		return errs.New(errs.Invalid, "password: too easy to guess (%s); a few unrelated words make a good one", why)
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
	return hash(password), nil
}

// hash is the argon2id hash of password with a fresh salt, unchecked.
func hash(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails since Go 1.24.
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
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
// It is made without CheckPassword, whose estimator loads its word lists
// on first use: a sign-in must not wait for them.
var dummyHash = sync.OnceValue(func() string { return hash("no operator has this password") })
