//go:build !wasm

package main

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

func TestRetentionFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
		err  string
	}{
		{name: "Default", want: server.DefaultRetention},
		{name: "Environment", env: map[string]string{"KAICONN_RETENTION": "720h"}, want: 720 * time.Hour},
		{name: "FlagBeatsEnvironment", args: []string{"-retention", "2s"}, env: map[string]string{"KAICONN_RETENTION": "720h"}, want: 2 * time.Second},
		{name: "ZeroPurgesAtOnce", args: []string{"-retention", "0"}, want: 0},
		{name: "ErrDays", args: []string{"-retention", "3y"}, err: `invalid value "3y" for flag -retention: "3y" is not a duration`},
		{name: "ErrNegative", env: map[string]string{"KAICONN_RETENTION": "-1h"}, err: `"-1h" is not a duration`},
		{name: "ErrEmptyUnit", args: []string{"-retention", "1095"}, err: "Go has no unit of days"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig(tt.args, env(tt.env))
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, cfg.Retention)
			assert.Equal(t, tt.want, *cfg.Retention)
		})
	}
}

// kaiconn-consent purge is dry unless told: it says what it would delete,
// and deletes with -apply.
func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "kaiconn.db"))
	require.NoError(t, err)
	ctx := context.Background()
	r := storetest.NewRecord(storetest.NewSubject(), nil)
	_, _, err = db.Put(ctx, r, receipt.PutOptions{})
	require.NoError(t, err)
	_, _, err = db.Erase(ctx, r.Subject, storetest.Seal(time.Now().Add(-time.Hour), nil))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	getenv := func(k string) string { return url.Values{"KAICONN_DATA": {dir}}.Get(k) }

	var out bytes.Buffer
	require.NoError(t, runPurge([]string{"-retention", "30m"}, getenv, &out))
	assert.Contains(t, out.String(), "dry run: would delete the bodies of 1 receipts of 1 subjects")

	out.Reset()
	require.NoError(t, runPurge([]string{"-retention", "2h", "-apply"}, getenv, &out))
	assert.Contains(t, out.String(), "purged: the bodies of 0 receipts of 0 subjects", "not due yet")

	out.Reset()
	require.NoError(t, runPurge([]string{"-apply", "-retention", "30m"}, getenv, &out))
	assert.Contains(t, out.String(), "purged: the bodies of 1 receipts of 1 subjects")

	db, err = sqlite.Open(filepath.Join(dir, "kaiconn.db"))
	require.NoError(t, err)
	defer db.Close()
	got, err := db.Get(ctx, r.ID)
	require.NoError(t, err)
	assert.True(t, got.IsTombstone())
	runs, err := db.PurgeRuns(ctx, 5)
	require.NoError(t, err)
	require.Len(t, runs, 1, "the applied run that purged is recorded; the one that found nothing is not")
	assert.Contains(t, runs[0].Node, "kaiconn-consent purge")

	assert.ErrorContains(t, runPurge([]string{"-retention", "soon"}, getenv, &out), "is not a duration")
}
