package credential_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
)

var (
	secret      = []byte("0123456789abcdef0123456789abcdef")
	otherSecret = []byte("fedcba9876543210fedcba9876543210")
	subject     = "sub_abcdefghijklmnopqrstuvwxyz"
	t0          = time.Date(2026, 11, 29, 4, 30, 0, 0, time.UTC)
)

func keys(t testing.TB, s []byte) *credential.Keys {
	t.Helper()
	k, err := credential.NewKeys(s)
	require.NoError(t, err)
	return k
}

func TestNewKeys(t *testing.T) {
	t.Run("ErrShortSecret", func(t *testing.T) {
		_, err := credential.NewKeys([]byte("short"))
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
}

func TestSubject(t *testing.T) {
	k := keys(t, secret)
	valid := k.SubjectValue(subject)
	t.Run("OKRoundTrip", func(t *testing.T) {
		assert.True(t, strings.HasPrefix(valid, "v1."+subject+"."), valid)
		got, err := k.ParseSubject(valid)
		require.NoError(t, err)
		assert.Equal(t, subject, got)
	})
	t.Run("OKUUIDSubject", func(t *testing.T) {
		u := "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
		got, err := k.ParseSubject(k.SubjectValue(u))
		require.NoError(t, err)
		assert.Equal(t, u, got)
	})
	mac := valid[strings.LastIndex(valid, ".")+1:]
	for _, tt := range []struct {
		name, value, err string
	}{
		{"ErrEmpty", "", "want 3"},
		{"ErrGarbage", "hello", "want 3"},
		{"ErrTooLong", strings.Repeat("a", 300), "too long"},
		{"ErrFormat", "v2." + subject + "." + mac, "unknown format"},
		{"ErrSubject", k.SubjectValue("Sub_ABC"), "malformed subject"},
		{"ErrPhone", k.SubjectValue("+8613800138000"), "malformed subject"},
		{"ErrMACShape", "v1." + subject + ".short", "malformed mac"},
		{"ErrTampered", "v1.sub_bbcdefghijklmnopqrstuvwxyz." + mac, "mac does not match"},
		{"ErrOtherKey", keys(t, otherSecret).SubjectValue(subject), "mac does not match"},
		{"ErrExtraPart", valid + ".x", "want 3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.ParseSubject(tt.value)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.err)
		})
	}
}

func TestTicket(t *testing.T) {
	k := keys(t, secret)
	tk := credential.MintTicket(subject, t0)
	valid := k.TicketValue(tk)
	parts := strings.Split(valid, ".")
	ms := strconv.FormatInt(t0.UnixMilli(), 10)

	t.Run("OKRoundTrip", func(t *testing.T) {
		assert.Equal(t, []string{"t1", tk.ReceiptID, subject, ms}, parts[:4])
		got, err := k.ParseTicket(valid, t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, tk, got)
	})
	t.Run("OKFreshIDs", func(t *testing.T) {
		assert.NotEqual(t, tk.ReceiptID, credential.MintTicket(subject, t0).ReceiptID)
	})
	t.Run("OKPeekNeedsNoKey", func(t *testing.T) {
		got, err := credential.PeekTicket(valid)
		require.NoError(t, err)
		assert.Equal(t, tk, got)
	})
	t.Run("OKLastMillisecond", func(t *testing.T) {
		_, err := k.ParseTicket(valid, tk.Expires().Add(-time.Millisecond))
		assert.NoError(t, err)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		_, err := k.ParseTicket(valid, tk.Expires())
		assert.True(t, credential.IsExpired(err), "%v", err)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
	})
	t.Run("ErrFuture", func(t *testing.T) {
		_, err := k.ParseTicket(valid, t0.Add(-time.Hour))
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "future")
	})

	// Field rules are checked before the mac, so a value with one field
	// changed shows that field's rule; a well-formed value with any field
	// changed fails on the mac.
	for _, tt := range []struct {
		name, value, err string
	}{
		{"ErrEmpty", "", "want 5"},
		{"ErrTooLong", strings.Repeat("t", 300), "too long"},
		{"ErrFormat", strings.Join(append([]string{"t2"}, parts[1:]...), "."), "unknown format"},
		{"ErrReceiptID", strings.Join([]string{"t1", "not-a-uuid", subject, ms, parts[4]}, "."), "receipt id"},
		{"ErrReceiptIDUpper", strings.Join([]string{"t1", strings.ToUpper(tk.ReceiptID), subject, ms, parts[4]}, "."), "receipt id"},
		{"ErrReceiptIDv1", strings.Join([]string{"t1", "6f1c2b3a-4d5e-1f60-8a7b-9c0d1e2f3a4b", subject, ms, parts[4]}, "."), "receipt id"},
		{"ErrSubject", strings.Join([]string{"t1", tk.ReceiptID, "someone@example-com", ms, parts[4]}, "."), "subject"},
		{"ErrTime", strings.Join([]string{"t1", tk.ReceiptID, subject, "0" + ms, parts[4]}, "."), "time"},
		{"ErrNegativeTime", strings.Join([]string{"t1", tk.ReceiptID, subject, "-" + ms, parts[4]}, "."), "time"},
		{"ErrMACShape", strings.Join(append(parts[:4:4], "short"), "."), "malformed mac"},
		{"ErrOtherSubject", strings.Join([]string{"t1", tk.ReceiptID, "sub_bbcdefghijklmnopqrstuvwxyz", ms, parts[4]}, "."), "mac does not match"},
		{"ErrOtherID", strings.Join([]string{"t1", credential.MintTicket(subject, t0).ReceiptID, subject, ms, parts[4]}, "."), "mac does not match"},
		{"ErrOtherTime", strings.Join([]string{"t1", tk.ReceiptID, subject, strconv.FormatInt(t0.UnixMilli()+1, 10), parts[4]}, "."), "mac does not match"},
		{"ErrOtherKey", keys(t, otherSecret).TicketValue(tk), "mac does not match"},
		{"ErrSubjectMACAsTicket", strings.Join([]string{"t1", tk.ReceiptID, subject, ms, macOf(k.SubjectValue(subject))}, "."), "mac does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.ParseTicket(tt.value, t0)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.err)
		})
	}
}

