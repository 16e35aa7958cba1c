package consentreceipt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/receipt"
)

// chainVectors is testdata/scripts/chain.json: the cases in which the
// device outbox (web/static/parts/outbox-chain.js, tested by node:test in
// e2e/js) moves a receipt onto another chain head. The script may only do
// what these rules of the server say, since the server checks the receipt
// by them.
type chainVectors struct {
	Audiences []struct {
		A, B consent.Surface
		Same bool
	} `json:"audiences"`
	Rechain []struct {
		Name     string              `json:"name"`
		Receipt  chainReceipt        `json:"receipt"`
		Required []consent.PurposeID `json:"required"`
		Prev     *struct {
			Surface consent.Surface   `json:"surface"`
			States  map[string]string `json:"states"`
		} `json:"prev"`
		Want chainReceipt `json:"want"`
	} `json:"rechain"`
}

type chainReceipt struct {
	Surface  consent.Surface `json:"surface,omitempty"`
	Decision consent.Kind    `json:"decision"`
	Purposes []struct {
		ID    consent.PurposeID `json:"id"`
		State string            `json:"state"`
	} `json:"purposes"`
}

func TestChainVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "scripts", "chain.json"))
	require.NoError(t, err)
	var v chainVectors
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEmpty(t, v.Audiences)
	for _, a := range v.Audiences {
		assert.Equal(t, a.Same, SameAudience(a.A, a.B), "%s and %s", a.A, a.B)
	}
	require.NotEmpty(t, v.Rechain)
	for _, c := range v.Rechain {
		t.Run(c.Name, func(t *testing.T) {
			d := consent.Decision{Kind: c.Receipt.Decision, Surface: c.Receipt.Surface}
			for _, p := range c.Receipt.Purposes {
				d.Choices = append(d.Choices, consent.Choice{Purpose: p.ID, Granted: p.State == receipt.StateGiven, Required: slices.Contains(c.Required, p.ID)})
			}
			var previous *consent.Decision
			if c.Prev != nil && SameAudience(c.Prev.Surface, d.Surface) {
				previous = &consent.Decision{Surface: c.Prev.Surface}
				for id, s := range c.Prev.States {
					previous.Choices = append(previous.Choices, consent.Choice{Purpose: consent.PurposeID(id), Granted: s == receipt.StateGiven})
				}
			}
			require.Len(t, c.Want.Purposes, len(d.Choices))
			for i, ch := range d.Choices {
				// A state the server wrote that rests on no consent
				// (necessary) depends on no chain.
				necessary := c.Receipt.Purposes[i].State == receipt.StateNecessary
				assert.Equal(t, c.Want.Purposes[i].State, state(ch, previous, necessary), "%s", ch.Purpose)
			}
			assert.Equal(t, c.Want.Decision, ConsistentKind(d, previous))
		})
	}
}
