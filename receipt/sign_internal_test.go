package receipt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The receipt's canonical bytes inside the envelope's are JCS(receipt).
func TestReceiptInEnvelope(t *testing.T) {
	for _, schema := range []string{SchemaV1, SchemaV2} {
		p := Params{
			Schema: schema, Subject: NewSubject(), Surface: SurfaceFirstLaunch, Language: LangEn,
			PolicyVersion: "2022-10", PolicySHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			Decision: DecisionAgreed, IssuedAt: time.Now(), Notice: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			Purposes: []PurposeParams{{ID: "basic", State: StateGiven, ExpiresAt: time.Now().Add(time.Hour), Recipient: "K", DataCategories: []string{"d"}, ConsentType: ConsentTypeConsent, Time: time.Now(), WithdrawText: "w"}},
		}
		s, err := Sign(New(p), GenerateEd25519Signer())
		require.NoError(t, err, schema)
		canon, err := s.Canonical()
		require.NoError(t, err)
		want, err := s.Receipt.Canonical()
		require.NoError(t, err)
		assert.Equal(t, string(want), string(receiptInEnvelope(canon)), schema)
	}
	assert.Nil(t, receiptInEnvelope([]byte(`{"attestation":"server","receipt":{}}`)))
}
