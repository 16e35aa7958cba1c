package appconsent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
)

// testKey is a Key of one secret, as the server's cookie keys are without
// a legacy key.
type testKey []byte

func (k testKey) Sign(body string) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (k testKey) Verify(body, mac string) bool { return hmac.Equal([]byte(mac), []byte(k.Sign(body))) }

// newTestApp is the surface alone over the tests' two policy versions,
// asking about the later, with no server.
func newTestApp(t *testing.T) *App {
	t.Helper()
	cats := map[string]*consent.Catalogue{}
	for _, v := range []string{localestest.Base, localestest.Later} {
		cats[v] = localestest.Catalogue(t, v)
	}
	return New(Deps{Policies: localestest.Library(t, localestest.Base, localestest.Later), Catalogues: cats, Key: testKey("0123456789abcdef0123456789abcdef")})
}

// decision is an agreement to every optional purpose of the latest
// version, at at, with a fresh receipt id.
func decision(t *testing.T, g *App, at time.Time) Decision {
	t.Helper()
	var ids []consent.PurposeID
	for _, p := range g.latest.Purposes(consent.SurfaceFirstLaunch) {
		if !p.Required {
			ids = append(ids, p.ID)
		}
	}
	d, err := consent.Agree(g.latest, consent.SurfaceFirstLaunch, ids, "en", at)
	require.NoError(t, err)
	return Decision{Decision: d, ReceiptID: uuid.NewString()}
}

func TestCookie(t *testing.T) {
	g := newTestApp(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	t.Run("RoundTrip", func(t *testing.T) {
		want := []Decision{decision(t, g, now.Add(-time.Minute)), decision(t, g, now.Add(-time.Hour))}
		got, err := g.DecodeCookie(EncodeCookie(g.key, want), now)
		require.NoError(t, err)
		require.Len(t, got, 2)
		for i := range want {
			assert.Equal(t, want[i].ReceiptID, got[i].ReceiptID)
			assert.Equal(t, want[i].PolicyVersion, got[i].PolicyVersion)
			assert.True(t, want[i].At.Truncate(time.Millisecond).Equal(got[i].At))
		}
	})
	t.Run("KeepsOnlyTheNewest", func(t *testing.T) {
		var h []Decision
		for i := range HistoryLen + 2 {
			h = append(h, decision(t, g, now.Add(-time.Duration(i)*time.Hour)))
		}
		got, err := g.DecodeCookie(EncodeCookie(g.key, h), now)
		require.NoError(t, err)
		require.Len(t, got, HistoryLen)
		assert.Equal(t, h[0].ReceiptID, got[0].ReceiptID)
	})
	t.Run("OtherKeyIsNoDecision", func(t *testing.T) {
		v := EncodeCookie(testKey("another key of thirty-two bytes!!"), []Decision{decision(t, g, now)})
		_, err := g.DecodeCookie(v, now)
		assert.Error(t, err)
		r, _ := http.NewRequest(http.MethodGet, "/consent", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: v})
		assert.Empty(t, g.history(r, now), "a forged cookie counts as no decision")
	})
	t.Run("FromTheFutureIsNoDecision", func(t *testing.T) {
		_, err := g.DecodeCookie(EncodeCookie(g.key, []Decision{decision(t, g, now.Add(time.Hour))}), now)
		assert.Error(t, err)
	})
}
