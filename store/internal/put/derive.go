package put

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/kaiconn/consent/receipt"
)

// Derived are the Record fields that schema version 2 of the stores added,
// as they are read back out of a stored body. Migrations fill the rows
// stored before those columns existed with them.
type Derived struct {
	Schema    int
	Language  string
	Decision  string
	DeviceKey string
	States    map[string]string
}

// storedEnvelope holds only what Derive reads of an envelope, so that it
// reads every body ever stored, whichever format version, without the
// strict checks that Decode applies to what is posted now.
type storedEnvelope struct {
	Attestation string `json:"attestation"`
	Receipt     struct {
		Schema   string `json:"schema"`
		Language string `json:"language"`
		Decision string `json:"decision"`
		Purposes []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"purposes"`
	} `json:"receipt"`
	Device struct {
		JWK receipt.JWK `json:"jwk"`
	} `json:"device"`
}

// Derive reads the fields of a stored body. A body that is not an envelope
// (only tests store such) derives schema 1 and nothing else, with ok false;
// a device key that does not parse derives no key.
func Derive(body []byte) (d Derived, ok bool) {
	d.Schema = 1
	var env storedEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Receipt.Schema == "" {
		return d, false
	}
	if v, found := strings.CutPrefix(env.Receipt.Schema, "kaiconn-receipt/"); found {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			d.Schema = n
		}
	}
	d.Language = env.Receipt.Language
	d.Decision = env.Receipt.Decision
	for _, p := range env.Receipt.Purposes {
		if d.States == nil {
			d.States = make(map[string]string, len(env.Receipt.Purposes))
		}
		d.States[p.ID] = p.State
	}
	if env.Attestation == receipt.AttestationDevice {
		if tp, err := env.Device.JWK.Thumbprint(); err == nil {
			d.DeviceKey = tp
		}
	}
	return d, true
}

// Reask tells whether a receipt under policy version follows one under an
// older version (prev, "" for a subject's first receipt). Policy versions
// are dates ("2022-10", "2025-06-01"), so they sort as strings.
func Reask(prev, version string) bool { return prev != "" && prev < version }
