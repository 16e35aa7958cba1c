//go:build !wasm

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/errs"
)

// admin runs "kaiconn-consent admin args…" on the data directory dir, with
// stdin as the password's pipe.
func admin(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runAdmin(append(args, "-data", dir), func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

// A new password is often set because the old one leaked: admin passwd
// ends every session opened with the old one.
func TestAdminPasswdEndsSessions(t *testing.T) {
	dir := t.TempDir()
	_, err := admin(t, dir, "correct horse battery\n", "add", "-name", "li.na", "-role", "officer")
	require.NoError(t, err)

	store, err := datadir.OpenStore(datadir.Config{Dir: dir})
	require.NoError(t, err)
	now := time.Now()
	sess, _ := console.NewSession("li.na", now, time.Hour)
	require.NoError(t, store.CreateSession(context.Background(), sess))
	require.NoError(t, store.Close())

	out, err := admin(t, dir, "a brand new passphrase\n", "passwd", "-name", "li.na")
	require.NoError(t, err, out)

	store, err = datadir.OpenStore(datadir.Config{Dir: dir})
	require.NoError(t, err)
	defer store.Close()
	_, err = store.Session(context.Background(), sess.ID, now)
	assert.Equal(t, errs.NotFound, errs.Code(err), "the session opened with the old password ended")
}

// A password a cracker tries first is refused before the store is even
// opened, however long.
func TestAdminRefusesCommonPasswords(t *testing.T) {
	for _, p := range []string{"aaaaaaaaaaaa", "password1234", "qwertyuiopasdf", "iloveyou1234"} {
		t.Run(p, func(t *testing.T) {
			out, err := admin(t, t.TempDir(), p+"\n", "add", "-name", "li.na", "-role", "officer")
			require.Error(t, err, out)
			assert.Contains(t, err.Error(), "too easy to guess")
		})
	}
}