func macOf(v string) string { return v[strings.LastIndex(v, ".")+1:] }

// A mac made for one kind of credential never verifies as another's: the
// keys are derived per kind.
func TestKindsDoNotMix(t *testing.T) {
	k := keys(t, secret)
	sub := k.SubjectValue(subject)
	_, err := k.ParseTicket(sub, t0)
	assert.Error(t, err)
	n := k.MintNonce(t0)
	_, err = k.ParseSubject(n.Value)
	assert.Error(t, err)
	_, err = k.ParseNonce(k.TicketValue(credential.MintTicket(subject, t0)), t0)
	assert.Error(t, err)
}

func TestNonce(t *testing.T) {
	k := keys(t, secret)
	n := k.MintNonce(t0)
	t.Run("OKRoundTrip", func(t *testing.T) {
		got, err := k.ParseNonce(n.Value, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, n, got)
		assert.Equal(t, t0.Add(credential.NonceLifetime), n.ExpiresAt)
	})
	t.Run("OKUnique", func(t *testing.T) {
		assert.NotEqual(t, n.Value, k.MintNonce(t0).Value)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		_, err := k.ParseNonce(n.Value, n.ExpiresAt)
		assert.True(t, credential.IsExpired(err))
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		_, err := keys(t, otherSecret).ParseNonce(n.Value, t0)
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		_, err := k.ParseNonce("n1.abc.123."+macOf(n.Value), t0)
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
	t.Run("ErrFarFuture", func(t *testing.T) {
		_, err := k.ParseNonce(k.MintNonce(t0.Add(time.Hour)).Value, t0)
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
}

// FuzzParseSubject: no input makes the parser panic, and nothing but a
// value this key signed parses.
func FuzzParseSubject(f *testing.F) {
	k := keys(f, secret)
	f.Add(k.SubjectValue(subject))
	f.Add("v1.sub_abcdefghijklmnopqrstuvwxyz.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Add("v1..")
	f.Fuzz(func(t *testing.T, value string) {
		got, err := k.ParseSubject(value)
		if err != nil {
			return
		}
		// It parsed, so it must be exactly what the key makes of it.
		assert.Equal(t, k.SubjectValue(got), value)
	})
}

// FuzzParseTicket: no input makes either parser panic; a value that parses
// with the key is exactly the ticket re-encoded, and PeekTicket accepts
// whatever ParseTicket accepts.
func FuzzParseTicket(f *testing.F) {
	k := keys(f, secret)
	f.Add(k.TicketValue(credential.MintTicket(subject, t0)))
	f.Add("t1.6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b.sub_abcdefghijklmnopqrstuvwxyz.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Add("t1....")
	f.Fuzz(func(t *testing.T, value string) {
		peeked, perr := credential.PeekTicket(value)
		got, err := k.ParseTicket(value, t0.Add(time.Hour))
		if err != nil {
			return
		}
		require.NoError(t, perr)
		assert.Equal(t, peeked, got)
		assert.Equal(t, k.TicketValue(got), value)
	})
}

// A ticket names its subject only while the subject has no receipt, or
// beside that subject's own kc_sub (issue 18).
func TestTicketNamesSubject(t *testing.T) {
	tk := credential.MintTicket(subject, t0)
	for _, tt := range []struct {
		name       string
		hasReceipt bool
		browser    string
		want       bool
	}{
		{"NewSubject", false, "", true},
		{"NewSubjectPageBeforeKcSub", false, "sub_bbbbbbbbbbbbbbbbbbbbbbbbbb", true},
		{"OwnBrowser", true, tk.Subject, true},
		{"ErrDecidedSubjectAlone", true, "", false},
		{"ErrDecidedSubjectOtherBrowser", true, "sub_bbbbbbbbbbbbbbbbbbbbbbbbbb", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tk.NamesSubject(tt.hasReceipt, tt.browser))
		})
	}
}

// Each consent cookie has a key of its own, derived from the secret: never
// the secret itself, never the other cookie's, and the same for the same
// secret (a restart keeps every cookie valid).
func TestCookieKey(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	k, err := credential.NewKeys(secret)
	require.NoError(t, err)
	again, err := credential.NewKeys(secret)
	require.NoError(t, err)
	consentKey, appKey := k.CookieKey(credential.ConsentCookie), k.CookieKey(credential.AppConsentCookie)
	assert.Len(t, consentKey, 32)
	assert.NotEqual(t, consentKey, appKey)
	assert.NotEqual(t, secret, consentKey)
	assert.NotEqual(t, secret, appKey)
	assert.Equal(t, consentKey, again.CookieKey(credential.ConsentCookie))
	assert.Nil(t, k.CookieKey("kc_other"))
}
