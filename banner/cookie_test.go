package banner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
)

// hmacKey is a Key of one secret: what the server's key for kc_consent is
// without the legacy key it also reads.
type hmacKey []byte

func (k hmacKey) Sign(body string) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (k hmacKey) Verify(body, mac string) bool { return hmac.Equal([]byte(mac), []byte(k.Sign(body))) }

var testCookieKey = hmacKey("0123456789abcdef0123456789abcdef")

func testCookie() Cookie {
	return Cookie{
		PolicyVersion: localestest.Base,
		Granted:       []consent.PurposeID{"necessary", "analytics"},
		At:            time.Unix(1732867200, 0).UTC(),
		ReceiptID:     "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
	}
}

func TestConsentCookieRoundTrip(t *testing.T) {
	c := testCookie()
	v := c.Encode(testCookieKey)
	assert.True(t, strings.HasPrefix(v, "v1.2022-10.necessary_analytics.1732867200.6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b."), v)
	got, err := ParseCookie(v, testCookieKey)
	require.NoError(t, err)
	assert.Equal(t, c, got)
}

func TestParseConsentCookie(t *testing.T) {
	valid := testCookie().Encode(testCookieKey)
	parts := strings.Split(valid, ".")
	// resign rebuilds a value from fields and signs it with the right key,
	// so each case tests the field's rule and not the mac.
	resign := func(fields ...string) string {
		body := strings.Join(fields, ".")
		return body + "." + testCookieKey.Sign(body)
	}
	for _, tt := range []struct {
		name, value, err string
	}{
		{"ErrEmpty", "", "want 6"},
		{"ErrGarbage", "yes please", "want 6"},
		{"ErrTooLong", strings.Repeat("a", 600), "too long"},
		{"ErrFormat", resign("v2", parts[1], parts[2], parts[3], parts[4]), "unknown format"},
		{"ErrVersion", resign("v1", "2022-13", parts[2], parts[3], parts[4]), "policy version"},
		{"ErrCategories", resign("v1", parts[1], "necessary_ANALYTICS", parts[3], parts[4]), "categories"},
		{"ErrEmptyCategory", resign("v1", parts[1], "necessary__analytics", parts[3], parts[4]), "categories"},
		{"ErrDuplicateCategory", resign("v1", parts[1], "necessary_necessary", parts[3], parts[4]), "twice"},
		{"ErrTime", resign("v1", parts[1], parts[2], "0123", parts[4]), "time"},
		{"ErrNegativeTime", resign("v1", parts[1], parts[2], "-5", parts[4]), "time"},
		{"ErrReceipt", resign("v1", parts[1], parts[2], parts[3], "not-a-uuid"), "receipt id"},
		{"ErrMACShape", strings.Join(append(parts[:5:5], "short"), "."), "mac"},
		{"ErrTamperedCategories", strings.Replace(valid, "necessary_analytics", "necessary_preferences_analytics", 1), "mac does not match"},
		{"ErrTamperedTime", strings.Replace(valid, ".1732867200.", ".1732867201.", 1), "mac does not match"},
		{"ErrOtherKey", testCookie().Encode(hmacKey("another key of at least 32 bytes!")), "mac does not match"},
		{"ErrTrailingDot", valid + ".", "want 6"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCookie(tt.value, testCookieKey)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.ErrorContains(t, err, tt.err)
		})
	}
}

func TestDecisionFromCookie(t *testing.T) {
	cat, err := consent.LoadCatalogue(localestest.Catalogues(t, localestest.Base), localestest.Base)
	require.NoError(t, err)
	t.Run("OK", func(t *testing.T) {
		d, err := DecisionFromCookie(cat, testCookie(), "en")
		require.NoError(t, err)
		assert.True(t, d.Granted("analytics"))
		assert.False(t, d.Granted("preferences"))
		assert.Equal(t, consent.KindAgreed, d.Kind)
		assert.Equal(t, map[string]string{"ad_storage": "denied", "analytics_storage": "granted", "ad_user_data": "denied", "ad_personalization": "denied"}, cat.ConsentModeSignals(d))
	})
	t.Run("OKDeclined", func(t *testing.T) {
		c := testCookie()
		c.Granted = []consent.PurposeID{"necessary"}
		d, err := DecisionFromCookie(cat, c, "en")
		require.NoError(t, err)
		assert.Equal(t, consent.KindDeclined, d.Kind)
	})
	for _, tt := range []struct {
		name   string
		mutate func(*Cookie)
	}{
		{"ErrOldPolicyVersion", func(c *Cookie) { c.PolicyVersion = "2021-01" }},
		{"ErrUnknownCategory", func(c *Cookie) { c.Granted = append(c.Granted, "marketing") }},
		{"ErrAppPurpose", func(c *Cookie) { c.Granted = append(c.Granted, "location") }},
		{"ErrRequiredMissing", func(c *Cookie) { c.Granted = []consent.PurposeID{"analytics"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testCookie()
			tt.mutate(&c)
			_, err := DecisionFromCookie(cat, c, "en")
			assert.Equal(t, errs.Unprocessable, errs.Code(err))
		})
	}
}

// FuzzParseConsentCookie: no input makes the parser panic, and nothing but
// a value the key signed is accepted, so garbage never reads as consent.
func FuzzParseConsentCookie(f *testing.F) {
	valid := testCookie().Encode(testCookieKey)
	for _, seed := range []string{valid, "", "v1", "v1.....", "v1.2022-10.necessary.1.x.y", valid + "x", strings.ToUpper(valid)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		c, err := ParseCookie(value, testCookieKey)
		if err != nil {
			assert.Equal(t, errs.Invalid, errs.Code(err))
			return
		}
		// Accepted: it must be exactly what the key signs for the fields
		// read, i.e. a genuine value.
		assert.Equal(t, value, c.Encode(testCookieKey))
	})
}
