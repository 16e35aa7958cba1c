package receipt_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// A key statement is read as strictly as a receipt: what the two keys
// signed and what the server reads cannot differ by a member it ignored,
// took the last of, or matched without regard to case.
func TestDecodeKeyStatement(t *testing.T) {
	st, err := receipt.SignKeyStatement(receipt.NewSubject(), "n1.test", receipt.GenerateEd25519Signer(), receipt.GenerateES256Signer())
	require.NoError(t, err)
	good, err := json.Marshal(st)
	require.NoError(t, err)
	// edit rewrites the good statement's text.
	edit := func(old, new string) []byte {
		t.Helper()
		require.Contains(t, string(good), old)
		return []byte(strings.Replace(string(good), old, new, 1))
	}
	t.Run("OK", func(t *testing.T) {
		got, err := receipt.DecodeKeyStatement(good)
		require.NoError(t, err)
		assert.Equal(t, st, got)
		_, _, err = got.Verify()
		assert.NoError(t, err)
	})
	for _, tt := range []struct {
		name string
		body []byte
		want string // the start of the message: the member named
	}{
		{"ErrUnknownMember", edit(`{"subject"`, `{"comment":"hi","subject"`), "comment: unknown member"},
		{"ErrUnknownNestedMember", edit(`"by":{"alg"`, `"by":{"kid":"x","alg"`), "by.kid: unknown member"},
		{"ErrCaseFolded", edit(`"nonce"`, `"Nonce"`), "nonce: missing"},
		{"ErrCaseFoldedBeside", edit(`{"subject"`, `{"Subject":"sub_other","subject"`), "Subject: unknown member"},
		{"ErrDuplicate", edit(`{"subject"`, `{"subject":"sub_other","subject"`), "subject: duplicate member name"},
		{"ErrDuplicateNested", edit(`"new":{"alg"`, `"new":{"sig":"AAAA","alg"`), "new.sig: duplicate member name"},
		{"ErrNull", edit(`"nonce":"n1.test"`, `"nonce":null`), "nonce: must not be null"},
		{"ErrMistyped", edit(`"nonce":"n1.test"`, `"nonce":7`), "nonce: must be a string"},
		{"ErrMissing", []byte(`{"subject":"sub_x","nonce":"n1.test","new":{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"AA"},"sig":"AA"}}`), "by: missing"},
		{"ErrNotJSON", []byte(`{"subject":`), "body: not valid JSON"},
		{"ErrTrailingData", append(append([]byte{}, good...), []byte(` {}`)...), "body: not valid JSON"},
		{"ErrNotAnObject", []byte(`[]`), "body: must be an object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := receipt.DecodeKeyStatement(tt.body)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.True(t, strings.HasPrefix(errs.Message(err), tt.want), "%q does not start with %q", errs.Message(err), tt.want)
		})
	}
}
