//go:build !wasm

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	t.Run("Defaults", func(t *testing.T) {
		cfg, err := parseConfig(nil, env(nil))
		require.NoError(t, err)
		assert.Equal(t, "localhost:8080", cfg.Addr)
		assert.Equal(t, "data", cfg.DataDir)
		assert.Empty(t, cfg.DSN, "SQLite unless a DSN is given")
		assert.Equal(t, 365*24*time.Hour, cfg.ConsentMaxAgeAccept)
		assert.Equal(t, 182*24*time.Hour, cfg.ConsentMaxAgeReject)
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
		_, err = parseConfig(nil, env(map[string]string{"KAICONN_FORM_RATE_LIMIT": "many"}))
		assert.ErrorContains(t, err, "KAICONN_FORM_RATE_LIMIT")
	})
	t.Run("ErrBadDuration", func(t *testing.T) {
		_, err := parseConfig(nil, env(map[string]string{"KAICONN_CONSENT_MAX_AGE_REJECT": "half a year"}))
		assert.ErrorContains(t, err, "KAICONN_CONSENT_MAX_AGE_REJECT")
	})
	t.Run("ErrUnknownFlag", func(t *testing.T) {
		_, err := parseConfig([]string{"-nope"}, env(nil))
		assert.Error(t, err)
	})
}
