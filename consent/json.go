package consent

import (
	"encoding/json"

	"github.com/kaiconn/consent/errs"
)

// A Catalogue travels as JSON where there is no TOML parser: the wasm
// carries every catalogue resolved at build time (consentview), so that it
// computes the gate and the settings with the very rules the server applies,
// from the same data. The JSON holds everything LoadCatalogue read, and
// reading it back validates it as loading does.

type catalogueJSON struct {
	Version         string           `json:"version"`
	Purposes        []Purpose        `json:"purposes"`
	Permissions     []Permission     `json:"permissions,omitempty"`
	Rights          []rightEntry     `json:"rights,omitempty"`
	Facts           []factEntry      `json:"facts,omitempty"`
	Minors          *minorsEntry     `json:"minors,omitempty"`
	SensitiveImpact *Quote           `json:"sensitiveImpact,omitempty"`
	Sensitive       []sensitiveEntry `json:"sensitive,omitempty"`
	Recipients      []recipientEntry `json:"recipients,omitempty"`
}

// MarshalJSON writes the whole catalogue, which UnmarshalJSON reads back.
func (c *Catalogue) MarshalJSON() ([]byte, error) {
	return json.Marshal(catalogueJSON{Version: c.version, Purposes: c.purposes, Permissions: c.permissions, Rights: c.rights,
		Facts: c.facts, Minors: c.minors, SensitiveImpact: c.impact, Sensitive: c.sensitive, Recipients: c.recipients})
}

// UnmarshalJSON reads a catalogue MarshalJSON wrote and validates it as
// LoadCatalogue does. Each purpose's Hash is computed again from its
// content, never taken from the JSON, so a re-ask compares what the texts
// say.
func (c *Catalogue) UnmarshalJSON(b []byte) error {
	var f catalogueJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return errs.New(errs.Invalid, "catalogue: %v", err)
	}
	if !versionRE.MatchString(f.Version) {
		return errs.New(errs.Invalid, "version: %q is not a policy version (YYYY-MM)", f.Version)
	}
	n := Catalogue{version: f.Version, purposes: f.Purposes, permissions: f.Permissions, rights: f.Rights, facts: f.Facts,
		minors: f.Minors, impact: f.SensitiveImpact, sensitive: f.Sensitive, recipients: f.Recipients}
	if err := n.validate(); err != nil {
		return err
	}
	for i := range n.purposes {
		n.purposes[i].Hash = contentHash(n.purposes[i])
	}
	*c = n
	return nil
}
