//go:build !wasm

package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		cfg, err := parseConfig(nil, env(nil))
		require.NoError(t, err)
		assert.Equal(t, "localhost:8080", cfg.Addr)
		assert.Equal(t, "data", cfg.DataDir)
		assert.Empty(t, cfg.DSN, "SQLite unless a DSN is given")
		assert.Equal(t, 120, cfg.RateLimit)
		assert.Equal(t, time.Minute, cfg.RateWindow)
		assert.Equal(t, 365*24*time.Hour, cfg.ConsentMaxAgeAccept)
		assert.Equal(t, 182*24*time.Hour, cfg.ConsentMaxAgeReject)
		assert.Equal(t, 5, cfg.Admin.LockoutAttempts)
		assert.Empty(t, cfg.TrustedProxies)
	})
	t.Run("Environment", func(t *testing.T) {
		cfg, err := parseConfig(nil, env(map[string]string{
			"KAICONN_ADDR": ":9000", "KAICONN_COOKIE_DOMAIN": "kaiconn.com",
			"KAICONN_BANNER_ORIGINS": "https://www.kaiconn.com, https://kaiconn.com ,",
		}))
		require.NoError(t, err)
		assert.Equal(t, ":9000", cfg.Addr)
		assert.Equal(t, "kaiconn.com", cfg.CookieDomain)
		assert.Equal(t, []string{"https://www.kaiconn.com", "https://kaiconn.com"}, cfg.BannerOrigins)
	})
	t.Run("AppBundleOrigins", func(t *testing.T) {
		// Android's asset loader is https; iOS serves the bundle under the
		// app's own scheme.
		cfg, err := parseConfig(nil, env(map[string]string{
			"KAICONN_ALLOWED_ORIGINS": "https://appassets.androidplatform.net,kaiconn-bundle://app",
		}))
		require.NoError(t, err)
		assert.Equal(t, []string{"https://appassets.androidplatform.net", "kaiconn-bundle://app"}, cfg.AllowedOrigins)
	})
	t.Run("FlagBeatsEnvironment", func(t *testing.T) {
		cfg, err := parseConfig([]string{"-addr", "127.0.0.1:1234"}, env(map[string]string{"KAICONN_ADDR": ":9000"}))
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1:1234", cfg.Addr)
	})
	t.Run("FormRateLimits", func(t *testing.T) {
		cfg, err := parseConfig([]string{"-form-subject-rate-limit", "5"}, env(map[string]string{
			"KAICONN_FORM_RATE_LIMIT": "-1", "KAICONN_FORM_RATE_WINDOW": "30s", "KAICONN_FORM_SUBJECT_RATE_LIMIT": "7",
		}))
		require.NoError(t, err)
		assert.Equal(t, -1, cfg.FormRateLimit)
		assert.Equal(t, 5, cfg.FormSubjectRateLimit)
		assert.Equal(t, 30*time.Second, cfg.FormRateWindow)
	})
	t.Run("TrustedProxies", func(t *testing.T) {
		cfg, err := parseConfig([]string{"-trusted-proxies", "10.0.0.0/8,127.0.0.1, ::1 ,2001:db8::/32,10.1.2.3/16"}, env(nil))
		require.NoError(t, err)
		assert.Equal(t, []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("127.0.0.1/32"),
			netip.MustParsePrefix("::1/128"),
			netip.MustParsePrefix("2001:db8::/32"),
			netip.MustParsePrefix("10.1.0.0/16"),
		}, cfg.TrustedProxies)
	})
}

// Every value is checked where it is read, and a bad one stops the program
// with a message that names where it came from and what was wrong.
func TestParseConfigRefusesBadValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // each in the message
	}{
		{"ErrProxyHostName", []string{"-trusted-proxies", "10.0.0.0/8,proxy.local"}, nil, []string{"-trusted-proxies", `"proxy.local"`, "CIDR prefix"}},
		{"ErrProxyBadPrefix", nil, map[string]string{"KAICONN_TRUSTED_PROXIES": "10.0.0.0/33"}, []string{"KAICONN_TRUSTED_PROXIES", `"10.0.0.0/33"`}},
		{"ErrRateLimitWord", nil, map[string]string{"KAICONN_FORM_RATE_LIMIT": "many"}, []string{"KAICONN_FORM_RATE_LIMIT", `"many"`, "whole number"}},
		{"ErrRateLimitZero", []string{"-rate-limit", "0"}, nil, []string{"-rate-limit", "negative number for unlimited"}},
		{"ErrDurationWord", nil, map[string]string{"KAICONN_CONSENT_MAX_AGE_REJECT": "half a year"}, []string{"KAICONN_CONSENT_MAX_AGE_REJECT", "positive duration"}},
		{"ErrDurationNegative", []string{"-admin-session", "-1h"}, nil, []string{"-admin-session", "positive duration"}},
		{"ErrLockoutZero", nil, map[string]string{"KAICONN_ADMIN_LOCKOUT_ATTEMPTS": "0"}, []string{"KAICONN_ADMIN_LOCKOUT_ATTEMPTS", "at least 1"}},
		{"ErrOriginWithPath", []string{"-banner-origins", "https://www.kaiconn.com/"}, nil, []string{"-banner-origins", "https://www.kaiconn.com/", "trailing slash"}},
		{"ErrOriginNoScheme", nil, map[string]string{"KAICONN_ALLOWED_ORIGINS": "www.kaiconn.com"}, []string{"KAICONN_ALLOWED_ORIGINS", "not an origin"}},
		{"ErrOriginFile", nil, map[string]string{"KAICONN_ALLOWED_ORIGINS": "file://app"}, []string{"KAICONN_ALLOWED_ORIGINS", "not an origin"}},
		{"ErrBannerOriginAppScheme", []string{"-banner-origins", "kaiconn-bundle://app"}, nil, []string{"-banner-origins", "not an origin"}},
		{"ErrAgreementNotURL", []string{"-user-agreement", "agreement.html"}, nil, []string{"-user-agreement", "http or https URL"}},
		{"ErrEmptyAddr", []string{"-addr", " "}, nil, []string{"-addr", "must not be empty"}},
		{"ErrUnknownFlag", []string{"-nope"}, nil, []string{"-nope"}},
		{"ErrStrayArgument", []string{"serve"}, nil, []string{`"serve"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, env(tt.env))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// The form docs/operations.md gives for -trusted-proxies, a prefix and a
// bare address, starts the server (it used to panic in chi's middleware,
// which got the raw text), and the address is believed as a proxy: the
// API's rate limit counts the clients it forwards, not the proxy.
func TestTrustedProxiesAsDocumented(t *testing.T) {
	cfg, err := parseConfig([]string{"-trusted-proxies", "10.0.0.0/8,127.0.0.1", "-rate-limit", "1",
		"-data", t.TempDir(), "-web", t.TempDir()}, env(nil))
	require.NoError(t, err)
	p, err := open(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	srv := p.srv
	nonce := func(client string) int {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/nonce", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header.Set("X-Forwarded-For", client)
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		return w.Code
	}
	assert.Equal(t, http.StatusOK, nonce("198.51.100.7"))
	assert.Equal(t, http.StatusTooManyRequests, nonce("198.51.100.7"), "the same client again is over its limit")
	assert.Equal(t, http.StatusOK, nonce("198.51.100.8"), "another client behind the same proxy has its own budget")
}
