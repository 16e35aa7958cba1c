//go:build !wasm

package consent

import (
	"io/fs"

	"github.com/BurntSushi/toml"

	"github.com/kaiconn/consent/errs"
)

// Loading a catalogue from its TOML file is the server's (and the tools')
// work: the wasm receives what it shows of the catalogue as JSON from the
// page, and carries no TOML parser.

type catalogueFile struct {
	Version         string           `toml:"version"`
	Purpose         []Purpose        `toml:"purpose"`
	Permission      []Permission     `toml:"permission"`
	Right           []rightEntry     `toml:"right"`
	Fact            []factEntry      `toml:"fact"`
	Minors          *minorsEntry     `toml:"minors"`
	SensitiveImpact *Quote           `toml:"sensitive_impact"`
	Sensitive       []sensitiveEntry `toml:"sensitive"`
	Recipient       []recipientEntry `toml:"recipient"`
}

// LoadCatalogue reads and validates <version>.toml from fsys. Every failure
// is an errs.Invalid naming the version, the purpose id and the field,
// because a catalogue is reviewed by people who do not read Go.
func LoadCatalogue(fsys fs.FS, version string) (*Catalogue, error) {
	if !versionRE.MatchString(version) {
		return nil, errs.New(errs.Invalid, "version: %q is not a policy version (YYYY-MM)", version)
	}
	b, err := fs.ReadFile(fsys, version+".toml")
	if err != nil {
		return nil, errs.New(errs.NotFound, "catalogue %s: no catalogue for this policy version", version)
	}
	var f catalogueFile
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, errs.New(errs.Invalid, "catalogue %s: %v", version, err)
	}
	// An unknown key is most often a misspelt field whose text would
	// silently be missing from the dialog.
	if un := md.Undecoded(); len(un) > 0 {
		return nil, errs.New(errs.Invalid, "catalogue %s: unknown key %q", version, un[0].String())
	}
	if f.Version != version {
		return nil, errs.New(errs.Invalid, "catalogue %s: version: file says %q", version, f.Version)
	}
	c := &Catalogue{version: version, purposes: f.Purpose, permissions: f.Permission, rights: f.Right, facts: f.Fact, minors: f.Minors,
		impact: f.SensitiveImpact, sensitive: f.Sensitive, recipients: f.Recipient}
	if err := c.validate(); err != nil {
		return nil, err
	}
	for i := range c.purposes {
		c.purposes[i].Hash = contentHash(c.purposes[i])
	}
	return c, nil
}
