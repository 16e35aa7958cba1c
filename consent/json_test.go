package consent_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/catalogue"
)

// The wasm has no TOML parser and reads the catalogues as JSON; the JSON
// must carry everything, so that the same rules give the same answers.
func TestCatalogueJSONRoundTrip(t *testing.T) {
	want, err := consent.LoadCatalogue(catalogue.FS, "2022-10")
	require.NoError(t, err)
	b, err := json.Marshal(want)
	require.NoError(t, err)
	var got consent.Catalogue
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, want, &got)
}

func TestCatalogueJSONRefusesWhatLoadingRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"WrongType":  `{"version":1}`,
		"BadVersion": `{"version":"22-10","purposes":[]}`,
		"NoPurposes": `{"version":"2022-10","purposes":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var c consent.Catalogue
			err := json.Unmarshal([]byte(doc), &c)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
		})
	}
}
